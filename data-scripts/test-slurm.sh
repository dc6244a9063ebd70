#!/usr/bin/env bash
# test-slurm.sh (npm run test:slurm): `sweep.sh --slurm` on a real one-node Slurm cluster brought up here.
#
# Needs root and Debian 12 (Slurm 22.05); installs slurm-wlm and munge with apt-get when missing. Starts
# munged (as the munge user, unless it runs already), slurmctld and slurmd by hand with a slurm.conf of
# its own in a temporary folder (SLURM_CONF; /etc/slurm is left alone), runs a 2-run q sweep of
# configs/default.yaml (2 steps, 2 test samples) through `sweep.sh --slurm`, checks summary.csv and each
# run's Slurm job id, and stops what it started. Run from anywhere; builds dist/ when missing.
# KEEP=1 keeps the temporary folder (logs, the sweep) for a look.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

fail() { echo "test-slurm: FAIL: $*" >&2; exit 1; }
((EUID == 0)) || fail "needs root (it installs packages and starts slurmctld, slurmd and munged)"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  echo "test-slurm: installing slurm-wlm and munge" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null
fi
[[ -d dist ]] || npm run build >/dev/null

T=$(mktemp -d /tmp/test-slurm.XXXXXX)
export SLURM_CONF=$T/slurm.conf
STARTED_MUNGE=0
cleanup() {
  set +e
  squeue -h -o %i 2>/dev/null | xargs -r scancel 2>/dev/null
  for d in slurmd slurmctld; do [[ -s $T/$d.pid ]] && kill "$(cat "$T/$d.pid")"; done
  ((STARTED_MUNGE)) && [[ -s /run/munge/munged.pid ]] && kill "$(cat /run/munge/munged.pid)"
  sleep 1
  if [[ ${KEEP:-} == 1 ]]; then echo "test-slurm: kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge && chown munge:munge /run/munge
  [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile /etc/munge/munge.key
  runuser -u munge -- munged
  STARTED_MUNGE=1
fi

HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo) # below the real memory, or slurmd drains the node
mkdir -p "$T/state" "$T/spool"
# Slurm 22.05 without systemd or cgroups: no cgroup.conf, linuxproc process tracking, no task plugin.
cat >"$SLURM_CONF" <<EOF
ClusterName=tsallis-test
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do [[ $(sinfo -h -o %T 2>/dev/null) == idle ]] && break; sleep 1; done
[[ $(sinfo -h -o %T) == idle ]] || fail "the node is not idle: $(sinfo -h -o '%T %E'); see $T/slurmctld.log and $T/slurmd.log (KEEP=1)"
echo "test-slurm: Slurm is up ($HOST, $CPUS CPUs)" >&2

OUT=$T/sweep
data-scripts/sweep.sh --slurm --q 0,1 --threads 1 --out "$OUT" \
  --set train.steps=2 --set train.eval_every=0 --set eval.samples=2 configs/default.yaml ||
  fail "sweep.sh --slurm exited $?; logs in $OUT/slurm and $OUT/*.log (KEEP=1)"

[[ -f $OUT/summary.csv ]] || fail "no $OUT/summary.csv"
# Its rows: task,start,method,q,seed,...; one per run.
qs=$(awk -F, 'NR > 1 { print $4 }' "$OUT/summary.csv" | sort | paste -sd,)
[[ $qs == 0,1 ]] || fail "summary.csv has runs of q $qs, not 0 and 1"
for q in 0 1; do
  run=default-q$q
  grep -q '"slurm_job_id": *"[0-9]' "$OUT/$run/summary.json" || fail "$run/summary.json records no Slurm job id"
  grep -q '"slurm_array_task_id": *"[01]"' "$OUT/$run/summary.json" || fail "$run/summary.json records no array task id"
done
echo "test-slurm: PASS: 2 runs through sweep.sh --slurm, summary.csv has both, each records its Slurm job" >&2
