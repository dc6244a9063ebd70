#!/usr/bin/env bash
# sweep.sh: train a set of experiment configs, one run directory each under one folder, then report.
#
# Usage: data-scripts/sweep.sh [-j N] [--threads T] [--q Q1,Q2,...] [--seeds S1,S2,...] [--set KEY=VALUE]...
#                              [--out DIR] [--gpus G1,G2,...] [--dry-run] CONFIG|DIR|GLOB...
#        data-scripts/sweep.sh --slurm [--no-wait] [--partition P] [--time T] [--cpus-per-run C] [--gpus-per-run G]
#                              [--mem M] [--sbatch-arg ARG]... [the options above but --gpus] CONFIG|DIR|GLOB...
#
#   CONFIG|DIR|GLOB  experiment configs: YAML files, folders (their *.yaml and *.yml, not recursive) or
#                    glob patterns (expanded here too when quoted). Run in the order given, each folder
#                    or pattern sorted; a config named twice runs once.
#   -j, --jobs N     runs at a time (default 1). Each run also uses the config's `threads`; mind the cores.
#   --threads T      passes --set threads=T to every run (ONNX Runtime CPU threads).
#   --q LIST         a q sweep: each config once per q in the comma-separated LIST (each in [0, 1]),
#                    with --set algorithm.q=Q, in its own run directory <name>-q<Q>.
#   --seeds LIST     a seed sweep: each config (and each q of --q) once per seed in the comma-separated
#                    LIST (distinct integers in [0, 2^32)), with --set seed=S, in its own run directory
#                    <name>[-q<Q>]-seed<S>. Without it each config runs once with its own seed.
#   --set KEY=VALUE  passes --set KEY=VALUE to every run, after the script's own (algorithm.q, seed,
#                    threads, device), in the order given; repeatable, also --set=KEY=VALUE. KEY must not be
#                    one that --q, --seeds or --threads sets; the run directory names do not show it.
#   --out DIR        the sweep's folder (default results/runs/sweep). Each run goes to
#                    DIR/<config file name without .yaml>[-q<Q>][-seed<S>] (train --out), its output
#                    to that path plus .log; the report to DIR/report and DIR/summary.csv.
#   --gpus LIST      one run per GPU of the comma-separated LIST (CUDA device numbers or UUIDs): each run
#                    with CUDA_VISIBLE_DEVICES set to its GPU and --set device=cuda; -j is the GPU count.
#   --dry-run        print what would run, one command a line (skipped runs as # comments), and stop.
#   -h, --help       print this text.
#
# On a Slurm cluster (--slurm), the runs not finished go to one job array (sbatch --array), a task per run,
# each running data-scripts/slurm-array.sh on its line of DIR/slurm/tasks-<time>.tsv; the Slurm log of
# each task is DIR/slurm/<job>_<task>.out, the trainer's output DIR/<run>.log as above.
#   --slurm          submit, wait for the array (sbatch --wait), then report as below.
#   --no-wait        submit, print the job id and exit; the same command rerun once the job is done (it
#                    refuses while the job is queued) finds the runs finished and writes the report.
#   -j N             at most N tasks at a time (--array=...%N); default: as many as Slurm gives.
#   --partition P, --time T, --mem M    passed to sbatch (--time as D-HH:MM:SS or minutes, --mem as 16G).
#   --cpus-per-run C                    sbatch --cpus-per-task=C (pair it with --threads C).
#   --gpus-per-run G                    sbatch --gres=gpu:G, and --set device=cuda for every run.
#   --sbatch-arg ARG                    passes ARG to sbatch, after the script's own; repeatable
#                                       (--sbatch-arg=--account=abc, --sbatch-arg=--qos=long).
# Every task asks for SIGTERM 300 s before its time limit (--signal=B:TERM@300) and may be requeued
# (--requeue): the trainer writes a checkpoint and exits 143, the task requeues itself, and the requeued
# task continues the run with train --resume. Each run's summary.json records the Slurm job and task id.
# A task killed outright (node failure, SIGKILL) leaves its run.lock naming its node, which train does not
# take over from another host: remove it by hand once sure the task is gone.
#
# Per run: a run directory with summary.json is finished and skipped; one whose run.lock names a live
# process (a train of another sweep or shell on it) is skipped and reported, and the sweep exits 1;
# any other (interrupted or failed) is continued with train --resume, which needs the same config:
# rerun a sweep with the same --seeds, --q, --set and --threads (a run folder of an earlier version,
# steps from 0 and checkpoints/step-K, is renumbered by that --resume first). A failed run does not stop the
# others; after all of them the script runs
#   ./bin/tsallis-run report DIR --out DIR/report --summary DIR/summary.csv
# (with --seeds: summary.csv keeps one row per run, with its seed in the seed column, as each run's
# summary.json records it; the report's tables average the seeds of a cell, "n=3").
# and exits 1 naming the failed runs (0 when none failed, 2 for a usage error, 130 on Ctrl-C, which
# lets running trainers write a checkpoint and starts no further run; rerun to resume).
#
# Run it from the repository root: configs name the model and data relative to it. TSALLIS_RUN
# overrides the CLI (default ./bin/tsallis-run; the tests put a stand-in there).
#
# Examples:
#   data-scripts/sweep.sh -j 2 --threads 1 configs/mini/mini-finqa-*.yaml
#   data-scripts/sweep.sh --out results/runs/mini-all -j 4 --threads 1 configs/mini
#   data-scripts/sweep.sh --q 0,0.25,0.5,0.75,1 --out results/runs/q-sweep configs/default.yaml
#   data-scripts/sweep.sh -j 2 --threads 1 --seeds 0,1,2 --set train.steps=120 --out results/runs/t1 'configs/mini/mini-finqa-cold-*.yaml'
#   data-scripts/sweep.sh --dry-run -j 2 'configs/mini/*-cold-*.yaml'
#   data-scripts/sweep.sh --gpus 0,1,2,3 --out results/runs/finqa-cold 'configs/study/finqa-cold-*.yaml'
#   data-scripts/sweep.sh --slurm --partition gpu --gpus-per-run 1 --cpus-per-run 8 --threads 8 --mem 32G \
#                         --time 12:00:00 --seeds 0,1,2 --out results/runs/study configs/study
set -uo pipefail
shopt -s nullglob

