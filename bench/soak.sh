#!/usr/bin/env bash
# A 30-minute soak: the release build on the records seed (bench/seed.sql, 100,000 episodes),
# every request authenticated and audited, mixed reads, writes and 304 polls at a fixed rate
# (bench/soak.py), RSS sampled every 10 s. Results in bench/results/soak-<stamp>.md.
#
#   bench/soak.sh                          # 800 req/s for 1800 s
#   RATE=400 SECONDS_TOTAL=300 bench/soak.sh
#   BIN=.build/release/relieflog bench/soak.sh   # skip the release build
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RATE=${RATE:-800}
SECONDS_TOTAL=${SECONDS_TOTAL:-1800}
PORT=${PORT:-18580}
for tool in sqlite3 curl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install sqlite3 curl python3" >&2; exit 1; }
done
if [[ -z ${BIN:-} ]]; then
    (cd "$ROOT" && swift build -c release --product relieflog >/dev/null)
    BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)/relieflog
fi
WORK=$(mktemp -d)
SERVER=""
cleanup() {
    [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
DB=$WORK/soak.sqlite
RELIEFLOG_LOG_LEVEL=warning "$BIN" migrate --db "$DB" --migrations "$ROOT/Migrations" >/dev/null
sqlite3 "$DB" < "$ROOT/bench/seed.sql"
TOKEN=$(RELIEFLOG_LOG_LEVEL=warning "$BIN" token create --role admin --label soak --db "$DB" --migrations "$ROOT/Migrations")
cat > "$WORK/config.json" <<'JSON'
{"rateLimits": {"perTokenPerSecond": 1000000000, "perTokenBurst": 1000000000,
                "perAddressPerSecond": 1000000000, "perAddressBurst": 1000000000}}
JSON
# The access log stays on, as in production (one JSON line per request, to /dev/null here).
RELIEFLOG_CONFIG=$WORK/config.json RELIEFLOG_LOG_LEVEL=warning \
    "$BIN" serve --port "$PORT" --db "$DB" --migrations "$ROOT/Migrations" > /dev/null 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.1
done
mkdir -p "$ROOT/bench/results"
OUT=$ROOT/bench/results/soak-$(date -u +%Y%m%dT%H%M%SZ).md
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" > "$OUT.head"
python3 "$ROOT/bench/soak.py" --base "http://127.0.0.1:$PORT" --token "$TOKEN" --pid "$SERVER" \
    --rate "$RATE" --seconds "$SECONDS_TOTAL" --out "$OUT.body"
status=$?
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT.head"
cat "$OUT.head" "$OUT.body" > "$OUT" && rm -f "$OUT.head" "$OUT.body"
echo "results: $OUT"
exit $status
