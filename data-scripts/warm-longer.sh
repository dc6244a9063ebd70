#!/bin/bash
# Warm start, four times the updates, each training question once (results/mini/README.md): warm mini-HotPotQA
# GRPO, seeds 0-2, 480 steps x 4 questions on 1,920 training questions that are (question, answer)-disjoint from
# the test split and from each other, a checkpoint every 120 steps; then p@1 at T = 1 (top-p 1, top-k 0, 16
# samples) of checkpoints 120, 240, 360 and 480 on the test split. The base's figures are warm-once.sh's.
# Usage: data-scripts/warm-longer.sh   (after data-scripts/warm-once.sh; finished parts are skipped)
cd "$(dirname "$0")/.."
set -e
ONCE=results/runs/once
OUT=results/runs/longer
[[ -f $OUT/data/mini-hotpotqa/train.jsonl ]] ||
  node data-scripts/disjoint-train.mjs --from $ONCE/synth/mini-hotpotqa --n 1920 --out $OUT/data/mini-hotpotqa
data-scripts/sweep.sh -j 2 --threads 1 --seeds 0,1,2 --set task.data_dir=$OUT/data/mini-hotpotqa \
  --set train.steps=480 --set train.checkpoint_every=120 --set train.eval_every=60 --out $OUT/runs \
  configs/mini/mini-hotpotqa-warm-grpo.yaml
set +e
source data-scripts/t1-eval.sh
for s in 0 1 2; do
  r=$OUT/runs/mini-hotpotqa-warm-grpo-seed$s
  for pair in "120 240" "360 480"; do
    for k in $pair; do
      t1_eval $OUT/eval mini-hotpotqa-warm-grpo-seed$s-step$k test $r/config.yaml $r/checkpoints/checkpoint-$k &
    done
    wait
  done
done
echo "$(date +%T) warm-longer done"
