#!/usr/bin/env bash
# from-cel throughput and peak memory on a 5 000 000-row CEL CSV made by the
# generator: release build, one core (taskset -c 0 when available), RUNS runs
# per stage selection; prints each run and the medians.
#
#   scripts/bench-from-cel.sh            # 3 runs
#   RUNS=5 scripts/bench-from-cel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
CSV=${CSV:-${TMPDIR:-/tmp}/callfull-cel-5m.csv}
cargo build --release -q -p callfull-cli
BIN=${CARGO_TARGET_DIR:-target}/release/callfull
if [ ! -s "$CSV" ]; then
  # 310 000 calls of the default mix give 5 035 006 rows.
  "$BIN" generate --cel --count 310000 --seed 1 > "$CSV"
fi
ROWS=$(($(wc -l < "$CSV") - 1))
TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT
PIN=()
command -v taskset > /dev/null && PIN=(taskset -c 0)
echo "$ROWS rows, $(du -m "$CSV" | cut -f1) MB: $CSV"
for stage in call_ended all; do
  secs=(); kbs=()
  # The peer, same core, same run: generate makes and prints the same calls
  # from scratch (simulate + assemble + print), no CSV to read.
  if [ "$stage" = call_ended ]; then
    /usr/bin/time -o "$TIMES" -f "%e %M" "${PIN[@]}" "$BIN" generate --count 310000 --seed 1 --stage call_ended --jobs 1 > /dev/null
    out=$(tail -1 "$TIMES")
    awk -v s="${out% *}" -v r="$ROWS" 'BEGIN { printf "  peer: generate --stage call_ended --jobs 1 %6.2f s (%0.0f rows/s equivalent)\n", s, r / s }'
  fi
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -o "$TIMES" -f "%e %M" "${PIN[@]}" "$BIN" from-cel --stage "$stage" "$CSV" > /dev/null 2> /dev/null
    out=$(tail -1 "$TIMES")
    secs+=("${out% *}"); kbs+=("${out#* }")
    awk -v s="${out% *}" -v k="${out#* }" -v r="$ROWS" -v st="$stage" \
      'BEGIN { printf "  --stage %-10s %6.2f s  %9.0f rows/s  peak RSS %6.1f MB\n", st, s, r / s, k / 1024 }'
  done
  ms=$(printf '%s\n' "${secs[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  mk=$(printf '%s\n' "${kbs[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  awk -v s="$ms" -v k="$mk" -v r="$ROWS" -v st="$stage" \
    'BEGIN { printf "median --stage %-10s %6.2f s  %9.0f rows/s  peak RSS %6.1f MB\n", st, s, r / s, k / 1024 }'
done
