#!/bin/bash
# Warm start, each training question once (results/mini/README.md): warm mini-HotPotQA and mini-MuSiQue GRPO,
# seeds 0-2, on 480 training questions that are (question, answer)-disjoint from the test split and from each
# other, so that 120 steps x 4 questions draw each exactly once; then p@1 at T = 1 (top-p 1, top-k 0, 16
# samples) of each step-120 model and of the base on the test split and on those 480 questions.
# Usage: data-scripts/warm-once.sh            (data, training and evaluations; finished parts are skipped)
cd "$(dirname "$0")/.."
set -e
OUT=results/runs/once
for t in hotpotqa musique; do
  [[ -f $OUT/synth/mini-$t/train.jsonl ]] ||
    ./bin/tsallis-run data synth --task mini-$t --seed 0 --sizes 4096/128/256 --out $OUT/synth > /dev/null
  [[ -f $OUT/data/mini-$t/train.jsonl ]] ||
    node data-scripts/disjoint-train.mjs --from $OUT/synth/mini-$t --n 480 --out $OUT/data/mini-$t
done
for t in hotpotqa musique; do
  data-scripts/sweep.sh -j 2 --threads 1 --seeds 0,1,2 --set task.data_dir=$OUT/data/mini-$t --out $OUT/runs \
    configs/mini/mini-$t-warm-grpo.yaml
done
set +e
source data-scripts/t1-eval.sh
job() { t1_eval $OUT/eval "$@"; } # name split config checkpoint [sets...]
for t in hotpotqa musique; do
  for s in 0 1 2; do
    r=$OUT/runs/mini-$t-warm-grpo-seed$s
    for split in test train; do
      job mini-$t-base-seed$s $split configs/mini/mini-$t-warm-grpo.yaml models/tiny-base --set seed=$s \
        --set task.data_dir=$OUT/data/mini-$t &
      job mini-$t-warm-grpo-seed$s $split $r/config.yaml $r/checkpoints/checkpoint-120 &
      wait
    done
  done
done
echo "$(date +%T) warm-once done"
