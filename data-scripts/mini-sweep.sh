#!/usr/bin/env bash
# The mini sweep behind results/mini/, run and collected:
#   1. the configs/mini runs of each task (data-scripts/sweep.sh -j 2 --threads 1) into results/runs/mini/;
#   2. the base model on each task x {cold, warm} (train.steps 0: the report's "Base model" row);
#   3. each finished run's small artefacts (config.yaml, metrics.csv, validation.csv, summary.json) copied
#      to results/mini/runs/<run>/ (the checkpoints stay in the git-ignored results/runs/mini/);
#   4. the report (tables, curves), summary.csv and dynamics.md (data-scripts/mini-dynamics.mjs) written
#      from those copies to results/mini/.
# Usage: data-scripts/mini-sweep.sh [--no-train] [TASK...]   TASK: mini-finqa, mini-hotpotqa, mini-musique
# (default: all). Finished runs are skipped and interrupted ones resumed, so the sweep can be run task by
# task; --no-train skips step 1 (base rows and collection only, e.g. while a sweep of another task runs).
# Two runs at a time on one thread each: about 30 minutes per task on 2 cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUN="${TSALLIS_RUN:-./bin/tsallis-run}"
WORK=results/runs/mini
OUT=results/mini
TRAIN=1
[[ ${1:-} == --no-train ]] && { TRAIN=0; shift; }
TASKS=("$@")
((${#TASKS[@]})) || TASKS=(mini-finqa mini-hotpotqa mini-musique)

CONFIGS=()
for t in "${TASKS[@]}"; do
  [[ -f configs/mini/$t-cold-grpo.yaml ]] || { echo "mini-sweep.sh: unknown task $t (expected mini-finqa, mini-hotpotqa or mini-musique)" >&2; exit 2; }
  CONFIGS+=("configs/mini/$t-"*.yaml)
done
if ((TRAIN)); then
  data-scripts/sweep.sh -j 2 --threads 1 --out "$WORK" "${CONFIGS[@]}" || echo "mini-sweep.sh: some runs failed (see $WORK/*.log)" >&2
fi
for t in "${TASKS[@]}"; do
  for s in cold warm; do
    dir=$WORK/$t-$s-base
    [[ -f $dir/summary.json ]] && continue
    rm -rf "$dir"
    "$RUN" train --config "configs/mini/$t-$s-grpo.yaml" --set train.steps=0 --set threads=2 --out "$dir" > "$dir.log" 2>&1
  done
done

mkdir -p "$OUT/runs"
for dir in "$WORK"/*/; do
  dir=${dir%/}
  [[ -f $dir/summary.json ]] || continue
  dest=$OUT/runs/$(basename "$dir")
  mkdir -p "$dest"
  cp "$dir"/{config.yaml,metrics.csv,validation.csv,summary.json} "$dest/"
done
"$RUN" report "$OUT/runs" --out "$OUT/report" --summary "$OUT/summary.csv"
node data-scripts/mini-dynamics.mjs "$OUT/runs" "$OUT/dynamics.md"
