#!/usr/bin/env bash
# Generation speed: (1) one core, in process, against serde_json serializing the
# same payloads (criterion); (2) the `callfull generate` binary with --jobs 1 and
# --jobs 2 on the same run, 5 runs each. Prints Markdown for docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
cargo bench -p callfull-gen --bench generate -- --noplot "$@" 2>&1 | tee "$log" >&2
python3 - "$log" <<'PY'
import json, re, sys, pathlib
log = open(sys.argv[1]).read()
m = re.search(r"corpus: (\d+) calls, (\d+) payloads, (\d+) bytes", log)
calls, payloads, size = map(int, m.groups())
base = pathlib.Path("target/criterion/generate-default-mix")
rows = {d.name: json.load(open(d / "new" / "estimates.json"))["median"]["point_estimate"] / 1e9
        for d in sorted(base.iterdir()) if (d / "new" / "estimates.json").exists()}
ser = rows["serde-json-serialize-only"]
print(f"corpus: {calls} calls, {payloads} payloads, {size} bytes ({size // payloads} bytes each)\n")
print("| benchmark | median time | payloads/s | MB/s | ÷ serialization |")
print("|---|---:|---:|---:|---:|")
for name, secs in rows.items():
    print(f"| {name} | {secs*1e3:.1f} ms | {payloads/secs:,.0f} | {size/secs/1e6:.1f} | {secs/ser:.2f}× |")
PY
cargo build --release -q
bin=target/release/callfull
count=20000
payloads=$($bin generate --count $count --jobs 1 | wc -l)
echo
echo "binary: $count calls, $payloads payloads, 5 runs each (median)"
echo
echo "| jobs | median wall time | payloads/s | speed-up |"
echo "|---:|---:|---:|---:|"
one=""
for jobs in 1 2; do
    times=$(for i in 1 2 3 4 5; do /usr/bin/time -f "%e" $bin generate --count $count --jobs $jobs 2>&1 >/dev/null; done | sort -n)
    median=$(echo "$times" | sed -n 3p)
    [ -z "$one" ] && one=$median
    python3 -c "print(f'| $jobs | {$median:.2f} s | {$payloads/$median:,.0f} | {$one/$median:.2f}× |')"
done
