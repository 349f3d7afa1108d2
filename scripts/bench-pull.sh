#!/usr/bin/env bash
# Pull benchmark against a local stand-in of the Google Health API (scripts/health-standin.py):
#   1. `fitpipe sync` that finds nothing new, on a database holding a year (the one
#      scripts/bench-import.sh builds): the server has no points in the 48 h window.
#   2. the same, when the 48 h overlap window holds 34,560 or 69,120 points, all stored already.
#   3. pulling and storing one day of 34,560 points (2.5 s cadence) into that database.
# Each as its own process, timed with /usr/bin/time (CPU = user + sys, peak RSS).
# Usage: scripts/bench-pull.sh [WORKDIR]   (run scripts/bench-import.sh WORKDIR first)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench-data}
work=$(cd "$work" && pwd)
test -f "$work/year.db" || { echo "run scripts/bench-import.sh $work first"; exit 1; }
cargo build --release --quiet
bin=$PWD/target/release/fitpipe
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

setup() { # dir
  rm -rf "$1"; mkdir -p "$1/tokens" "$1/config"
  cp "$work/year.db" "$1/fitpipe.db"
  "$bin" --db "$1/fitpipe.db" status > /dev/null   # migrates a database an older fitpipe wrote
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

serve() { # start end cadence
  python3 scripts/health-standin.py --port "$port" --start "$1" --end "$2" --cadence "$3" &
  server=$!
  for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && return; sleep 0.1; done
}
stop() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; true' EXIT

run() { # label dir args...
  local label=$1 dir=$2; shift 2
  /usr/bin/time -f "%U %S %M %e" -o "$work/t.txt" "$bin" --config "$dir/config/config.toml" --db "$dir/fitpipe.db" "$@" > "$work/o.txt"
  read -r u s m e < "$work/t.txt"
  printf '%-58s CPU %4.0f ms (user %s s + sys %s s), wall %s s, peak RSS %5.1f MB\n' "$label" "$(echo "($u + $s) * 1000" | bc -l)" "$u" "$s" "$e" "$(echo "$m/1024" | bc -l)"
}

now=$(date -u +%s)
d=$work/pull-empty; setup "$d"
sqlite3 "$d/fitpipe.db" "INSERT OR REPLACE INTO pull_state VALUES (0, $now, 'bench')"
serve 2000-01-01T00:00:00Z 2000-01-02T00:00:00Z 60
for r in 1 2 3; do run "sync, nothing new (server empty), run $r" "$d" sync; done
stop

# The last 48 h on the server, pulled once; then syncs that re-fetch them and find them stored.
# At 5 s (34,560 points, the low end of a day's 17,000-40,000) and 2.5 s (69,120 points).
for cadence in 5 2.5; do
  d=$work/pull-overlap; setup "$d"
  serve "$(date -u -d @$((now - 172800)) +%FT%TZ)" "$(date -u -d @$now +%FT%TZ)" "$cadence"
  "$bin" --config "$d/config/config.toml" --db "$d/fitpipe.db" sync --since "$(date -u -d @$((now - 172800)) +%F)" > /dev/null
  for r in 1 2 3; do run "sync, 48 h overlap at ${cadence} s re-fetched, nothing new, run $r" "$d" sync; done
  stop
done

# One whole day of points, yesterday.
yesterday=$(date -u -d @$((now - 86400)) +%F)
d=$work/pull-day; setup "$d"
serve "${yesterday}T00:00:00Z" "$(date -u -d @$now +%F)T00:00:00Z" 2.5
for r in 1 2 3; do
  cp "$work/year.db" "$d/fitpipe.db"
  "$bin" --db "$d/fitpipe.db" status > /dev/null
  sqlite3 "$d/fitpipe.db" "INSERT OR REPLACE INTO auth_login VALUES (0, 'file', 's', 'bench')"
  run "pull and store one day (34,560 points), run $r" "$d" sync --since "$yesterday"
done
grep -h "pull:" "$work/o.txt" || true
stop
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
