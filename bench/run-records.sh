#!/usr/bin/env bash
# Records endpoints beside the peers: GET /v1/episodes/{random id}, POST /v1/episodes, with
# ReliefLog on its own schema seeded like the peers' database (bench/seed.sql: 100,000 episodes).
#
#   bench/run-records.sh            # nginx, hummingbird, vapor, relieflog; 2 runs
#   ONLY=hummingbird,relieflog RUNS=1 bench/run-records.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${PEERS_DIR:-$ROOT/../shared/bench}
for tool in wrk nginx sqlite3; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install wrk nginx-light sqlite3" >&2; exit 1; }
done
(cd "$ROOT" && swift build -c release --product relieflog >/dev/null)
BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)/relieflog
SEED=${TMPDIR:-/tmp}/relieflog-bench-seed.sqlite
rm -f "$SEED" "$SEED-wal" "$SEED-shm"
RELIEFLOG_LOG_LEVEL=warning "$BIN" migrate --db "$SEED" --migrations "$ROOT/Migrations"
sqlite3 "$SEED" < "$ROOT/bench/seed.sql"
# Every request carries an admin token (authentication, role check and audit log all run);
# the rate limits stay on but high enough never to refuse the load.
TOKEN=$(RELIEFLOG_LOG_LEVEL=warning "$BIN" token create --role admin --label bench --db "$SEED" --migrations "$ROOT/Migrations")
sqlite3 "$SEED" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
CONFIG=${TMPDIR:-/tmp}/relieflog-bench-config.json
cat > "$CONFIG" <<'JSON'
{"rateLimits": {"perTokenPerSecond": 1000000000, "perTokenBurst": 1000000000,
                "perAddressPerSecond": 1000000000, "perAddressBurst": 1000000000}}
JSON
# BASELINE_BIN (optional): a relieflog binary from before access control (and BASELINE_MIGRATIONS,
# its Migrations directory), measured in the same run on its own copy of the same seed, to
# report the cost of authentication + audit as a ratio.
EXTRA=()
if [[ -n ${BASELINE_BIN:-} ]]; then
    BASE_SEED=${TMPDIR:-/tmp}/relieflog-bench-seed-baseline.sqlite
    rm -f "$BASE_SEED" "$BASE_SEED-wal" "$BASE_SEED-shm"
    echo '{}' > "${TMPDIR:-/tmp}/relieflog-bench-baseline.json"  # its own defaults, not this checkout's file
    RELIEFLOG_CONFIG=${TMPDIR:-/tmp}/relieflog-bench-baseline.json RELIEFLOG_LOG_LEVEL=warning "$BASELINE_BIN" migrate --db "$BASE_SEED" --migrations "$BASELINE_MIGRATIONS"
    sqlite3 "$BASE_SEED" < "$ROOT/bench/seed.sql"
    sqlite3 "$BASE_SEED" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    export HELLO_PATH_baseline=/healthz
    EXTRA+=(--server "baseline=sh -c 'cp $BASE_SEED \$DB_PATH.baseline && exec env RELIEFLOG_CONFIG=${TMPDIR:-/tmp}/relieflog-bench-baseline.json RELIEFLOG_ACCESS_LOG=${ACCESS_LOG:-true} RELIEFLOG_LOG_LEVEL=warning $BASELINE_BIN serve --port \$PORT --db \$DB_PATH.baseline --migrations $BASELINE_MIGRATIONS'")
    ONLY=${ONLY:-nginx,hummingbird,vapor,relieflog,baseline}
fi
mkdir -p "$ROOT/bench/results"
export HELLO_PATH_relieflog=/healthz
export ONLY=${ONLY:-nginx,hummingbird,vapor,relieflog}
export RESULTS=$ROOT/bench/results/records-$(date -u +%Y%m%dT%H%M%SZ).md
# Each start gets a fresh copy of the seeded database (the harness gives peers theirs the same way).
"$PEERS/run-peers.sh" --header "Authorization: Bearer $TOKEN" "${EXTRA[@]}" \
    --server "relieflog=sh -c 'cp $SEED \$DB_PATH.relieflog && exec env RELIEFLOG_CONFIG=$CONFIG RELIEFLOG_ACCESS_LOG=${ACCESS_LOG:-true} RELIEFLOG_LOG_LEVEL=warning $BIN serve --port \$PORT --db \$DB_PATH.relieflog --migrations $ROOT/Migrations'"
echo "results: $RESULTS"
