#!/bin/bash
# Exploratory check after the four-times-the-updates arm (results/mini/README.md): warm mini-HotPotQA GRPO,
# 120 steps, seeds 3-5, on the 480-question split of warm-once.sh and on the 1,920-question split of
# warm-longer.sh; p@1 at T = 1 on the test split of each step-120 model and of the base (seeds 3-5).
# Usage: data-scripts/warm-pool-check.sh   (after warm-once.sh and warm-longer.sh; finished parts are skipped)
cd "$(dirname "$0")/.."
set -e
OUT=results/runs/pool
for pool in once longer; do
  data-scripts/sweep.sh -j 2 --threads 1 --seeds 3,4,5 --set task.data_dir=results/runs/$pool/data/mini-hotpotqa \
    --out $OUT/$pool configs/mini/mini-hotpotqa-warm-grpo.yaml
done
set +e
source data-scripts/t1-eval.sh
job() { t1_eval $OUT/eval "$1" test "${@:2}"; } # name config checkpoint [sets...]
for s in 3 4 5; do
  job mini-hotpotqa-base-seed$s configs/mini/mini-hotpotqa-warm-grpo.yaml models/tiny-base --set seed=$s &
  for pool in once longer; do
    r=$OUT/$pool/mini-hotpotqa-warm-grpo-seed$s
    job $pool-seed$s $r/config.yaml $r/checkpoints/checkpoint-120 &
  done
  wait
done
echo "$(date +%T) warm-pool-check done"
