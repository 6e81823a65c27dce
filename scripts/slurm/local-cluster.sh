#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for the Slurm tests (npm run test:slurm) and for
# trying `seq2seq train|ablate --executor slurm` without a cluster.
#
#   bash scripts/slurm/local-cluster.sh start    # install if missing, start, wait until the node is idle
#   bash scripts/slurm/local-cluster.sh status   # exit 0 when the cluster answers and its node is usable
#   bash scripts/slurm/local-cluster.sh stop     # stop slurmd, slurmctld and munged (started here)
#
# Debian's packages (munge slurmctld slurmd slurm-client), run as root without systemd: munged as the
# munge user, then `slurmctld -D` and `slurmd -D` in the background. The node is this machine under the
# name `localhost` (NodeName=localhost, slurmd -N localhost); proctrack/linuxproc and task/none need no
# cgroups; SlurmdParameters=config_overrides lets the node declare what slurm.conf says.
#
# Idempotent: `start` on a running cluster only checks it. State (slurm.conf, logs, spool, saved
# jobs) lives outside the repository in $SEQ2SEQ_SLURM_HOME (default ~/.cache/seq2seq-lab-slurm);
# /etc/slurm/slurm.conf is made a link to its slurm.conf (when there is no other slurm.conf there),
# so that sbatch, squeue and scontrol find the cluster without SLURM_CONF.
#
# The node declares 4 CPUs (SEQ2SEQ_SLURM_CPUS) whatever the machine has, so that the tests can run an
# array two at a time beside another job (config_overrides lets slurmd accept that). Two partitions: `debug` (default, no time limit) and `short` (MaxTime 5 minutes, so that a longer
# --time is refused: EnforcePartLimits=ALL). AuthInfo cred_expire=10 makes a requeued job eligible
# again 11 s after the requeue instead of Slurm's default 121 s, and sched_interval/bf_interval=5
# start it within 5 s of that (the tests requeue jobs; the mechanism is the same, only quicker).
set -euo pipefail

HOME_DIR="${SEQ2SEQ_SLURM_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/seq2seq-lab-slurm}"
CONF="$HOME_DIR/slurm.conf"
ETC_CONF=/etc/slurm/slurm.conf
NODE=localhost
CPUS="${SEQ2SEQ_SLURM_CPUS:-4}"
PACKAGES=(munge slurmctld slurmd slurm-client)

log() { printf '[local-slurm] %s\n' "$*" >&2; }
die() { printf '[local-slurm] ERROR: %s\n' "$*" >&2; exit 1; }

# A daemon killed without its parent reaping it stays a zombie (kill -0 still succeeds): not alive.
pid_alive() {
  local pid
  [ -f "$1" ] && pid=$(cat "$1") && kill -0 "$pid" 2>/dev/null || return 1
  ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$pid/stat" 2>/dev/null
}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "run as root to install ${missing[*]} and start the daemons"
  log "installing ${missing[*]} (Debian packages)"
  # Another apt may be running on the machine: wait for the dpkg lock.
  apt-get -o DPkg::Lock::Timeout=600 update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# Writes slurm.conf; returns 1 when it changed (daemons that run must be restarted to use it).
write_conf() {
  mkdir -p "$HOME_DIR"/{state,spool,log}
  cat >"$CONF.new" <<EOF
# Written by scripts/slurm/local-cluster.sh (seq2seq-lab): a one-node test cluster.
ClusterName=seq2seq-local
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=cred_expire=10
StateSaveLocation=$HOME_DIR/state
SlurmdSpoolDir=$HOME_DIR/spool
SlurmctldPidFile=$HOME_DIR/slurmctld.pid
SlurmdPidFile=$HOME_DIR/slurmd.pid
SlurmctldLogFile=$HOME_DIR/log/slurmctld.log
SlurmdLogFile=$HOME_DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=5,bf_interval=5
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
EnforcePartLimits=ALL
ReturnToService=2
MinJobAge=600
KillWait=10
InactiveLimit=0
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$NODE CPUs=$CPUS RealMemory=4096 State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
PartitionName=short Nodes=$NODE MaxTime=00:05:00 State=UP
EOF
  local changed=0
  cmp -s "$CONF.new" "$CONF" || changed=1
  mv "$CONF.new" "$CONF"
  mkdir -p /etc/slurm
  if [ -L "$ETC_CONF" ] || [ ! -e "$ETC_CONF" ]; then
    ln -sfn "$CONF" "$ETC_CONF"
  elif ! cmp -s "$ETC_CONF" "$CONF"; then
    log "note: $ETC_CONF is another cluster's; use this one with: export SLURM_CONF=$CONF"
  fi
  return $changed
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  if munge_works; then return 0; fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  [ -f /etc/munge/munge.key ] || { /usr/sbin/mungekey --create --force 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key; }
  log "starting munged"
  runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 1 40); do munge_works && return 0; sleep 0.25; done
  die "munged does not answer; see /var/log/munge/munged.log"
}

