#!/usr/bin/env bash
# Ticket batches on a real engine: a single-node Slurm cluster on this machine runs the
# shards of a generated batch as a job array (`--shard auto`), `culprit merge`
# recombines them, and the result must equal one run over the whole batch, byte for
# byte. Run by .ci/run. Needs root (munged, slurmctld and slurmd); skips with a note
# without it. Installs Debian's slurm-wlm and munge when they are missing. Every daemon
# it starts is stopped by its PID, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

note() { echo "slurm test: $*"; }
if [ "$(id -u)" != 0 ]; then
    note "skipped: needs root to run munged, slurmctld and slurmd"
    exit 0
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    note "installing slurm-wlm and munge"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null
    fi
fi

cargo build -q --bin culprit --example gen-tickets
CULPRIT=$ROOT/target/debug/culprit
GEN=$ROOT/target/debug/examples/gen-tickets

WORK=$(mktemp -d /tmp/culprit-slurm.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
    for f in "$WORK"/slurmd.pid "$WORK"/slurmctld.pid /run/munge/munged.pid; do
        [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    sleep 1
    for f in "$WORK"/slurmd.pid "$WORK"/slurmctld.pid /run/munge/munged.pid; do
        [ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# munge: its own user, its own dirs, a key (the package makes one).
mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge
chmod 755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
fi
runuser -u munge -- /usr/sbin/munged --force

HOST=$(hostname -s)
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/parts" "$WORK/logs"
chown slurm:slurm "$WORK/state"
chmod 777 "$WORK/parts" "$WORK/logs"
cat > "$WORK/slurm.conf" <<CONF
ClusterName=local
SlurmctldHost=$HOST
SlurmUser=slurm
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ReturnToService=2
MailProg=/bin/true
NodeName=$HOST CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
chmod 644 "$WORK/slurm.conf"
export SLURM_CONF=$WORK/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 60); do
    if sinfo -h -o '%t' 2>/dev/null | grep -q idle; then break; fi
    sleep 1
done
sinfo -h -o '%t' | grep -q idle || { note "the node never came up"; cat "$WORK"/slurm*.log; exit 1; }

# The batch: ordinary tickets and every hard case (a bomb under --max-member 8M).
"$GEN" "$WORK/batch" 40 hard > "$WORK/planted.tsv"
chmod -R a+rX "$WORK/batch"
SHARDS=4
cat > "$WORK/job.sh" <<JOB
#!/bin/sh
# culprit exits 2 here (the batch holds a corrupt ticket and a bomb): the part is
# what counts, so the task succeeds when the part was written.
"$CULPRIT" scan --tickets "$WORK/batch" --shard auto --max-member 8M -j 1 -q \
    -f jsonl -o "$WORK/parts/part-\$SLURM_ARRAY_TASK_ID.jsonl"
test -s "$WORK/parts/part-\$SLURM_ARRAY_TASK_ID.jsonl"
JOB
chmod 755 "$WORK/job.sh"
sbatch --wait --array=0-$((SHARDS - 1)) --output="$WORK/logs/task-%a.txt" "$WORK/job.sh"

"$CULPRIT" merge "$WORK"/parts/part-*.jsonl -o "$WORK/merged.jsonl" || true
"$CULPRIT" scan --tickets "$WORK/batch" --max-member 8M -q -f jsonl -o "$WORK/one.jsonl" || true
parts=$(ls "$WORK"/parts/part-*.jsonl | wc -l)
tickets=$(grep -c '"type":"ticket"' "$WORK/merged.jsonl")
if [ "$parts" != "$SHARDS" ] || ! cmp -s "$WORK/merged.jsonl" "$WORK/one.jsonl"; then
    note "FAILED: $parts parts; the merge differs from one run"
    diff <(head -c 2000 "$WORK/merged.jsonl") <(head -c 2000 "$WORK/one.jsonl") || true
    exit 1
fi
note "ok: $SHARDS array tasks on Slurm $(sinfo -V | cut -d' ' -f2), $tickets tickets, merge == one run ($(wc -c < "$WORK/one.jsonl") bytes)"
