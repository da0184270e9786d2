#!/usr/bin/env bash
# HTTP speed of `callfull serve` (the fake Bitrix24) against a wiremock-rs
# MockServer serving one canned user.get answer, in the same run, on loopback:
# wrk, keep-alive, 50 connections, 2 threads, 3 s warm-up then 10 s measured,
# 3 runs each (median). Also: cold start to first 200, RSS idle and after load,
# and RSS along a million requests.
# Needs wrk (Debian package `wrk`). Prints Markdown for docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
cargo build --release -q -p callfull-cli
cargo build --release -q -p callfull-crm --example wiremock_peer
bin=target/release/callfull
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Cold start: launch, poll until the first 200.
start=$(date +%s%N)
$bin serve --port 18080 --no-rate-limit > "$work/serve.out" &
serve_pid=$!
until curl -sf http://127.0.0.1:18080/_admin/info > "$work/info.json"; do sleep 0.001; done
cold_ms=$(( ($(date +%s%N) - start) / 1000000 ))
hook=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bitrix24"]["webhook_url"])' "$work/info.json")
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$1/status; }
idle_rss=$(rss $serve_pid)

# The peer serves the fake's own user.get body (same bytes on the wire).
curl -gsf "${hook}user.get.json?filter[UF_PHONE_INNER]=101" > "$work/body.json"
target/release/examples/wiremock_peer 18081 "$work/body.json" > "$work/peer.out" &
peer_pid=$!
until [ -s "$work/peer.out" ]; do sleep 0.01; done

cat > "$work/register.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"USER_PHONE_INNER":"101","PHONE_NUMBER":"+79990001122","TYPE":2,"EXTERNAL_CALL_ID":"bench.1"}'
LUA

# amoCRM: the long-lived token, a contact's phone to search, and a call to
# log on that contact (each POST stores one more note: the real work).
amo_token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["amocrm"]["access_token"])' "$work/info.json")
curl -sf http://127.0.0.1:18080/_admin/state > "$work/state.json"
amo_phone=$(python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["amocrm"]["contacts"]:
    for f in c.get("custom_fields_values") or []:
        if f.get("field_code") == "PHONE":
            print("".join(ch for ch in f["values"][0]["value"] if ch.isdigit())); sys.exit()' "$work/state.json")
cat > "$work/amo_get.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $amo_token"
LUA
cat > "$work/amo_calls.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $amo_token"
wrk.body = '[{"direction":"inbound","duration":42,"source":"bench","phone":"$amo_phone","call_status":4,"uniq":"bench"}]'
LUA

measure() { # url [script] -> "req/s p50 p99"
    local url=$1 script=${2:-}
    local args=(-t2 -c50 --latency)
    [ -n "$script" ] && args+=(-s "$script")
    wrk "${args[@]}" -d3s "$url" > /dev/null
    wrk "${args[@]}" -d10s "$url" | awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print rps, p50, p99}'
}

median3() { sort -n -k1 | sed -n 2p; }

echo "| target | req/s (median of 3) | p50 | p99 |"
echo "|---|---:|---:|---:|"
for target in user.get wiremock register amo-contacts-query amo-calls; do
    for i in 1 2 3; do
        case $target in
            user.get) measure "${hook}user.get.json?filter[UF_PHONE_INNER]=101" ;;
            wiremock) measure "http://127.0.0.1:18081/rest/1/x/user.get.json" ;;
            register) measure "${hook}telephony.externalcall.register.json" "$work/register.lua" ;;
            amo-contacts-query) measure "http://127.0.0.1:18080/api/v4/contacts?query=$amo_phone" "$work/amo_get.lua" ;;
            amo-calls) measure "http://127.0.0.1:18080/api/v4/calls" "$work/amo_calls.lua" ;;
        esac
    done | median3 | awk -v t="$target" '{printf "| %s | %s | %s | %s |\n", t, $1, $2, $3}'
done
echo
# RSS over a million requests: user.get in 15 s slices until 1 000 000 are
# answered, RSS after each slice (the journal is capped, so it should level off).
total=0
samples=""
while [ "$total" -lt 1000000 ]; do
    n=$(wrk -t2 -c50 -d15s "${hook}user.get.json?filter[UF_PHONE_INNER]=101" | awk '/requests in/ {print $1}')
    total=$((total + n))
    samples="$samples $((total / 1000))k:$(rss $serve_pid)MiB"
done
echo "RSS over $total user.get requests (after each slice):$samples"
echo "callfull serve: cold start to first 200 ${cold_ms} ms; RSS idle ${idle_rss} MiB, after the runs $(rss $serve_pid) MiB; wiremock RSS after $(rss $peer_pid) MiB"
