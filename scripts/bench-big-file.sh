#!/usr/bin/env bash
# Memory benchmark for fitpipe's import of one huge heart-rate file (issue: a single file of
# 2 GB imports with peak RSS under 100 MB).
#
# Generates, once, a 2.05 GB Takeout heart-rate CSV (50,647,680 rows at 5 s from 2015-01-01,
# one source), a 2.05 GB Takeout JSON file (29,946,240 readings), and a .tgz and a .zip holding
# the CSV,
# then imports each into an empty database as its own process: wall time, samples/s, peak RSS.
# Usage: scripts/bench-big-file.sh [WORKDIR]   (default: ./bench-data; needs ~8 GB of disk)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench-data}
mkdir -p "$work/big"
work=$(cd "$work" && pwd)
cargo build --release --quiet
bin=$PWD/target/release/fitpipe

csv="$work/big/heart_rate_2015-01-01.csv"
json="$work/big/heart_rate-2015-01-01.json"
if [ ! -f "$csv" ]; then
  python3 - "$csv" <<'PY'
import datetime, sys
tod = [f'T{h:02d}:{m:02d}:{s:02d}Z,' for h in range(24) for m in range(60) for s in range(0, 60, 5)]
bpm = [f'{50 + (i * 7) % 97}.0,Pixel Watch 3\n' for i in range(97)]
d, size, i = datetime.date(2015, 1, 1), 0, 0
with open(sys.argv[1], 'w') as f:
    f.write('timestamp,beats per minute,data source\n')
    while size < 2_050_000_000:
        chunk = ''.join(d.isoformat() + tod[k] + bpm[(i + k) % 97] for k in range(17280))
        i += 17280
        f.write(chunk)
        size += len(chunk)
        d += datetime.timedelta(days=1)
PY
fi
if [ ! -f "$json" ]; then
  python3 - "$json" <<'PY'
import datetime, sys
tod = [f'{h:02d}:{m:02d}:{s:02d}' for h in range(24) for m in range(60) for s in range(0, 60, 5)]
d, size, i = datetime.date(2015, 1, 1), 0, 0
with open(sys.argv[1], 'w') as f:
    f.write('[')
    while size < 2_050_000_000:
        day = d.strftime('%m/%d/%y ')
        chunk = ',\n'.join('{"dateTime":"' + day + tod[k] + '","value":{"bpm":' + str(50 + (i + k) % 97)
                           + ',"confidence":3}}' for k in range(17280))
        f.write((',\n' if i else '') + chunk)
        i += 17280
        size += len(chunk)
        d += datetime.timedelta(days=1)
    f.write(']')
PY
fi
if [ ! -f "$work/big/csv.tgz" ]; then
  tar -czf "$work/big/csv.tgz" -C "$work/big" "$(basename "$csv")"
fi
if [ ! -f "$work/big/csv.zip" ]; then
  (cd "$work/big" && zip -1 -q csv.zip "$(basename "$csv")")
fi

for input in "$csv" "$json" "$work/big/csv.tgz" "$work/big/csv.zip"; do
  rm -f "$work"/big.db*
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" --db "$work/big.db" import "$input" > "$work/out.txt" 2>&1 || { cat "$work/out.txt"; exit 1; }
  read -r secs rss_kb < "$work/time.txt"
  samples=$(grep -o '[0-9,]* new samples' "$work/out.txt" | tr -d ',' | cut -d' ' -f1)
  printf '%-28s %12s bytes %8.2f s  %5.2f M samples/s  peak RSS %6.1f MB\n' "$(basename "$input")" \
    "$(stat -c %s "$input")" "$secs" "$(echo "$samples / $secs / 1000000" | bc -l)" "$(echo "$rss_kb/1024" | bc -l)"
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
