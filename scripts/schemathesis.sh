#!/usr/bin/env bash
# Property-based API testing: builds the server, starts it on a free loopback port with a fresh
# database, runs Schemathesis against its own /openapi.json, stops the server and exits with
# Schemathesis' status. Extra arguments go to `st run`.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v st >/dev/null || { echo "schemathesis (st) is not installed: pip install 'schemathesis>=4,<5'" >&2; exit 2; }

swift build
binary="$(swift build --show-bin-path)/relieflog"

work="$(mktemp -d)"
server=""
cleanup() {
    if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

"$binary" serve --host 127.0.0.1 --port 0 --db "$work/db.sqlite" --migrations Migrations >"$work/server.log" 2>&1 &
server=$!

url=""
for _ in $(seq 1 100); do
    url="$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$work/server.log" | head -n1 | sed 's/^listening on //' || true)"
    if [[ -n "$url" ]] && curl -fsS "$url/readyz" >/dev/null 2>&1; then break; fi
    kill -0 "$server" 2>/dev/null || { echo "the server exited:" >&2; cat "$work/server.log" >&2; exit 1; }
    url=""
    sleep 0.1
done
[[ -n "$url" ]] || { echo "the server did not become ready:" >&2; cat "$work/server.log" >&2; exit 1; }

status=0
st --config-file scripts/schemathesis.toml run "$url/openapi.json" \
    --checks all --seed 42 --max-examples 20 --workers 2 --request-timeout 10 "$@" || status=$?
exit "$status"
