# GPU side: rebuild MiniLM's model.safetensors in MODEL_DIR (unused word-embedding rows zero), check that it reproduces
# the development machine's fp32 token states and that every caption of DATA_DIR uses only kept token ids.
#     python rebuild_minilm.py MODEL_DIR [DATA_DIR]
import sys, glob, torch
from pathlib import Path
from safetensors import safe_open
from safetensors.torch import load_file, save_file
d = Path(sys.argv[1]); data = sys.argv[2] if len(sys.argv) > 2 else None
sd = load_file(str(d / 'layers.safetensors'))
with safe_open(str(d / 'emb.safetensors'), 'pt') as f: key = f.metadata()['key']
e = load_file(str(d / 'emb.safetensors'))
W = torch.zeros(*e['shape'].tolist()); W[e['ids']] = e['rows']; sd[key] = W
save_file(sd, str(d / 'model.safetensors'), metadata={'format': 'pt'})
(d / 'layers.safetensors').unlink(); (d / 'emb.safetensors').unlink()
from mdmoe.text import TextEncoder, TextEncoderConfig
enc = TextEncoder(TextEncoderConfig())
ref = torch.load(Path(__file__).parent / "ref_states.pt", weights_only=True)
got = enc.encode_states(ref['texts'])[0]
err = (got - ref['states']).abs().max().item(); print('MiniLM max abs diff vs CPU reference', err); assert err < 1e-3, err
if data:
    kept = set(e['ids'].tolist()); caps = set()
    for f in glob.glob(f'{data}/texts/*.txt'):
        for line in open(f): caps.add(line.split('#')[0].strip())
    bad = [c for c in caps if not set(enc.tokenizer(c)['input_ids']) <= kept]
    print(len(caps), 'captions checked;', len(bad), 'use pruned tokens', bad[:3]); assert not bad
