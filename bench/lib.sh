# Shared by the bench/ scripts (sourced). Each benchmark prints result rows on stdout, one per
# figure, tab-separated, for bench/run to turn into the report:
#   figure  median  min  max  unit  peer  peer_median  target  note
# `target` is empty or "<op> <number>" on the median (">= 50000", "<= 5"); `peer` names what the
# figure is compared with (a ceiling or another tool measured in the same run).

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_pids=()
bench_work=$(mktemp -d)
chmod 755 "$bench_work"   # nginx workers (user nobody) read files from here
bench_cleanup() {
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$bench_work"
}
trap bench_cleanup EXIT

say() { echo "  $*" >&2; }
now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }

# "median min max" of the numbers given.
stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s\n", v[int((NR + 1) / 2)], v[1], v[NR] }'; }

# row figure unit target note peer peer_median -- samples...
row() {
  local figure=$1 unit=$2 target=$3 note=$4 peer=$5 peer_median=$6
  shift 7
  read -r med lo hi <<<"$(stats "$@")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$figure" "$med" "$lo" "$hi" "$unit" "$peer" "$peer_median" "$target" "$note"
  say "$(printf '%-62s %12s %s' "$figure" "$med" "$unit")"
}

port_in_log() { grep -o 'listening on http://[0-9.]*:[0-9]*' "$1" 2>/dev/null | head -1 | sed 's/.*://'; }
wait_for_log_port() {  # log -> prints port
  for _ in $(seq 300); do
    local p
    p=$(port_in_log "$1")
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.05
  done
  echo "no 'listening on' line in $1:" >&2
  cat "$1" >&2
  return 1
}
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
free_port() {  # a random port nothing on loopback listens on now
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  echo "free_port: no free port found" >&2
  return 1
}

rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# The counts of a host's "finished: ..." line (apps/framehost/commands.cpp), read once here:
# prints "completed filtered failed dropped seconds"; nothing when $1 is not such a line.
finished_counts() {
  sed -n 's/.*finished: \([0-9]*\) completed, \([0-9]*\) filtered, \([0-9]*\) failed, \([0-9]*\) dropped in \([0-9.]*\) s.*/\1 \2 \3 \4 \5/p' <<<"$1"
}

# Frames a host at API port $1 has finished (completed or failed).
frames_done() {
  curl -s "http://127.0.0.1:$1/metrics" | grep -o '"frames_processed":[0-9]*' | head -1 | cut -d: -f2
}

start_frame_buffer() {  # log -> sets fb_pid, fb_port
  "$build/bin/frame-buffer" --port 0 --max-size 10000000 >/dev/null 2>"$1" &
  fb_pid=$!
  bench_pids+=("$fb_pid")
  fb_port=$(wait_for_log_port "$1")
}

start_host() {  # config log -> sets host_pid, host_port
  "$build/bin/framehost" --config "$1" >/dev/null 2>"$2" &
  host_pid=$!
  bench_pids+=("$host_pid")
  host_port=$(wait_for_log_port "$2")
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# Of the video_source instance of a host at API port $1: "frames_out_total streaming_cameras".
camera_figures() {
  curl -s "http://127.0.0.1:$1/health" | /usr/bin/python3 -c 'import json,sys
c = json.load(sys.stdin)["details"]["plugins"]["video_source"]["cameras"].values()
print(sum(x["frames_out"] for x in c), sum(x["state"] == "streaming" for x in c))'
}
# CPU time of process $1 so far, in clock ticks (getconf CLK_TCK a second).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Waits until the host at API port $1 has $2 cameras streaming; false after 20 s.
wait_cameras_streaming() {
  local streaming=0
  for _ in $(seq 100); do
    read -r _ streaming <<<"$(camera_figures "$1")"
    [ "$streaming" = "$2" ] && return 0
    sleep 0.2
  done
  echo "only $streaming of $2 cameras stream" >&2
  return 1
}
