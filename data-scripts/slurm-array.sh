#!/usr/bin/env bash
# slurm-array.sh TASKS: one array task of `sweep.sh --slurm`, submitted by it with sbatch --array.
#
# Line SLURM_ARRAY_TASK_ID + 1 of TASKS is "<run directory><TAB><train command, shell-quoted>"
# (sweep.sh writes it to <sweep folder>/slurm/). The task skips a finished run, adds --resume when the
# run directory is there (a requeued task, or a rerun sweep), and appends the trainer's output to
# <run directory>.log. sweep.sh submits with --signal=B:TERM@SECONDS, which signals this shell only:
# it forwards TERM to the trainer, which writes a checkpoint and exits 143, and then requeues the task
# (at a time limit Slurm would not); the requeued task resumes the run.
set -uo pipefail

TASKS=${1:?usage: slurm-array.sh TASKS}
: "${SLURM_ARRAY_TASK_ID:?not an array task (SLURM_ARRAY_TASK_ID is not set)}"
line=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$TASKS")
[[ $line == *$'\t'* ]] || { echo "slurm-array.sh: no task $SLURM_ARRAY_TASK_ID in $TASKS" >&2; exit 2; }
dir=${line%%$'\t'*}
eval "cmd=(${line#*$'\t'})" # sweep.sh wrote it with printf %q
log=$dir.log

if [[ -f $dir/summary.json ]]; then echo "$dir: finished"; exit 0; fi
[[ -e $dir ]] && cmd+=(--resume)
quoted="" && for a in "${cmd[@]}"; do quoted+="${quoted:+ }$(printf '%q' "$a")"; done
echo "# $(date '+%Y-%m-%dT%H:%M:%S%z') slurm job ${SLURM_JOB_ID:-?} (array ${SLURM_ARRAY_JOB_ID:-?}_$SLURM_ARRAY_TASK_ID) on $HOSTNAME: $quoted" | tee -a "$log"

"${cmd[@]}" >>"$log" 2>&1 &
pid=$!
TERMED=0
trap 'TERMED=1; kill -TERM "$pid" 2>/dev/null' TERM
wait "$pid"
code=$?
# A trapped signal ends `wait` early (status 143); wait again for the trainer's own status.
((TERMED)) && { wait "$pid"; code=$?; }
echo "$dir: exit $code"

if ((TERMED)) && [[ ! -f $dir/summary.json ]]; then
  echo "$dir: stopped by SIGTERM; requeueing ${SLURM_ARRAY_JOB_ID:-?}_$SLURM_ARRAY_TASK_ID to resume it"
  scontrol requeue "${SLURM_ARRAY_JOB_ID}_$SLURM_ARRAY_TASK_ID" || echo "$dir: scontrol requeue failed; rerun the sweep to resume" >&2
fi
exit "$code"