PROG=sweep.sh
RUN="${TSALLIS_RUN:-./bin/tsallis-run}"

usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { printf '%s: %s (see -h)\n' "$PROG" "$1" >&2; exit 2; }
is_posint() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
is_q() { [[ $1 =~ ^([0-9]+(\.[0-9]*)?|\.[0-9]+)$ ]] && awk -v q="$1" 'BEGIN { exit !(q + 0 >= 0 && q + 0 <= 1) }'; }
# A command as one line a shell would read back.
show() { local out="" a; for a in "$@"; do out+="${out:+ }$(printf '%q' "$a")"; done; printf '%s' "$out"; }

JOBS=1 JOBS_SET=0 THREADS="" QS="" SEEDS=() OUT="results/runs/sweep" DRY=0
ARGS=() SETS=() GPUS=()
SLURM=0 WAIT=1 SBATCH_OPTS=() SBATCH_ARGS=() GPUS_PER_RUN=0
SIGNAL_BEFORE=300 # seconds: a step and a checkpoint of the study's model fit well inside
while (($#)); do
  case $1 in
    -h|--help) usage; exit 0 ;;
    -j|--jobs|--threads|--q|--seeds|--set|--out|--gpus|--partition|--time|--cpus-per-run|--gpus-per-run|--mem|--sbatch-arg)
      (($# >= 2)) || die "$1 needs a value"
      opt=$1 val=$2; shift 2 ;;
    -j*) opt=-j val=${1#-j}; shift ;;
    --jobs=*|--threads=*|--q=*|--seeds=*|--set=*|--out=*|--gpus=*|--partition=*|--time=*|--cpus-per-run=*|--gpus-per-run=*|--mem=*|--sbatch-arg=*)
      opt=${1%%=*} val=${1#*=}; shift ;;
    --dry-run) DRY=1; shift; continue ;;
    --slurm) SLURM=1; shift; continue ;;
    --no-wait) WAIT=0; shift; continue ;;
    --) shift; ARGS+=("$@"); break ;;
    -?*) die "unknown option $1" ;;
    *) ARGS+=("$1"); shift; continue ;;
  esac
  case $opt in
    -j|--jobs) is_posint "$val" || die "$opt: expected a positive integer, got \"$val\""; JOBS=$val JOBS_SET=1 ;;
    --threads) is_posint "$val" || die "--threads: expected a positive integer, got \"$val\""; THREADS=$val ;;
    --q)
      [[ $val =~ ^[^,]+(,[^,]+)*$ ]] || die "--q: expected a comma-separated list of q in [0, 1], got \"$val\""
      IFS=, read -r -a qlist <<<"$val"
      for q in "${qlist[@]}"; do is_q "$q" || die "--q: expected q in [0, 1], got \"$q\""; done
      QS=$val ;;
    --seeds)
      [[ $val =~ ^[^,]+(,[^,]+)*$ ]] || die "--seeds: expected a comma-separated list of seeds (integers in [0, 2^32)), got \"$val\""
      IFS=, read -r -a slist <<<"$val"
      SEEDS=()
      for s in "${slist[@]}"; do
        [[ $s =~ ^[0-9]+$ ]] || die "--seeds: expected a seed (an integer in [0, 2^32)), got \"$s\""
        n=$s; while [[ $n == 0?* ]]; do n=${n#0}; done # 007 is seed 7
        ((${#n} <= 10 && 10#$n <= 4294967295)) || die "--seeds: expected a seed (an integer in [0, 2^32)), got \"$s\""
        for t in "${SEEDS[@]}"; do [[ $t == "$n" ]] && die "--seeds names $n twice"; done
        SEEDS+=("$n")
      done ;;
    --set)
      key=${val%%=*}
      [[ $val == *=* && -n ${key//[[:space:]]/} ]] || die "--set: expected KEY=VALUE, got \"$val\""
      SETS+=("$val") ;;
    --out) [[ -n $val ]] || die "--out: expected a path"; OUT=${val%/} ;;
    --gpus)
      [[ $val =~ ^[[:alnum:]/:_-]+(,[[:alnum:]/:_-]+)*$ ]] || die "--gpus: expected a comma-separated list of GPUs (0,1,... or UUIDs), got \"$val\""
      IFS=, read -r -a GPUS <<<"$val"
      mapfile -t dup < <(printf '%s\n' "${GPUS[@]}" | sort | uniq -d)
      ((${#dup[@]} == 0)) || die "--gpus names ${dup[0]} twice" ;;
    --partition|--time|--mem) [[ -n $val ]] || die "$opt: expected a value"; SBATCH_OPTS+=("$opt=$val") ;;
    --cpus-per-run) is_posint "$val" || die "$opt: expected a positive integer, got \"$val\""; SBATCH_OPTS+=("--cpus-per-task=$val") ;;
    --gpus-per-run) is_posint "$val" || die "$opt: expected a positive integer, got \"$val\""; SBATCH_OPTS+=("--gres=gpu:$val"); GPUS_PER_RUN=$val ;;
    --sbatch-arg) SBATCH_ARGS+=("$val") ;;
  esac
done
((${#ARGS[@]})) || die "no configs given"
if ((SLURM)); then
  ((${#GPUS[@]} == 0)) || die "--gpus is for one machine; with --slurm use --gpus-per-run"
else
  ((WAIT)) || die "--no-wait needs --slurm"
  ((${#SBATCH_OPTS[@]} + ${#SBATCH_ARGS[@]} == 0)) || die "--partition, --time, --cpus-per-run, --gpus-per-run, --mem and --sbatch-arg need --slurm"
fi
if ((${#GPUS[@]})); then
  ((JOBS_SET == 0)) || die "--gpus runs one run per GPU; leave out -j"
  JOBS=${#GPUS[@]}
fi
CUDA=0; ((${#GPUS[@]} || GPUS_PER_RUN)) && CUDA=1
# A --set of a field that --q, --seeds or --threads sets would override it behind the run directory names.
for kv in "${SETS[@]}"; do
  key=${kv%%=*}; key=${key#"${key%%[![:space:]]*}"}; key=${key%"${key##*[![:space:]]}"}
  [[ -n $QS && $key == algorithm.q ]] && die "--set $kv: --q sets algorithm.q"
  ((${#SEEDS[@]})) && [[ $key == seed ]] && die "--set $kv: --seeds sets seed"
  [[ -n $THREADS && $key == threads ]] && die "--set $kv: --threads sets threads"
  ((CUDA)) && [[ $key == device ]] && die "--set $kv: --gpus and --gpus-per-run set device"
done
((DRY == 0 && SLURM)) && { command -v sbatch >/dev/null || die "--slurm: sbatch not found"; }
[[ $DRY == 1 || -x $RUN ]] || die "$RUN not found; run from the repository root (with dist/ built)"

# Configs, in order, without repeats.
CONFIGS=()
add_config() { local c; for c in "${CONFIGS[@]}"; do [[ $c == "$1" ]] && return; done; CONFIGS+=("$1"); }
for arg in "${ARGS[@]}"; do
  if [[ -d $arg ]]; then
    files=("${arg%/}"/*.yaml "${arg%/}"/*.yml)
    ((${#files[@]})) || die "$arg: no *.yaml or *.yml in this folder"
    mapfile -t files < <(printf '%s\n' "${files[@]}" | LC_ALL=C sort)
    for f in "${files[@]}"; do add_config "$f"; done
  elif [[ -f $arg ]]; then
    add_config "$arg"
  else
    # shellcheck disable=SC2206 # deliberate glob expansion of a quoted pattern
    files=($arg)
    ((${#files[@]})) && [[ $arg == *[*?[]* ]] || die "$arg: no such config, folder or matching file"
    mapfile -t files < <(printf '%s\n' "${files[@]}" | LC_ALL=C sort)
    for f in "${files[@]}"; do [[ -f $f ]] && add_config "$f"; done
  fi
done

# The runs: name, config, q and seed (empty: none), in order.
NAMES=() RCONF=() RQ=() RSEED=()
if [[ -n $QS ]]; then IFS=, read -r -a QLIST <<<"$QS"; else QLIST=(""); fi
if ((${#SEEDS[@]})); then SLIST=("${SEEDS[@]}"); else SLIST=(""); fi
for c in "${CONFIGS[@]}"; do
  base=$(basename "$c"); base=${base%.yaml}; base=${base%.yml}
  for q in "${QLIST[@]}"; do
    for s in "${SLIST[@]}"; do
      name=$base${q:+-q$q}${s:+-seed$s}
      for i in "${!NAMES[@]}"; do
        [[ ${NAMES[i]} == "$name" && ${RCONF[i]} == "$c" ]] && die "--q names $q twice"
        [[ ${NAMES[i]} == "$name" ]] && die "$c and ${RCONF[i]} would both run in $OUT/$name; give them different file names or sweep them separately"
      done
      NAMES+=("$name") RCONF+=("$c") RQ+=("$q") RSEED+=("$s")
    done
  done
done

# The train command of run $1, in CMD (with --resume when its directory is already there, unless $2 is
# "task": a Slurm task decides that when it runs).
train_cmd() {
  local i=$1 dir=$OUT/${NAMES[$1]}
  CMD=("$RUN" train --config "${RCONF[i]}" --out "$dir")
  [[ -n ${RQ[i]} ]] && CMD+=(--set "algorithm.q=${RQ[i]}")
  [[ -n ${RSEED[i]} ]] && CMD+=(--set "seed=${RSEED[i]}")
  [[ -n $THREADS ]] && CMD+=(--set "threads=$THREADS")
  ((CUDA)) && CMD+=(--set device=cuda)
  local kv
  for kv in "${SETS[@]}"; do CMD+=(--set "$kv"); done
  [[ ${2:-} != task && -e $dir ]] && CMD+=(--resume)
}
REPORT=("$RUN" report "$OUT" --out "$OUT/report" --summary "$OUT/summary.csv")

# The holder of run $1's lock ("process PID on HOST") when it is alive, else nothing (src/experiment/run-lock.ts:
# a lock of another host counts as alive, one of this host whose process is gone is stale).
lock_holder() {
  local lock=$OUT/${NAMES[$1]}/run.lock pid host
  [[ -f $lock ]] || return 0
  pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$lock") host=$(sed -n 's/.*"host":"\([^"]*\)".*/\1/p' "$lock")
  [[ -n $pid ]] || return 0
  if [[ $host != "$HOSTNAME" ]] || kill -0 "$pid" 2>/dev/null; then echo "process $pid on $host"; fi
}

TODO=() SKIPPED=()
for i in "${!NAMES[@]}"; do
  if [[ -f $OUT/${NAMES[i]}/summary.json ]]; then SKIPPED+=("$i"); else TODO+=("$i"); fi
done

SLURM_DIR=$OUT/slurm
JOB_FILE=$SLURM_DIR/job # the id of the array job last submitted
TASKS_FILE=$SLURM_DIR/tasks-$(date +%Y%m%d-%H%M%S).tsv
ARRAY_SCRIPT=$(dirname "${BASH_SOURCE[0]}")/slurm-array.sh

# The sbatch command of an array of $1 tasks, in SBATCH.
sbatch_cmd() {
  local array=0-$(($1 - 1))
  ((JOBS_SET)) && array+=%$JOBS
  SBATCH=(sbatch --parsable)
  ((WAIT)) && SBATCH+=(--wait)
  SBATCH+=("--job-name=sweep-$(basename "$OUT")" "--array=$array" "--output=$SLURM_DIR/%A_%a.out" --open-mode=append
    --requeue "--signal=B:TERM@$SIGNAL_BEFORE" "${SBATCH_OPTS[@]}" "${SBATCH_ARGS[@]}" "$ARRAY_SCRIPT" "$TASKS_FILE")
}

if ((DRY)); then
  if ((SLURM)); then
    echo "# ${#NAMES[@]} runs in $OUT: ${#TODO[@]} to run as Slurm array tasks, $( ((JOBS_SET)) && echo "$JOBS" || echo "as many as Slurm gives") at a time; ${#SKIPPED[@]} finished"
  else
    echo "# ${#NAMES[@]} runs in $OUT: ${#TODO[@]} to run, $JOBS at a time$( ((${#GPUS[@]})) && echo " (one per GPU of $(IFS=,; echo "${GPUS[*]}"))"); ${#SKIPPED[@]} finished"
  fi
  k=0
  for i in "${!NAMES[@]}"; do
    if [[ -f $OUT/${NAMES[i]}/summary.json ]]; then
      echo "# skip $OUT/${NAMES[i]}: finished"
    else
      train_cmd "$i"
      prefix="" && ((SLURM)) && prefix="# task $((k++)): "
      echo "$prefix$(show "${CMD[@]}") >> $(show "$OUT/${NAMES[i]}.log") 2>&1"
    fi
  done
  if ((SLURM && ${#TODO[@]})); then sbatch_cmd "${#TODO[@]}"; show "${SBATCH[@]}"; echo; fi
  show "${REPORT[@]}"; echo
  exit 0
fi

mkdir -p "$OUT" || exit 1
# Runs of a job array still in the queue would be run twice.
if [[ -s $JOB_FILE ]] && command -v squeue >/dev/null; then
  job=$(<"$JOB_FILE")
  if [[ -n $(squeue -h -j "$job" -o %i 2>/dev/null) ]]; then
    echo "$PROG: Slurm job $job of this sweep is still in the queue (squeue -j $job); rerun once it has finished, or scancel it" >&2
    exit 1
  fi
fi
STATUS=$(mktemp -d "${TMPDIR:-/tmp}/sweep-status.XXXXXX") || exit 1
trap 'rm -rf "$STATUS"' EXIT
INTERRUPTED=0
trap 'INTERRUPTED=1' INT
stamp() { date '+%H:%M:%S'; }
running() { jobs -pr | wc -l; }

# One run in the background, on GPU $2 if given: its output appended to <rundir>.log, its exit status to $STATUS/<index>.
run_one() {
  local i=$1 gpu=${2:-} name=${NAMES[$1]} log=$OUT/${NAMES[$1]}.log code
  train_cmd "$i"
  echo "$(stamp) start $name$([[ ${CMD[*]} == *--resume ]] && echo ' (resume)')${gpu:+ on GPU $gpu}: $(show "${CMD[@]}")" >&2
  { echo "# $(date '+%Y-%m-%dT%H:%M:%S%z') ${gpu:+CUDA_VISIBLE_DEVICES=$gpu }$(show "${CMD[@]}")"; } >>"$log"
  (
    trap '' INT # outlive Ctrl-C to record the trainer's status (the trainer itself handles it)
    [[ -n $gpu ]] && export CUDA_VISIBLE_DEVICES=$gpu
    "${CMD[@]}" >>"$log" 2>&1
    code=$?
    echo "$code" >"$STATUS/$i"
    if ((code == 0)); then echo "$(stamp) done  $name" >&2; else echo "$(stamp) FAILED $name (exit $code; see $log)" >&2; fi
  ) &
}

# A GPU of --gpus that no running run has (a run that has written its status is done).
GPU_OF=() # run index -> its GPU
free_gpu() {
  local g i
  for g in "${GPUS[@]}"; do
    for i in "${!GPU_OF[@]}"; do [[ ${GPU_OF[i]} == "$g" && ! -f $STATUS/$i ]] && continue 2; done
    echo "$g"
    return
  done
}

for i in "${SKIPPED[@]}"; do echo "$(stamp) skip  ${NAMES[i]}: finished" >&2; done
LOCKED=() FAILED=()
if ((SLURM)); then
  TASKS=()
  for i in "${TODO[@]}"; do
    holder=$(lock_holder "$i")
    if [[ -n $holder ]]; then
      echo "$(stamp) skip  ${NAMES[i]}: locked by $holder (training there now)" >&2
      LOCKED+=("${NAMES[i]} ($holder)")
    else
      TASKS+=("$i")
    fi
  done
  if ((${#TASKS[@]})); then
    mkdir -p "$SLURM_DIR" || exit 1
    for i in "${TASKS[@]}"; do
      train_cmd "$i" task
      printf '%s\t%s\n' "$OUT/${NAMES[i]}" "$(show "${CMD[@]}")"
    done >"$TASKS_FILE" || exit 1
    sbatch_cmd "${#TASKS[@]}"
    echo "$(stamp) ${#TASKS[@]} runs of $OUT as a Slurm job array: $(show "${SBATCH[@]}")" >&2
    job=$("${SBATCH[@]}")
    code=$?
    job=${job%%;*} # --parsable prints ID or ID;CLUSTER
    if ((INTERRUPTED)); then
      echo "$PROG: interrupted; the job array keeps running in Slurm (scancel it to stop it). Rerun the same command to collect it." >&2
      exit 130
    fi
    [[ $job =~ ^[0-9]+$ ]] || { echo "$PROG: sbatch failed (exit $code)" >&2; exit 1; }
    echo "$job" >"$JOB_FILE"
    if ((WAIT == 0)); then
      echo "$job"
      echo "$(stamp) submitted job $job (${#TASKS[@]} tasks; squeue -j $job); rerun this command once it has finished to write the report" >&2
      exit 0
    fi
    echo "$(stamp) job $job finished (sbatch exit $code)" >&2
  fi
  for k in "${!TASKS[@]}"; do
    name=${NAMES[TASKS[k]]}
    [[ -f $OUT/$name/summary.json ]] || FAILED+=("$name (not finished; logs $OUT/$name.log and $SLURM_DIR/${job}_$k.out)")
  done
else
  echo "$(stamp) ${#TODO[@]} runs in $OUT, $JOBS at a time" >&2
  for i in "${TODO[@]}"; do
    while ((INTERRUPTED == 0 && $(running) >= JOBS)); do wait -n; done
    ((INTERRUPTED)) && break
    holder=$(lock_holder "$i")
    if [[ -n $holder ]]; then
      echo "$(stamp) skip  ${NAMES[i]}: locked by $holder (training there now)" >&2
      LOCKED+=("${NAMES[i]} ($holder)")
      echo locked >"$STATUS/$i"
      continue
    fi
    gpu=""
    if ((${#GPUS[@]})); then gpu=$(free_gpu); GPU_OF[i]=$gpu; fi
    run_one "$i" "$gpu"
  done
  while [[ -n $(jobs -pr) ]]; do wait; done

  UNFINISHED=0
  for i in "${TODO[@]}"; do
    code=$(cat "$STATUS/$i" 2>/dev/null || echo none)
    [[ $code == 0 ]] || ((UNFINISHED += 1))
    [[ $code == 0 || $code == none || $code == locked ]] || FAILED+=("${NAMES[i]} (exit $code, log $OUT/${NAMES[i]}.log)")
  done
  if ((INTERRUPTED)); then
    echo "$PROG: interrupted; $UNFINISHED of ${#TODO[@]} runs not finished. Rerun the same command to resume them." >&2
    exit 130
  fi
fi

echo "$(stamp) report: $(show "${REPORT[@]}")" >&2
"${REPORT[@]}"
REPORT_CODE=$?
if ((${#FAILED[@]})); then
  echo "$PROG: ${#FAILED[@]} of ${#TODO[@]} runs failed:" >&2
  printf '  %s\n' "${FAILED[@]}" >&2
  exit 1
fi
((REPORT_CODE == 0)) || { echo "$PROG: the report failed (exit $REPORT_CODE)" >&2; exit 1; }
if ((${#LOCKED[@]})); then
  echo "$PROG: ${#LOCKED[@]} runs were being trained by another process and were left to it; rerun once they finish:" >&2
  printf '  %s\n' "${LOCKED[@]}" >&2
  exit 1
fi
echo "$(stamp) all ${#TODO[@]} runs finished; report in $OUT/report, summary in $OUT/summary.csv" >&2
