#!/usr/bin/env bash
# Report benchmark: five years of hourly data (~44,000 hours) rendered by `fitpipe report`.
# Generates the history with `fitpipe demo --generate-only` (one sample every 10 minutes, so
# every hour has data but the import stays quick), imports it, then times the report three
# times and prints the file size. Usage: scripts/bench-report.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench-data}
mkdir -p "$work"
work=$(cd "$work" && pwd)
cargo build --release --quiet
bin=$PWD/target/release/fitpipe
if [ ! -f "$work/five.db" ]; then
  rm -rf "$work/five"
  "$bin" demo --dir "$work/five" --days 1826 --start 2021-01-01 --cadence 600 --generate-only >/dev/null
  "$bin" --db "$work/five.db" import "$work/five/takeout" >/dev/null
fi
echo "hours: $(sqlite3 "$work/five.db" 'SELECT count(*) FROM hour_max')"
for run in 1 2 3; do
  /usr/bin/time -f "report run $run: %e s wall, %U s user, peak RSS %M KB" \
    "$bin" --db "$work/five.db" report --out "$work/five-report.html" >/dev/null
done
echo "file: $(stat -c %s "$work/five-report.html") bytes"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
