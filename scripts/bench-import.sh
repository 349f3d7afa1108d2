#!/usr/bin/env bash
# Import benchmark for fitpipe (issue: one year of Takeout at 5-second cadence).
#
# Generates a one-year Takeout export (JSON + CSV twins, ~6.1 M samples, 731 files) with
# `fitpipe demo --generate-only`, then measures, each as its own process:
#   1. fitpipe import of the .zip into an empty database, three runs: wall time, samples/s
#      (of the last run), peak RSS; then of the same export as a .tgz, its members in date
#      order (as `tar --sort=name` stores them), in the folder's directory order and in
#      reverse date order
#   2. bytes per sample of the resulting database file
#   3. fitpipe import of one new day into that year-long database
#   4. the same samples loaded by the sqlite3 shell's .import (ts,bpm CSV into a rowid table)
#   5. the same samples loaded by DuckDB from the Takeout CSV files (if python3 -m duckdb works)
# Usage: scripts/bench-import.sh [WORKDIR]   (default: ./bench-data; needs ~1 GB of disk)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench-data}
mkdir -p "$work"
work=$(cd "$work" && pwd)
cargo build --release --quiet
bin=$PWD/target/release/fitpipe
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)"; exit 1; }

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/out.txt" 2>&1 || { cat "$work/out.txt"; exit 1; }
  read -r secs rss_kb < "$work/time.txt"
  printf '%-44s %8.2f s  peak RSS %6.1f MB\n' "$label" "$secs" "$(echo "$rss_kb/1024" | bc -l)"
}

if [ ! -f "$work/year/takeout.zip" ]; then
  "$bin" demo --dir "$work/year" --days 365 --start 2025-01-01 --cadence 5 --generate-only --zip >/dev/null
fi
for run in 1 2 3; do
  rm -f "$work"/year.db*
  measure "fitpipe import (year, .zip), run $run" "$bin" --db "$work/year.db" import "$work/year/takeout.zip"
  cat "$work/out.txt"
done
samples=$(sqlite3 "$work/year.db" "SELECT count(*) FROM sample")
bytes=$(stat -c %s "$work/year.db")
echo "samples/s: $(echo "$samples / $secs" | bc)"
echo "database: $bytes bytes for $samples samples = $(echo "scale=2; $bytes / $samples" | bc) bytes/sample"

for order in name none reverse; do
  if [ ! -f "$work/year/takeout-$order.tgz" ] && [ "$order" = reverse ]; then
    # Dates descending (as a folder on tmpfs lists the files it was given in date order).
    (cd "$work/year/takeout" && find . -type f | sort -r) > "$work/reverse.list"
    tar -czf "$work/year/takeout-$order.tgz" -C "$work/year/takeout" --no-recursion -T "$work/reverse.list"
  elif [ ! -f "$work/year/takeout-$order.tgz" ]; then
    tar --sort="$order" -czf "$work/year/takeout-$order.tgz" -C "$work/year/takeout" .
  fi
  for run in 1 2 3; do
    rm -f "$work"/tgz.db*
    measure "fitpipe import (year, .tgz, --sort=$order), run $run" "$bin" --db "$work/tgz.db" import "$work/year/takeout-$order.tgz"
    cat "$work/out.txt"
  done
done

rm -f "$work"/folder.db*
measure "fitpipe import (year, folder)" "$bin" --db "$work/folder.db" import "$work/year/takeout"

if [ ! -d "$work/day" ]; then
  "$bin" demo --dir "$work/day" --days 1 --start 2026-01-01 --cadence 5 --generate-only >/dev/null
fi
cp "$work/year.db" "$work/plusday.db"
measure "fitpipe import (one new day into the year)" "$bin" --db "$work/plusday.db" import "$work/day/takeout"
cat "$work/out.txt"

# Reference loads of the same samples.
if [ ! -f "$work/samples.csv" ]; then
  sqlite3 "$work/year.db" -csv "SELECT key, bpm FROM sample ORDER BY key" > "$work/samples.csv"
fi
rm -f "$work/shell.db"
sqlite3 "$work/shell.db" "PRAGMA journal_mode=WAL; CREATE TABLE raw (ts INTEGER PRIMARY KEY, bpm INTEGER NOT NULL);" >/dev/null
measure "sqlite3 shell .import (ts,bpm CSV)" sqlite3 "$work/shell.db" -cmd ".mode csv" ".import $work/samples.csv raw"
echo "sqlite3 shell loaded $(sqlite3 "$work/shell.db" "SELECT count(*) FROM raw") rows"

if python3 -c "import duckdb" 2>/dev/null; then
  rm -f "$work/duck.db"
  measure "duckdb read_csv (Takeout CSV files)" python3 -c "
import duckdb, sys
con = duckdb.connect(sys.argv[1])
con.execute(\"CREATE TABLE raw AS SELECT * FROM read_csv(?, header=true)\", [sys.argv[2]])
print(con.execute('SELECT count(*) FROM raw').fetchone()[0], 'rows')
" "$work/duck.db" "$work/year/takeout/Takeout/Google Health/Physical Activity_GoogleData/heart_rate_*.csv"
  cat "$work/out.txt"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
