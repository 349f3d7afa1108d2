#!/usr/bin/env bash
# Query benchmark: `SELECT * FROM samples` over the one-year database of the import
# benchmark (about 6.1 M rows), by fitpipe in every format and by the sqlite3 shell, in one
# run, each as its own process writing to /dev/null: wall time and peak RSS; then how soon
# the first row reaches a reader that stops after one line (as `| head -1` does).
# Usage: scripts/bench-query.sh [WORKDIR]   (run scripts/bench-import.sh WORKDIR first)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench-data}
work=$(cd "$work" && pwd)
test -f "$work/year.db" || { echo "run scripts/bench-import.sh $work first"; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)"; exit 1; }
cargo build --release --quiet
bin=$PWD/target/release/fitpipe
db="$work/year.db"
sql="SELECT * FROM samples"
echo "rows: $(sqlite3 "$db" "SELECT count(*) FROM sample")"

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > /dev/null 2> "$work/err.txt" || { cat "$work/err.txt"; exit 1; }
  read -r secs rss_kb < "$work/time.txt"
  printf '%-34s %7.2f s  peak RSS %7.1f MB\n' "$label" "$secs" "$(echo "$rss_kb/1024" | bc -l)"
}

for run in 1 2 3; do
  measure "sqlite3 -csv, run $run" sqlite3 -csv -header "$db" "$sql"
  measure "fitpipe query --format csv, run $run" "$bin" --db "$db" query --format csv "$sql"
  measure "fitpipe query --format ndjson, run $run" "$bin" --db "$db" query --format ndjson "$sql"
  measure "sqlite3 -json, run $run" sqlite3 -json "$db" "$sql"
  measure "fitpipe query --format json, run $run" "$bin" --db "$db" query --format json "$sql"
done
measure "fitpipe query (table)" "$bin" --db "$db" query "$sql"

# The first row, read by a reader that then goes away.
python3 - "$bin" "$db" "$sql" <<'PY'
import subprocess, sys, time
bin, db, sql = sys.argv[1:]
for fmt in ["csv", "ndjson", "json", "table"]:
    t = time.monotonic()
    p = subprocess.Popen([bin, "--db", db, "query", "--format", fmt, sql], stdout=subprocess.PIPE)
    p.stdout.readline()
    if fmt in ("csv", "json"):
        p.stdout.readline()  # past the header line or the opening bracket
    first = time.monotonic() - t
    p.stdout.close()
    code = p.wait()
    total = time.monotonic() - t
    print(f"first row, --format {fmt:<7} {first * 1000:7.1f} ms; process ended {total * 1000:7.1f} ms, exit code {code}")
PY
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