start_daemons() {
  export SLURM_CONF="$CONF"
  # Daemons outlive this script: they run from the cluster's own folder, not from the caller's (a
  # checkout deleted later would leave every job step's slurmstepd without a working directory,
  # "Unable to get current working directory" on each task's stderr).
  cd "$HOME_DIR"
  if ! pid_alive "$HOME_DIR/slurmctld.pid"; then
    log "starting slurmctld"
    setsid /usr/sbin/slurmctld -D -f "$CONF" >>"$HOME_DIR/log/slurmctld.stdout" 2>&1 </dev/null &
    echo $! >"$HOME_DIR/slurmctld.pid"
  fi
  # slurmctld answers before slurmd registers.
  for _ in $(seq 1 60); do scontrol ping >/dev/null 2>&1 && break; sleep 0.5; done
  scontrol ping >/dev/null 2>&1 || die "slurmctld does not answer; see $HOME_DIR/log/slurmctld.log"
  if ! pid_alive "$HOME_DIR/slurmd.pid"; then
    log "starting slurmd"
    setsid /usr/sbin/slurmd -D -N "$NODE" -f "$CONF" >>"$HOME_DIR/log/slurmd.stdout" 2>&1 </dev/null &
    echo $! >"$HOME_DIR/slurmd.pid"
  fi
}

node_state() { SLURM_CONF="$CONF" sinfo -h -n "$NODE" -o '%t' 2>/dev/null | head -1; }

wait_idle() {
  local state=""
  for i in $(seq 1 120); do
    state=$(node_state)
    case "$state" in
      idle|mix|alloc) log "node $NODE is $state"; return 0 ;;
      down*|drain*|fail*)
        # A node left down by an earlier run (or a test that failed it): bring it back.
        [ $((i % 4)) = 1 ] && SLURM_CONF="$CONF" scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  die "node $NODE did not become idle (state: ${state:-unknown}); see $HOME_DIR/log/slurmd.log"
}

status() {
  pid_alive "$HOME_DIR/slurmctld.pid" && pid_alive "$HOME_DIR/slurmd.pid" || return 1
  SLURM_CONF="$CONF" scontrol ping >/dev/null 2>&1 || return 1
  case "$(node_state)" in idle|mix|alloc) return 0 ;; *) return 1 ;; esac
}

stop() {
  for d in slurmd slurmctld; do
    if pid_alive "$HOME_DIR/$d.pid"; then
      log "stopping $d"
      kill "$(cat "$HOME_DIR/$d.pid")"
      for _ in $(seq 1 40); do pid_alive "$HOME_DIR/$d.pid" || break; sleep 0.25; done
    fi
    rm -f "$HOME_DIR/$d.pid"
  done
  if [ -f /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; then
    log "stopping munged"
    local pid
    pid=$(cat /run/munge/munged.pid)
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
}

case "${1:-}" in
  start)
    install_packages
    if ! write_conf; then
      # slurm.conf changed (this script was updated): restart the daemons that run with the old one.
      if pid_alive "$HOME_DIR/slurmctld.pid" || pid_alive "$HOME_DIR/slurmd.pid"; then log "slurm.conf changed: restarting"; stop; fi
    fi
    if status; then log "running (slurm.conf: $CONF)"; exit 0; fi
    start_munge
    start_daemons
    wait_idle
    log "ready: $(sinfo --version) · slurm.conf $CONF · logs $HOME_DIR/log"
    ;;
  stop) stop ;;
  status)
    if status; then echo "running: node $NODE $(node_state) · slurm.conf $CONF"; else echo "not running"; exit 1; fi
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
