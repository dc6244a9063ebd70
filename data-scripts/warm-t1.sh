#!/bin/bash
# p@1 at the training sampling settings (T = 1, top-p 1, top-k 0) on a split (default test, or train):
# warm HotPotQA/MuSiQue GRPO and GARL q=1 (checkpoint-120 of results/runs/mini-warm-5e-5) and the base.
# Usage: data-scripts/warm-t1.sh [test|train]
cd "$(dirname "$0")/.."
SPLIT=${1:-test}
OUT=results/runs/warm-t1
source data-scripts/t1-eval.sh
job() { t1_eval $OUT "$1" "$SPLIT" "${@:2}"; } # name config checkpoint [sets...]
for t in hotpotqa musique; do
  for s in 0 1 2; do
    job mini-$t-base-seed$s configs/mini/mini-$t-warm-grpo.yaml models/tiny-base --set seed=$s &
    for m in grpo garl-q1; do
      r=results/runs/mini-warm-5e-5/mini-$t-warm-$m-seed$s
      job mini-$t-warm-$m-seed$s $r/config.yaml $r/checkpoints/checkpoint-120 &
    done
    wait
  done
done
echo "$(date +%T) warm-t1 $SPLIT done"
