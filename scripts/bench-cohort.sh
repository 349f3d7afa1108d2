#!/usr/bin/env bash
# A cohort of 100 accounts in one bucket (a folder remote): what one laptop's hourly sync of
# its own account costs there, against the same account alone in a bucket.
#
# The measured account holds one year, one sample every 30 minutes; the 99 others 30 days
# each, synced to the shared remote by one machine. The laptop's config names its account
# (remote.accounts). For each remote: a first sync, three syncs with nothing new, one new hour
# (CPU, peak RSS, bytes written), as in scripts/bench-bucket.sh.
# Usage: scripts/bench-cohort.sh WORKDIR
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:?usage: bench-cohort.sh WORKDIR}
mkdir -p "$work"
work=$(cd "$work" && pwd)
cargo build --release --quiet
bin=$PWD/target/release/fitpipe

cpu() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%U %S %M" -o "$work/time.txt" "$@" > "$work/out.txt" 2>&1 || { cat "$work/out.txt"; exit 1; }
  read -r u s rss < "$work/time.txt"
  printf '  %-34s %5.0f ms CPU  %6.1f MB RSS\n' "$label" "$(echo "($u + $s) * 1000" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

if [ ! -d "$work/year" ]; then
  "$bin" demo --dir "$work/year" --days 365 --start "$(date -u -d '-365 days' +%F)" \
    --cadence 1800 --generate-only >/dev/null
  "$bin" demo --dir "$work/month" --days 30 --start "$(date -u -d '-30 days' +%F)" \
    --cadence 1800 --generate-only >/dev/null
fi
if [ ! -d "$work/remote-cohort" ]; then
  rm -f "$work/others.db"*
  for i in $(seq -w 1 99); do
    "$bin" --db "$work/others.db" --account "p0$i" import "$work/month/takeout" >/dev/null
  done
  "$bin" --db "$work/others.db" --remote "file://$work/remote-cohort" sync >/dev/null
fi
echo "the shared remote: $(ls "$work/remote-cohort/hourly_max" | wc -l) accounts, $(find "$work/remote-cohort/samples" -type f | wc -l) parts"

for where in alone cohort; do
  db="$work/laptop-$where.db"
  remote="$work/remote-$where"
  rm -f "$db"*
  [ "$where" = alone ] && rm -rf "$remote"
  [ "$where" = cohort ] && find "$remote" -path '*p000*' -delete 2>/dev/null || true
  "$bin" --db "$db" --account p000 import "$work/year/takeout" >/dev/null
  printf '[remote]\nurl = "file://%s"\naccounts = ["p000"]\n' "$remote" > "$work/laptop.toml"
  echo "p000 $where:"
  cpu "first sync" "$bin" --config "$work/laptop.toml" --db "$db" sync
  for i in 1 2 3; do
    cpu "nothing new ($i)" "$bin" --config "$work/laptop.toml" --db "$db" sync
  done
  now=$(date -u +%s)
  printf 'time,bpm\n%s,77\n%s,81\n' "$((now - 120))" "$((now - 60))" > "$work/one-hour.csv"
  "$bin" --db "$db" --account p000 import "$work/one-hour.csv" >/dev/null
  touch "$work/mark"
  sleep 1
  cpu "one new hour" "$bin" --config "$work/laptop.toml" --db "$db" sync
  sent=$(find "$remote" -type f -newer "$work/mark" -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  echo "  one new hour wrote $(find "$remote" -type f -newer "$work/mark" | wc -l) object(s), $sent bytes"
done
# The same laptop without remote.accounts takes every account of the bucket.
printf '[remote]\nurl = "file://%s"\n' "$work/remote-cohort" > "$work/all.toml"
cp "$work/laptop-cohort.db" "$work/laptop-all.db"
echo "p000 cohort, without remote.accounts:"
cpu "first sync (takes 99 accounts)" "$bin" --config "$work/all.toml" --db "$work/laptop-all.db" sync
cpu "nothing new" "$bin" --config "$work/all.toml" --db "$work/laptop-all.db" sync
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
