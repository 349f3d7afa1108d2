#!/usr/bin/env bash
# Pull benchmark against a local stand-in of the Google Health API (scripts/health-standin.py):
#   1. `fitpipe sync` that finds nothing new, on a database holding a year (the one
#      scripts/bench-import.sh builds): the server has no points in the 48 h window.
#   2. the same, when the 48 h overlap window holds 34,560 or 69,120 points, all stored already:
#      as an hourly sync meets it (the pages committed by the last sync are remembered), and
#      with nothing remembered (the first sync after an upgrade, or after a crash).
#   3. pulling and storing one day of 34,560 points (2.5 s cadence) into that database.
#   4. the bytes of the 48 h window at 2.5 s: whole and pretty-printed, the partial response,
#      and that gzip-compressed, as fitpipe receives it.
#   5. cases 1 and 2 over HTTPS (a throwaway CA made with openssl, trusted via SSL_CERT_FILE),
#      as the real API is reached.
# Each as its own process; CPU (user + sys) and peak RSS are the kernel's rusage for it,
# read with Python's os.wait4 (microseconds, where /usr/bin/time prints 10 ms steps).
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

serve() { # start end cadence [extra stand-in options]
  python3 scripts/health-standin.py --port "$port" --start "$1" --end "$2" --cadence "$3" "${@:4}" &
  server=$!
  for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && return; sleep 0.1; done
}
stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; }
server=""
trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi' EXIT

run() { # label dir args...
  local label=$1 dir=$2; shift 2
  python3 - "$label" "$work/o.txt" "$bin" --config "$dir/config/config.toml" --db "$dir/fitpipe.db" "$@" <<'PY'
import os, subprocess, sys, time
label, out, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic()
with open(out, "w") as f:
    p = subprocess.Popen(argv, stdout=f)
    _, status, ru = os.wait4(p.pid, 0)
wall = time.monotonic() - t
if status:
    sys.exit(f"{label}: exit status {status}")
print(f"{label:<58} CPU {(ru.ru_utime + ru.ru_stime) * 1000:5.1f} ms (user {ru.ru_utime * 1000:.1f} + sys {ru.ru_stime * 1000:.1f}), wall {wall:.2f} s, peak RSS {ru.ru_maxrss / 1024:5.1f} MB")
PY
}

now=$(date -u +%s)
d=$work/pull-empty; setup "$d"
sqlite3 "$d/fitpipe.db" "INSERT OR REPLACE INTO pull_state (account_id, cursor, last_pull_at) VALUES (0, $now, 'bench')"
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
  grep -h "pull:" "$work/o.txt" || true
  for r in 1 2 3; do
    sqlite3 "$d/fitpipe.db" "DELETE FROM pull_page"
    run "the same with no page remembered, run $r" "$d" sync
  done
  stop
done

# The usual hourly sync: the server has one hour more than the last sync saw (1,440 points
# at 2.5 s), the rest of the 48 h overlap unchanged.
for r in 1 2 3; do
  d=$work/pull-hourly; setup "$d"
  serve "$(date -u -d @$((now - 172800)) +%FT%TZ)" "$(date -u -d @$((now - 3600)) +%FT%TZ)" 2.5
  "$bin" --config "$d/config/config.toml" --db "$d/fitpipe.db" sync --since "$(date -u -d @$((now - 172800)) +%F)" > /dev/null
  stop
  serve "$(date -u -d @$((now - 172800)) +%FT%TZ)" "$(date -u -d @$now +%FT%TZ)" 2.5
  run "hourly sync: one new hour at 2.5 s in the overlap, run $r" "$d" sync
  grep -h "pull:" "$work/o.txt" || true
  stop
done

# Over HTTPS, with a throwaway CA trusted through SSL_CERT_FILE.
tls=$work/tls; mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/ca.key" -out "$tls/ca.crt" -days 2 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$tls/leaf.key" -out "$tls/leaf.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > "$tls/leaf.ext"
openssl x509 -req -in "$tls/leaf.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -out "$tls/leaf.crt" -days 2 -extfile "$tls/leaf.ext" 2>/dev/null
export SSL_CERT_FILE=$tls/ca.crt
d=$work/pull-tls; setup "$d"
sed -i "s|http://127.0.0.1|https://127.0.0.1|" "$d/config/config.toml"
sqlite3 "$d/fitpipe.db" "INSERT OR REPLACE INTO pull_state (account_id, cursor, last_pull_at) VALUES (0, $now, 'bench')"
serve 2000-01-01T00:00:00Z 2000-01-02T00:00:00Z 60 --tls "$tls/leaf.crt" "$tls/leaf.key"
for r in 1 2 3; do run "HTTPS: sync, nothing new (server empty), run $r" "$d" sync; done
stop
serve "$(date -u -d @$((now - 172800)) +%FT%TZ)" "$(date -u -d @$now +%FT%TZ)" 2.5 --tls "$tls/leaf.crt" "$tls/leaf.key"
"$bin" --config "$d/config/config.toml" --db "$d/fitpipe.db" sync --since "$(date -u -d @$((now - 172800)) +%F)" > /dev/null
for r in 1 2 3; do run "HTTPS: 48 h overlap at 2.5 s re-fetched, nothing new, run $r" "$d" sync; done
grep -h "pull:" "$work/o.txt" || true
stop
unset SSL_CERT_FILE

# Bytes on the wire for the 48 h window at 2.5 s: the whole answer against the partial one.
serve "$(date -u -d @$((now - 172800)) +%FT%TZ)" "$(date -u -d @$now +%FT%TZ)" 2.5
python3 - "$port" "$now" <<'PY'
import gzip, json, sys, urllib.parse, urllib.request
port, now = int(sys.argv[1]), int(sys.argv[2])
from datetime import datetime, timezone
iso = lambda t: datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
fields = "dataPoints(dataSource(platform,recordingMethod,device(displayName,formFactor),application/packageName),heartRate(sampleTime(physicalTime,utcOffset),beatsPerMinute)),nextPageToken"
partial = {"fields": fields, "prettyPrint": "false"}
for label, extra, gz in (("whole, pretty-printed", {}, False), ("partial (fields, prettyPrint=false)", partial, False), ("partial, gzip", partial, True)):
    total, token = 0, None
    while True:
        q = {"pageSize": 10000, "filter": f'heart_rate.sample_time.physical_time >= "{iso(now - 172800)}" AND heart_rate.sample_time.physical_time < "{iso(now)}"', **extra}
        if token:
            q["pageToken"] = token
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v4/users/me/dataTypes/heart-rate/dataPoints?" + urllib.parse.urlencode(q))
        if gz:
            req.add_header("Accept-Encoding", "gzip")
            req.add_header("User-Agent", "bench (gzip)")
        body = urllib.request.urlopen(req).read()
        total += len(body)
        if gz:
            body = gzip.decompress(body)
        token = json.loads(body).get("nextPageToken")
        if not token:
            break
    print(f"48 h at 2.5 s (69,120 points), {label}: {total:,} bytes")
PY
stop

# One whole day of points, yesterday.
yesterday=$(date -u -d @$((now - 86400)) +%F)
d=$work/pull-day
serve "${yesterday}T00:00:00Z" "$(date -u -d @$now +%F)T00:00:00Z" 2.5
for r in 1 2 3; do
  setup "$d"
  run "pull and store one day (34,560 points), run $r" "$d" sync --since "$yesterday"
done
grep -h "pull:" "$work/o.txt" || true
stop
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
