#!/usr/bin/env bash
# Train the two stages of `make model-gpu` for each variant side by side on one GPU, ship each into $WORK/ship_NAME
# and time AITS on the GPU. Usage: bash tools/gpu/train_variants.sh NAME "SETTINGS" [NAME "SETTINGS" ...]
# The training and shipping settings are the Makefile's (GPU_TRAIN, GPU_FT, SHIP_GPU), read with `make -s print-VAR`; see tools/gpu/README.md.
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.venv/bin}; WORK=${WORK:-build/gpu}; LIMIT=${LIMIT:-0}; AITS=${AITS:-1}
declare -A V; NAMES=()
while [ $# -ge 2 ]; do V[$1]=$2; NAMES+=("$1"); shift 2; done
[ $# -eq 0 ] && [ ${#NAMES[@]} -gt 0 ] || { echo "usage: train_variants.sh NAME \"SETTINGS\" [NAME \"SETTINGS\" ...]" >&2; exit 2; }
T0=$(date +%s); el(){ echo $(( $(date +%s) - T0 )); }
S1=$(make -s print-GPU_TRAIN)
S2=$(make -s print-GPU_FT | sed 's#--set train.init_from=[^ ]*##')  # each variant fine-tunes from its own stage 1
SHIP=$(make -s print-SHIP_GPU)
mkdir -p "$WORK"
DATA=${DATA:-$WORK/builtin}
[ -d "$DATA" ] || "$BIN/mdmoe" data builtin --out "$DATA" --n 5000 --workers "$(nproc)" || exit 1
stage(){ v=$1; out=$WORK/$v
  "$BIN/mdmoe" train small --data "$DATA" --out "$out/run" $S1 ${V[$v]} > "$WORK/log_$v.txt" 2>&1 && echo "$v stage 1 done at $(el) s" &&
  "$BIN/mdmoe" train small --data "$DATA" --out "$out/run_ft" --set train.init_from="$out/run" $S2 ${V[$v]} >> "$WORK/log_$v.txt" 2>&1
  echo "$v stage 2 rc=$? at $(el) s"; }
PIDS=(); for v in "${NAMES[@]}"; do stage "$v" & PIDS+=($!); done
if [ "$LIMIT" -gt 0 ]; then
  while sleep 5; do
    alive=0; for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 1 ] || break
    [ "$(el)" -gt "$LIMIT" ] && { echo "time limit: stopping training at $(el) s"; for p in "${PIDS[@]}"; do pkill -P "$p"; done; sleep 5; break; }
  done
fi
wait
dev=$("$BIN/python" -c 'import torch; print(torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU")')
for v in "${NAMES[@]}"; do
  "$BIN/python" tools/ship_model.py "$WORK/$v/run_ft" --previous "$WORK/$v/run" --data "$DATA" --out "$WORK/ship_$v" \
    $SHIP \
    --device "one $dev GPU (fp32, batch 256)" --commands "make model-gpu GPU_EXTRA=\"${V[$v]}\"" && echo "shipped $v at $(el) s"
  [ "$AITS" = 1 ] && "$BIN/python" bench/aits.py --data "$DATA" --model "$WORK/ship_$v" --device cuda --no-quality \
    --ddpm-timed-steps 1000 --json "$WORK/aits_cuda_$v.json" 2>&1 | tail -8
done
echo "all done at $(el) s"
