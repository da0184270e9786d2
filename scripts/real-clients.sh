#!/usr/bin/env bash
# Public Bitrix24 client libraries that nobody here wrote, installed unchanged
# from PyPI (exact versions in scripts/real_clients/requirements.txt), run
# against `callfull serve`: user paging, contact search by phone, batch, and
# register -> finish -> attachRecord. See scripts/real_clients/*_check.py:
# fast_bitrix24 and bitrix24-rest over http, b24pysdk (the official SDK,
# https only) against a second server started with --tls, trusting its CA;
# aioamocrm (amoCRM API v4) against the first server's /api/v4.
#
# A check that fails because the fake differs from a real portal in a way
# already written down (KNOWN_FAKE_BUGS in a check) is shown as "known" and
# does not fail the run; once the fake is fixed it fails until removed.
#
#   bash scripts/real-clients.sh
#
# CALLFULL_BIN: the callfull binary to serve with (default: cargo build).
# PYTHON: the interpreter (default: python3, 3.9 or newer).
# The Python environment is kept in $CARGO_TARGET_DIR (or target/)
# /real-clients and rebuilt when requirements.txt changes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$SECONDS

python=${PYTHON:-python3}
target_dir=${CARGO_TARGET_DIR:-$root/target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
requirements=$root/scripts/real_clients/requirements.txt
env_dir=$target_dir/real-clients

# No __pycache__ left in scripts/real_clients.
export PYTHONDONTWRITEBYTECODE=1

say() { printf 'real-clients: %s\n' "$*"; }
die() { printf 'real-clients: %s\n' "$*" >&2; exit 1; }

# --- the server binary -------------------------------------------------------
if [ -n "${CALLFULL_BIN:-}" ]; then
    bin=$CALLFULL_BIN
else
    say "cargo build -p callfull-cli"
    bin=$(cargo build -p callfull-cli --locked --message-format=json-render-diagnostics |
        "$python" -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
            and msg["target"]["name"] == "callfull":
        print(msg["executable"])')
fi
[ -x "$bin" ] || die "no callfull binary at '$bin'"

# --- the Python environment --------------------------------------------------
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' ||
    die "$python is older than 3.9"
want=$("$python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$requirements")
pip_flags=(--disable-pip-version-check --no-input --quiet -r "$requirements")
if [ -x "$env_dir/venv/bin/python" ] && [ "$(cat "$env_dir/venv/.requirements" 2>/dev/null)" = "$want" ]; then
    py=$env_dir/venv/bin/python
elif [ -f "$env_dir/site/.requirements" ] && [ "$(cat "$env_dir/site/.requirements")" = "$want" ]; then
    py=$python
    export PYTHONPATH=$env_dir/site
else
    rm -rf "$env_dir"
    mkdir -p "$env_dir"
    if "$python" -m venv "$env_dir/venv" >/dev/null 2>&1; then
        say "pip install into $env_dir/venv"
        "$env_dir/venv/bin/python" -m pip install "${pip_flags[@]}"
        echo "$want" >"$env_dir/venv/.requirements"
        py=$env_dir/venv/bin/python
    else
        # No venv module (Debian without python3-venv): install beside it.
        rm -rf "$env_dir/venv"
        say "no venv module; pip install --target $env_dir/site"
        "$python" -m pip install --target "$env_dir/site" "${pip_flags[@]}"
        echo "$want" >"$env_dir/site/.requirements"
        py=$python
        export PYTHONPATH=$env_dir/site
    fi
fi

# --- the server --------------------------------------------------------------
tmp=$(mktemp -d)
server_pids=()
cleanup() {
    for pid in "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# More than two pages of employees (50 a page) and of contacts.
cat >"$tmp/world.toml" <<'EOF'
employees = 120
contacts = 80
EOF
# start_server LOG [ARGS…]: starts `callfull serve`; sets started_url to the
# URL it announces (http:// or, with --tls, https://).
started_url=
start_server() {
    local log=$1 url= pid
    shift
    "$bin" serve --port 0 --no-rate-limit --world "$tmp/world.toml" "$@" >"$log" 2>&1 &
    pid=$!
    server_pids+=("$pid")
    for _ in $(seq 1 300); do
        url=$(sed -n 's|^callfull: fake Bitrix24 on \(https*://[^ ]*\).*|\1|p' "$log")
        [ -n "$url" ] && break
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$log" >&2
            die "callfull serve exited"
        fi
        sleep 0.05
    done
    [ -n "$url" ] || { cat "$log" >&2; die "callfull serve printed no URL within 15 s"; }
    say "callfull serve $* at $url (pid $pid)"
    started_url=$url
}
start_server "$tmp/serve.log"
url=$started_url
# The official SDK speaks https only: a second server with a certificate made
# at start, its CA trusted through the variables requests and urllib read.
start_server "$tmp/serve-tls.log" --tls --tls-ca "$tmp/ca.pem"
tls_url=$started_url

# --- the libraries -------------------------------------------------------------
failed=()
for check in fast_bitrix24_check bitrix24_rest_check b24pysdk_check amocrm_check; do
    echo
    target=$url
    [ "$check" = b24pysdk_check ] && target=$tls_url
    if ! (cd "$root/scripts/real_clients" &&
        REQUESTS_CA_BUNDLE="$tmp/ca.pem" SSL_CERT_FILE="$tmp/ca.pem" "$py" "$check.py" "$target"); then
        failed+=("$check")
    fi
done

echo
say "done in $((SECONDS - started)) s"
if [ "${#failed[@]}" -gt 0 ]; then
    die "failed: ${failed[*]}"
fi
