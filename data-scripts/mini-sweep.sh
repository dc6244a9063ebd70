#!/usr/bin/env bash
# The mini sweep behind results/mini/, run and collected:
#   1. the configs/mini runs of each task and start, once per seed (data-scripts/sweep.sh -j 2 --threads 1
#      --seeds LIST) into results/runs/mini/<config>-seed<S>/;
#   2. the base model on each task x start x seed (train.steps 0: the report's "Base model" row);
#   3. each finished run's small artefacts (config.yaml, metrics.csv, validation.csv, summary.json) copied
#      to results/mini/runs/<run>/ (the checkpoints stay in the git-ignored results/runs/mini/);
#   4. the report (tables with mean ± sd over seeds, curves, diagnostics), summary.csv (one row per run and
#      seed), summary-seeds.csv and dynamics.md (data-scripts/mini-dynamics.mjs) written from those copies.
# Usage: data-scripts/mini-sweep.sh [--no-train] [--seeds LIST] [--starts LIST] [--methods GLOB] [TASK...]
#   TASK       mini-finqa, mini-hotpotqa, mini-musique (default: all three)
#   --seeds    comma-separated seeds (default 0,1,2)
#   --starts   cold, warm or cold,warm (default cold,warm)
#   --methods  a glob over the method part of the config names, e.g. 'garl-*' (default: all eight)
#   --no-train skip step 1 (base rows and collection only, e.g. while a sweep of another task runs)
# Finished runs are skipped and interrupted ones resumed, so the sweep can be run piece by piece and
# rerun after a kill: it continues where it stopped (from the last checkpoint, written at each validation).
# Runs already collected in results/mini/runs/ count as finished, also in a fresh clone without
# results/runs/. Two runs at a time on one thread each.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUN="${TSALLIS_RUN:-./bin/tsallis-run}"
WORK=results/runs/mini
OUT=results/mini
TRAIN=1 SEEDS=0,1,2 STARTS=cold,warm METHODS='*'
TASKS=()
while (($#)); do
  case $1 in
    --no-train) TRAIN=0; shift ;;
    --seeds) SEEDS=$2; shift 2 ;;
    --starts) STARTS=$2; shift 2 ;;
    --methods) METHODS=$2; shift 2 ;;
    -*) echo "mini-sweep.sh: unknown option $1" >&2; exit 2 ;;
    *) TASKS+=("$1"); shift ;;
  esac
done
((${#TASKS[@]})) || TASKS=(mini-finqa mini-hotpotqa mini-musique)
IFS=, read -r -a SEED_LIST <<<"$SEEDS"
IFS=, read -r -a START_LIST <<<"$STARTS"

CONFIGS=()
for t in "${TASKS[@]}"; do
  [[ -f configs/mini/$t-cold-grpo.yaml ]] || { echo "mini-sweep.sh: unknown task $t (expected mini-finqa, mini-hotpotqa or mini-musique)" >&2; exit 2; }
  for s in "${START_LIST[@]}"; do
    [[ $s == cold || $s == warm ]] || { echo "mini-sweep.sh: --starts: expected cold and/or warm, got $s" >&2; exit 2; }
    # shellcheck disable=SC2206 # deliberate glob over the method part
    files=(configs/mini/$t-$s-$METHODS.yaml)
    [[ -f ${files[0]} ]] || { echo "mini-sweep.sh: no config matches configs/mini/$t-$s-$METHODS.yaml" >&2; exit 2; }
    CONFIGS+=("${files[@]}")
  done
done
# Runs collected before (results/mini/runs/<run>/summary.json, committed) count as finished: their small
# artefacts are put back where sweep.sh looks, so a fresh checkout does not run them again.
mkdir -p "$WORK"
for dir in "$OUT"/runs/*/; do
  dir=${dir%/}
  [[ -f $dir/summary.json && ! -e $WORK/$(basename "$dir") ]] || continue
  mkdir -p "$WORK/$(basename "$dir")"
  cp "$dir"/{config.yaml,metrics.csv,validation.csv,summary.json} "$WORK/$(basename "$dir")/"
done
if ((TRAIN)); then
  data-scripts/sweep.sh -j 2 --threads 1 --seeds "$SEEDS" --out "$WORK" "${CONFIGS[@]}" || echo "mini-sweep.sh: some runs failed (see $WORK/*.log)" >&2
fi
for t in "${TASKS[@]}"; do
  for s in "${START_LIST[@]}"; do
    for seed in "${SEED_LIST[@]}"; do
      dir=$WORK/$t-$s-base-seed$seed
      [[ -f $dir/summary.json ]] && continue
      rm -rf "$dir"
      "$RUN" train --config "configs/mini/$t-$s-grpo.yaml" --set train.steps=0 --set threads=2 --set seed="$seed" --out "$dir" > "$dir.log" 2>&1
    done
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
