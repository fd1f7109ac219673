# shellcheck shell=bash
# What the web and mail labs (lab/net, lab/mail) share: logging, telling the
# lab's own processes from anyone else's, stopping them, the start/stop lock,
# waiting for listeners, finding Node and removing the lab's IPv6 addresses.
#
# Every function takes the lab's name ("web-lab", "mail-lab") and/or its run
# directory as arguments rather than reading globals, so one shell may source
# both labs' common.sh. Each lab's lib/common.sh wraps these under its own
# prefix (net_is_ours, mail_is_ours, ...), which its scripts call.
#
# A process is "ours" only when its command line names the run directory:
# every process a lab starts has a path under it on its command line.
LAB_COMMON_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

lab_log() { # NAME MESSAGE...
  local name=$1
  shift
  printf '%s: %s\n' "$name" "$*" >&2
}

lab_die() { # NAME MESSAGE...
  local name=$1
  shift
  lab_log "$name" "error: $*"
  exit 1
}

lab_is_ours() { # RUN_DIR PID
  local run_dir=$1 pid=$2 cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmdline == *"$run_dir/"* ]]
}

# PIDs recorded in RUN_DIR/*.pid that are still ours.
lab_recorded_pids() { # RUN_DIR
  local file pid
  for file in "$1"/*.pid; do
    [[ -s $file ]] || continue
    read -r pid <"$file" || true
    lab_is_ours "$1" "$pid" && printf '%s\n' "$pid"
  done
  return 0
}

# Every process whose command line names RUN_DIR (what a crash left behind).
lab_our_pids() { # RUN_DIR
  local dir pid
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    lab_is_ours "$1" "$pid" && printf '%s\n' "$pid"
  done
  return 0
}

# TERM to PIDS (one space-separated word), KILL to those still alive after TIMEOUT seconds.
lab_terminate() { # NAME "PIDS" TIMEOUT
  local name=$1 pids=() timeout=$3 pid deadline alive
  read -ra pids <<<"$2"
  [[ ${#pids[@]} -gt 0 ]] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while :; do
    alive=()
    for pid in "${pids[@]}"; do
      # A zombie is gone for our purposes (its parent reaps it later).
      [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) =~ ^[^Z]$ ]] && alive+=("$pid")
    done
    [[ ${#alive[@]} -eq 0 ]] && return 0
    [[ $SECONDS -ge $deadline ]] && break
    sleep 0.1
  done
  lab_log "$name" "still running after ${timeout}s, sending KILL to ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

# Stops the recorded processes, then any stray one, and removes the pid
# files. Prints "PROCESSES STRAYS".
lab_stop_processes() { # NAME RUN_DIR
  local recorded=() stray=()
  mapfile -t recorded < <(lab_recorded_pids "$2")
  lab_terminate "$1" "${recorded[*]}" 10
  mapfile -t stray < <(lab_our_pids "$2")
  lab_terminate "$1" "${stray[*]}" 5
  rm -f "$2"/*.pid
  echo "${#recorded[@]} ${#stray[@]}"
}

# Removes every address under PREFIX (e.g. fd00:5a5a:) from lo; only one lab
# uses each prefix. Prints how many it removed.
lab_remove_ipv6() { # PREFIX
  local addr count=0
  while read -r addr; do
    ip -6 addr del "$addr" dev lo 2>/dev/null && count=$((count + 1))
  done < <(ip -6 -o addr show dev lo | awk '{print $4}' | grep -i "^$1:" || true)
  echo "$count"
}

# Takes the lab's start/stop lock on file descriptor FD (the lab's servers
# are started with it closed, so they never hold it).
lab_take_lock() { # NAME FD LOCK_FILE
  eval "exec $2>\"\$3\""
  flock -w 120 "$2" || lab_die "$1" "another start.sh or stop.sh still holds $3"
}

# Waits until every "ADDRESS PORT" line LISTENERS (a function) prints accepts
# a TCP connection; after TIMEOUT seconds says which do not, and fails.
lab_wait_listening() { # NAME LISTENERS TIMEOUT
  local name=$1 deadline=$((SECONDS + $3)) pending=() still check addr port
  mapfile -t pending < <("$2")
  while :; do
    still=()
    for check in "${pending[@]}"; do
      read -r addr port <<<"$check"
      timeout 1 bash -c "exec 3<>/dev/tcp/$addr/$port" 2>/dev/null || still+=("$check")
    done
    pending=("${still[@]}")
    [[ ${#pending[@]} -eq 0 ]] && return 0
    if [[ $SECONDS -ge $deadline ]]; then
      lab_log "$name" "nothing listens on: ${pending[*]:0:10} (see run/*.log)"
      return 1
    fi
    sleep 0.2
  done
}

# The repository's Node (.tools) or the one on PATH, when it is 22.18 or newer
# (it runs the labs' TypeScript servers directly).
lab_find_node() { # NAME
  local candidate
  for candidate in "$LAB_COMMON_DIR/../../.tools/node/bin/node" "$(command -v node 2>/dev/null || true)"; do
    [[ -n $candidate && -x $candidate ]] || continue
    "$candidate" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1)' 2>/dev/null &&
      { echo "$candidate"; return; }
  done
  lab_die "$1" "no Node 22.18 or newer (source scripts/node-env.sh first)"
}

# What stop.sh prints, from lab_stop_processes's counts and the addresses
# removed ("PROCESSES STRAYS ADDRESSES" on stdin).
lab_stop_report() { # NAME
  local processes strays addresses
  read -r processes strays addresses
  if [[ $processes -eq 0 && $strays -eq 0 && $addresses -eq 0 ]]; then
    echo "$1: not running"
  else
    echo "$1: stopped $processes processes ($strays without a pid file), removed $addresses addresses from lo"
  fi
}
