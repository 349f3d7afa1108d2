#!/usr/bin/env bash
# The bucket at scale: what an hourly sync costs on one and on ten years of history, pushed
# to a folder remote (file://; a bucket does the same work, plus the network).
#
# Histories: one year and ten years of the demo generator ending yesterday, one sample every
# 30 minutes (every hour of the master table present: 8,760 and 87,600 hours), each imported
# into its own database. For each binary given (the current build, and optionally an older one, run
# interleaved on copies of the same databases), per history:
#   1. a first sync to an empty remote;
#   2. three syncs with nothing new: CPU (user + sys) and peak RSS;
#   3. one new hour (two samples of the current hour imported, as the hourly pull adds
#      them), then one sync: CPU, peak RSS, and the bytes of every object it wrote (what a
#      bucket would be sent).
# Then the lake's size per sample for a year at the demo's 5-15 s cadence.
# Usage: scripts/bench-bucket.sh WORKDIR [OLD_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:?usage: bench-bucket.sh WORKDIR [OLD_BINARY]}
old=${2:-}
mkdir -p "$work"
work=$(cd "$work" && pwd)
cargo build --release --quiet
new=$PWD/target/release/fitpipe
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)"; exit 1; }
# The databases are made by the older binary, when there is one, so both can open them.
maker=${old:-$new}

for years in 1 10; do
  if [ ! -f "$work/hist$years.db" ]; then
    days=$((years * 365 + years / 4))
    "$new" demo --dir "$work/hist$years" --days "$days" --start "$(date -u -d "-$days days" +%F)" \
      --cadence 1800 --generate-only >/dev/null
    "$maker" --db "$work/hist$years.db" import "$work/hist$years/takeout" >/dev/null
  fi
done

cpu() { # label, command... : prints "label: X ms CPU, Y MB RSS"
  local label=$1; shift
  /usr/bin/time -f "%U %S %M" -o "$work/time.txt" "$@" > "$work/out.txt" 2>&1 || { cat "$work/out.txt"; exit 1; }
  read -r u s rss < "$work/time.txt"
  printf '  %-34s %5.0f ms CPU  %6.1f MB RSS\n' "$label" "$(echo "($u + $s) * 1000" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

run() { # name, binary, years
  local name=$1 bin=$2 years=$3
  local db="$work/run-$name-$years.db" remote="$work/remote-$name-$years"
  rm -rf "$db"* "$remote"
  cp "$work/hist$years.db" "$db"
  echo "$name, $years year(s), $(sqlite3 "$db" 'SELECT count(*) FROM hour_max') hours:"
  cpu "first sync" "$bin" --db "$db" --remote "file://$remote" sync
  for i in 1 2 3; do
    cpu "nothing new ($i)" "$bin" --db "$db" --remote "file://$remote" sync
  done
  local now
  now=$(date -u +%s)
  printf 'time,bpm\n%s,77\n%s,81\n' "$((now - 120))" "$((now - 60))" > "$work/one-hour.csv"
  "$bin" --db "$db" import "$work/one-hour.csv" >/dev/null
  touch "$work/mark"
  sleep 1
  cpu "one new hour" "$bin" --db "$db" --remote "file://$remote" sync
  local sent
  sent=$(find "$remote" -type f -newer "$work/mark" -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  echo "  one new hour wrote $(find "$remote" -type f -newer "$work/mark" | wc -l) object(s), $sent bytes"
}

for years in 1 10; do
  run new "$new" "$years"
  if [ -n "$old" ]; then run old "$old" "$years"; fi
done

# The lake's bytes per sample: a year at the demo's cadence (5-15 s).
if [ ! -f "$work/lake-year.db" ]; then
  "$new" demo --dir "$work/lake-year" --days 365 --start 2025-01-01 --generate-only >/dev/null
  "$maker" --db "$work/lake-year.db" import "$work/lake-year/takeout" >/dev/null
fi
for name in new old; do
  bin=$new; [ "$name" = old ] && bin=$old
  [ -n "$bin" ] || continue
  rm -rf "$work/lake-$name" "$work/lake-$name.db"*
  cp "$work/lake-year.db" "$work/lake-$name.db"
  "$bin" --db "$work/lake-$name.db" --remote "file://$work/lake-$name" sync >/dev/null
  samples=$(sqlite3 "$work/lake-$name.db" "SELECT count(*) FROM sample")
  bytes=$(find "$work/lake-$name/samples" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
  echo "lake ($name): $samples samples, $bytes bytes, $(echo "scale=2; $bytes / $samples" | bc) bytes/sample"
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
