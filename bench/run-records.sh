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
sqlite3 "$SEED" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
mkdir -p "$ROOT/bench/results"
export HELLO_PATH_relieflog=/healthz
export ONLY=${ONLY:-nginx,hummingbird,vapor,relieflog}
export RESULTS=$ROOT/bench/results/records-$(date -u +%Y%m%dT%H%M%SZ).md
# Each start gets a fresh copy of the seeded database (the harness gives peers theirs the same way).
"$PEERS/run-peers.sh" --server "relieflog=sh -c 'cp $SEED \$DB_PATH.relieflog && exec env RELIEFLOG_ACCESS_LOG=${ACCESS_LOG:-true} RELIEFLOG_LOG_LEVEL=warning $BIN serve --port \$PORT --db \$DB_PATH.relieflog --migrations $ROOT/Migrations'"
echo "results: $RESULTS"
