#!/usr/bin/env bash
# Validation throughput on one core: callfull's validator against the
# jsonschema crate on the same NDJSON payloads, in one criterion run.
# Prints a Markdown table of medians for docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
cargo bench -p callfull-model --bench validate -- --noplot "$@" 2>&1 | tee "$log" >&2
python3 - "$log" <<'PY'
import json, re, sys, pathlib
log = open(sys.argv[1]).read()
m = re.search(r"corpus: (\d+) payloads, (\d+) bytes", log)
payloads, size = int(m.group(1)), int(m.group(2))
base = pathlib.Path("target/criterion/validate-ndjson")
rows = {}
for d in sorted(base.iterdir()):
    est = d / "new" / "estimates.json"
    if est.exists():
        rows[d.name] = json.load(open(est))["median"]["point_estimate"] / 1e9
peer = rows["jsonschema-is-valid"]
print(f"corpus: {payloads} payloads, {size} bytes ({size // payloads} bytes each)\n")
print("| benchmark | median time | MB/s | payloads/s | vs jsonschema |")
print("|---|---:|---:|---:|---:|")
for name, secs in rows.items():
    print(f"| {name} | {secs*1e3:.1f} ms | {size/secs/1e6:.1f} | {payloads/secs:,.0f} | {peer/secs:.2f}× |")
PY
