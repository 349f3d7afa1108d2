#!/usr/bin/env bash
# The late window's cost: an hourly `fitpipe sync` that finds nothing new when the server
# holds the last 7 days at a sample every 2.5 s (241,920 points), all stored already, on the
# one-year database of scripts/bench-import.sh. fitpipe checks the whole week for late
# uploads (one hourly roll-up request, spec 1.6) and reads the last 6 h again with `list`.
# With OLD_BINARY given (a fitpipe built before the late window, whose syncs re-read a 48 h
# overlap), the same syncs of that binary are measured in the same run, against the same
# server, for comparison. Requests and bytes are the stand-in's own count of what it sent.
# Each sync is its own process; CPU (user + sys) and peak RSS are the kernel's rusage.
# Usage: scripts/bench-late.sh [WORKDIR] [OLD_BINARY]   (run scripts/bench-import.sh WORKDIR first,
# with the old binary when one is compared: a database of a newer schema is not opened by it)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench-data}
work=$(cd "$work" && pwd)
old=${2:-}
test -f "$work/year.db" || { echo "run scripts/bench-import.sh $work first"; exit 1; }
cargo build --release --quiet
new=$PWD/target/release/fitpipe
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$work/late-requests.log

setup() { # dir binary
  rm -rf "$1"; mkdir -p "$1/tokens" "$1/config"
  cp "$work/year.db" "$1/fitpipe.db"
  "$2" --db "$1/fitpipe.db" status > /dev/null
  printf '{"access_token":"bench","access_expires_at":4102444800,"refresh_token":"bench","refresh_expires_at":null,"scope":"s"}' > "$1/tokens/default.json"
  chmod 600 "$1/tokens/default.json"
  sqlite3 "$1/fitpipe.db" "INSERT OR REPLACE INTO auth_login VALUES (0, 'file', 's', 'bench')"
  cat > "$1/config/config.toml" <<TOML
[google]
client_id = "bench"
client_secret = "bench"
api_base_url = "http://127.0.0.1:$port"
token_store = "file"
min_request_interval_ms = 0
TOML
}

now=$(date -u +%s)
week_ago=$((now - 7 * 86400))
python3 scripts/health-standin.py --port "$port" --start "$(date -u -d @$week_ago +%FT%TZ)" \
  --end "$(date -u -d @$now +%FT%TZ)" --cadence 2.5 --log "$log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

run() { # label binary dir
  : > "$log"
  python3 - "$1" "$work/o.txt" "$2" --config "$3/config/config.toml" --db "$3/fitpipe.db" sync <<'PY'
import os, subprocess, sys, time
label, out, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic()
with open(out, "w") as f:
    p = subprocess.Popen(argv, stdout=f)
    _, status, ru = os.wait4(p.pid, 0)
wall = time.monotonic() - t
if status:
    sys.exit(f"{label}: exit status {status}")
print(f"{label:<44} CPU {(ru.ru_utime + ru.ru_stime) * 1000:5.1f} ms, wall {wall:.2f} s, peak RSS {ru.ru_maxrss / 1024:5.1f} MB", end="")
PY
  awk '{n[$1]++; b+=$2} END {printf ", requests: %d list + %d rollUp, %d bytes received\n", n["list"], n["rollUp"], b}' "$log"
}

for bin in "$new" ${old:+"$old"}; do
  name=$([ "$bin" = "$new" ] && echo "this build" || echo "old build")
  d=$work/late-$([ "$bin" = "$new" ] && echo new || echo old); setup "$d" "$bin"
  "$bin" --config "$d/config/config.toml" --db "$d/fitpipe.db" sync --since "$(date -u -d @$week_ago +%F)" > /dev/null
  "$bin" --config "$d/config/config.toml" --db "$d/fitpipe.db" sync > /dev/null
  for r in 1 2 3; do run "$name: sync, nothing new, run $r" "$bin" "$d"; done
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
