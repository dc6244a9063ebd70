#!/bin/bash
# p@1 at the training sampling settings (T = 1, top-p 1, top-k 0) on a split (default test, or train):
# warm HotPotQA/MuSiQue GRPO and GARL q=1 (checkpoint-120 of results/runs/mini-warm-5e-5) and the base.
# Usage: data-scripts/warm-t1.sh [test|train]
cd "$(dirname "$0")/.."
SPLIT=${1:-test}
OUT=results/runs/warm-t1
mkdir -p $OUT
T1=(--set eval.temperature=1 --set eval.top_p=1 --set eval.top_k=0 --split "$SPLIT" --threads 1)
job() { # name config checkpoint [sets...]
  local name=$1 config=$2 ckpt=$3; shift 3
  [[ -f $OUT/$name/eval/$SPLIT.json ]] && return
  ./bin/tsallis-run eval --config "$config" --checkpoint "$ckpt" "${T1[@]}" "$@" --out $OUT/$name > $OUT/$name-$SPLIT.log 2>&1 && echo "$(date +%T) done $name $SPLIT"
}
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
