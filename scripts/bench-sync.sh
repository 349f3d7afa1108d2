#!/usr/bin/env bash
# Sync benchmark: reconcile of a 10-year master table (87,600 hours), and what an hourly
# sync that changed one hour uploads. Uses a folder remote (file://); the reconcile's work
# (read, parse, merge, compare, write) is the same for a bucket, minus the network.
# Usage: scripts/bench-sync.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench-data}
mkdir -p "$work"
work=$(cd "$work" && pwd)
cargo build --release --quiet
bin=$PWD/target/release/fitpipe
remote="file://$work/ten-remote"
if [ ! -f "$work/ten.db" ]; then
  rm -rf "$work/ten" "$work/ten-remote"
  # Ten years, one sample every 30 minutes: every hour of the master table is present.
  "$bin" demo --dir "$work/ten" --days 3652 --start 2016-01-01 --cadence 1800 --generate-only >/dev/null
  "$bin" --db "$work/ten.db" import "$work/ten/takeout" >/dev/null
  "$bin" --db "$work/ten.db" --remote "$remote" sync >/dev/null
fi
echo "hours in the master table: $(sqlite3 "$work/ten.db" 'SELECT count(*) FROM hour_max')"
for run in 1 2 3; do
  /usr/bin/time -f "sync with nothing new, run $run: %e s wall, %U s user + %S s sys CPU, peak RSS %M KB" \
    "$bin" --db "$work/ten.db" --remote "$remote" sync >/dev/null
done
# One new hour: count the objects the sync writes.
last=$(sqlite3 "$work/ten.db" "SELECT max(hour) FROM hour_max")
next=$((last + 3600))
printf 'time,bpm\n%s,77\n%s,81\n' "$((next + 60))" "$((next + 120))" > "$work/one-hour.csv"
"$bin" --db "$work/ten.db" import "$work/one-hour.csv" >/dev/null
touch "$work/mark"
sleep 1
"$bin" --db "$work/ten.db" --remote "$remote" sync | tail -1
echo "objects written by that sync:"
find "$work/ten-remote" -type f -newer "$work/mark" | sed "s|$work/ten-remote/|  |"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
