# shellcheck shell=bash disable=SC2034 # (the variables are used by the scripts that source this)
# Shared by start.sh and stop.sh: where the lab lives, which daemon listens
# where, and how to tell our own daemons from anyone else's.
#
# Every daemon is started with a config file under $RUN_DIR, so a process is
# "ours" only when its command line names that directory: stop.sh never
# signals a process on a name alone.

PATH=$PATH:/usr/sbin:/sbin # knotd, nsd and unbound live in sbin
LAB_DNS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=$LAB_DNS_DIR/run
LOCK_FILE=$LAB_DNS_DIR/run.lock

# The address plan (documented in lab/README.md). All inside 127.0.0.0/8,
# which Linux routes to the loopback interface without any setup.
UNBOUND_ADDR=127.53.0.53
UNREACHABLE_ADDR=127.53.9.9 # a delegation points here; nothing ever listens
DATA_NET=127.53.100         # A records of lab names; nothing listens there either

# Authoritative servers, in start order: id, implementation, addresses.
SERVERS=(knot-root knot-tld nsd-tld knot-sld nsd-sld nsd-bogus nsd-web)
declare -A SERVER_IMPL=(
  [knot-root]=knot [knot-tld]=knot [knot-sld]=knot
  [nsd-tld]=nsd [nsd-sld]=nsd [nsd-bogus]=nsd [nsd-web]=nsd
)
declare -A SERVER_ADDRS=(
  [knot-root]="127.53.0.1 127.53.0.2"
  [knot-tld]=127.53.1.1
  [nsd-tld]=127.53.2.1
  [knot-sld]=127.53.3.1
  [nsd-sld]=127.53.4.1
  [nsd-bogus]=127.53.5.1
  [nsd-web]="127.53.6.1 127.53.6.2"
)
# IPv6 addresses a server also listens on (IP_FREEBIND: lab/net/start.sh puts
# them on lo, so the DNS lab's own health checks never ask them).
declare -A SERVER_ADDRS6=(
  [nsd-web]="fd00:5a5a::53:1 fd00:5a5a::53:2"
)
DAEMONS=("${SERVERS[@]}" unbound)

log() { printf 'dns-lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The PID of a process we started, or nothing: the process must be alive and
# its command line must name our run directory (a stale pid file may hold a
# number that the kernel has since given to someone else).
is_ours() {
  local pid=$1 cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmdline == *"$RUN_DIR/"* ]]
}

recorded_pid() {
  local file=$RUN_DIR/$1.pid pid
  [[ -s $file ]] || return 1
  read -r pid <"$file" || true
  is_ours "$pid" && printf '%s\n' "$pid"
}

# Every process of ours, recorded or not: after stop_lab has stopped the
# recorded daemons, what is left is what a crash or a removed pid file left
# behind (NSD's worker processes too).
our_pids() {
  local dir pid comm
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    comm=$(cat "$dir/comm" 2>/dev/null) || continue
    case $comm in knotd | nsd | "nsd: "* | unbound) ;; *) continue ;; esac # NSD renames its processes "nsd: main" etc.
    is_ours "$pid" && printf '%s\n' "$pid"
  done
}

# Signals each PID with TERM, waits up to $2 seconds for all of them, then
# sends KILL to whatever is left.
terminate() {
  local pids=() timeout=$2 pid deadline alive
  read -ra pids <<<"$1"
  [[ ${#pids[@]} -gt 0 ]] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while :; do
    alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    [[ ${#alive[@]} -eq 0 ]] && return 0
    [[ $SECONDS -ge $deadline ]] && break
    sleep 0.1
  done
  log "still running after ${timeout}s, sending KILL to ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

# True when the server at $1 answers authoritatively for zone $2.
answers_soa() {
  local out
  out=$(dig +norec +time=1 +tries=1 @"$1" "$2" SOA 2>/dev/null) || return 1
  [[ $out == *"status: NOERROR"* && $out =~ flags:[a-z\ ]*\ aa ]]
}

# Stops every daemon of ours: first those the pid files name, then any
# process of ours left without one (after a crash). Prints the two counts.
stop_lab() {
  local id pid recorded=() stray=()
  for id in "${DAEMONS[@]}"; do
    pid=$(recorded_pid "$id") && recorded+=("$pid")
  done
  terminate "${recorded[*]}" 10
  mapfile -t stray < <(our_pids)
  terminate "${stray[*]}" 5
  rm -f "$RUN_DIR"/*.pid
  echo "${#recorded[@]} ${#stray[@]}"
}

# Holds an exclusive lock for the rest of the script, so that two starts (or
# a start and a stop) never interleave.
take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 60 9 || die "another start.sh or stop.sh still holds $LOCK_FILE"
}
