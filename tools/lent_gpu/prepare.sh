#!/bin/bash
# Fill .dev/ for a lent GPU call: wheels the GPU image lacks, MiniLM without its unused word-embedding rows, and
# reference token states. Usage: bash tools/lent_gpu/prepare.sh DATA_DIR (a built-in dataset folder)
set -euo pipefail
data=${1:?usage: prepare.sh DATA_DIR}
cd "$(dirname "$0")/../.."
rm -rf .dev && mkdir -p .dev/whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .dev/whl \
  diffusers roma plotly fastcore
.venv/bin/python tools/lent_gpu/prune_minilm.py "$data" .dev
cp tools/lent_gpu/rebuild_minilm.py tools/lent_gpu/train_variants.sh .dev/
{ echo "S1='$(make -s print-GPU_TRAIN)'"; echo "S2='$(make -s print-GPU_FT | sed "s#--set train.init_from=[^ ]*##")'"; } > .dev/stages.env
du -sh .dev
