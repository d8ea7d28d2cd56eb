#!/usr/bin/env bash
# Does webhook delivery slow the write path? Two servers from the same binary, each on its own
# copy of the records seed: A without webhooks, B with one active webhook (every event) whose
# receiver answers only after DELAY seconds (bench/slow-receiver.py), so B's delivery queue
# grows for the whole run. bench/ab.sh then measures POST /v1/episodes on both in alternating
# rounds and prints the ratio B/A (the contract asks for at least 0.90).
#
#   bench/run-webhooks.sh [BIN] [ROUNDS] [SECONDS]      # BIN defaults to .build/release/relieflog
#   env: DELAY (receiver's delay per request, default 0.2)
#
# Both servers write the event outbox (the /v1/events feed exists without webhooks); what B
# adds is the delivery rows, the worker and its HTTP traffic. Every process started here is
# stopped by its PID.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-$ROOT/.build/release/relieflog} ROUNDS=${2:-6} SECONDS_PER=${3:-5}
for tool in wrk sqlite3 curl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install wrk sqlite3 curl python3" >&2; exit 1; }
done
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
cat > "$WORK/config.json" <<'JSON'
{"rateLimits": {"perTokenPerSecond": 1000000000, "perTokenBurst": 1000000000,
                "perAddressPerSecond": 1000000000, "perAddressBurst": 1000000000},
 "accessLog": false}
JSON

start() {
    local side=$1 db="$WORK/$1.sqlite"
    RELIEFLOG_CONFIG=$WORK/config.json RELIEFLOG_LOG_LEVEL=warning "$BIN" migrate --db "$db" --migrations "$ROOT/Migrations" >/dev/null
    sqlite3 "$db" < "$ROOT/bench/seed.sql"
    local token
    token=$(RELIEFLOG_CONFIG=$WORK/config.json RELIEFLOG_LOG_LEVEL=warning "$BIN" token create --role admin --label bench --db "$db" --migrations "$ROOT/Migrations")
    sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    RELIEFLOG_CONFIG=$WORK/config.json RELIEFLOG_LOG_LEVEL=warning \
        "$BIN" serve --host 127.0.0.1 --port 0 --db "$db" --migrations "$ROOT/Migrations" >"$WORK/$side.log" 2>&1 &
    local pid=$! url=""
    PIDS+=("$pid")
    for _ in $(seq 1 100); do
        url=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$WORK/$side.log" | head -n1 | sed 's/^listening on //' || true)
        [[ -n $url ]] && curl -fsS "$url/healthz" >/dev/null 2>&1 && break
        url=""
        sleep 0.1
    done
    [[ -n $url ]] || { echo "server $side did not start:" >&2; cat "$WORK/$side.log" >&2; exit 1; }
    printf -v "PORT_$side" '%s' "${url##*:}"
    printf -v "PID_$side" '%s' "$pid"
    printf -v "TOKEN_$side" '%s' "$token"
}

start A
start B
python3 "$ROOT/bench/slow-receiver.py" > "$WORK/receiver.port" &
PIDS+=("$!")
for _ in $(seq 1 50); do [[ -s $WORK/receiver.port ]] && break; sleep 0.1; done
RECEIVER_PORT=$(head -n1 "$WORK/receiver.port")
curl -fsS -o /dev/null -X POST "http://127.0.0.1:$PORT_B/v1/webhooks" -H "Authorization: Bearer $TOKEN_B" \
    -H 'Content-Type: application/json' \
    -d "{\"url\": \"http://127.0.0.1:$RECEIVER_PORT/hook\", \"events\": [\"*\"], \"description\": \"slow receiver\"}"
export TOKEN_A TOKEN_B
LUA="$ROOT/bench/post-episode.lua" "$ROOT/bench/ab.sh" "$PORT_A" "$PID_A" "$PORT_B" "$PID_B" "$ROUNDS" "$SECONDS_PER"
echo "B's webhook queue at the end: $(curl -fsS "http://127.0.0.1:$PORT_B/metrics" | grep '^relieflog_webhook_queue_depth')"
echo "B's deliveries: $(curl -fsS "http://127.0.0.1:$PORT_B/metrics" | grep '^relieflog_webhook_deliveries_total' | tr '\n' ' ')"
