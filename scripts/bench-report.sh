#!/usr/bin/env bash
# Report benchmark: five and ten years of hourly data (~44,000 and ~88,000 hours) rendered by
# `fitpipe report`. Generates each history with `fitpipe demo --generate-only` (one sample
# every 10 minutes, so every hour has data but the import stays quick), imports it, then
# times the report three times and prints the file size. Usage: scripts/bench-report.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench-data}
mkdir -p "$work"
work=$(cd "$work" && pwd)
cargo build --release --quiet
bin=$PWD/target/release/fitpipe
for years in five:1826:2021-01-01 decade:3652:2016-01-01; do
  IFS=: read -r name days start <<< "$years"
  if [ ! -f "$work/$name.db" ]; then
    rm -rf "${work:?}/$name"
    "$bin" demo --dir "$work/$name" --days "$days" --start "$start" --cadence 600 --generate-only >/dev/null
    "$bin" --db "$work/$name.db" import "$work/$name/takeout" >/dev/null
  fi
  "$bin" --db "$work/$name.db" status >/dev/null   # a database of an older schema is migrated first
  echo "$name ($days days): $(sqlite3 "$work/$name.db" 'SELECT count(*) FROM hour_max') hours"
  for run in 1 2 3; do
    /usr/bin/time -f "report run $run: %e s wall, %U s user, peak RSS %M KB" \
      "$bin" --db "$work/$name.db" report --out "$work/$name-report.html" >/dev/null
  done
  echo "file: $(stat -c %s "$work/$name-report.html") bytes"
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
