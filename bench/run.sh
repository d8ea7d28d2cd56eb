#!/usr/bin/env bash
# Measures ReliefLog beside the peer servers (nginx, Hummingbird 2, Vapor 4, FlyingFox) in one
# run with wrk, using the shared peer harness (run-peers.sh), and prints the results table.
#
#   bench/run.sh                                  # nginx, hummingbird, vapor, relieflog; 2 runs
#   ONLY=hummingbird,relieflog RUNS=3 bench/run.sh
#   ACCESS_LOG=false bench/run.sh                 # without the per-request access log line
#
# Our server is started on a fresh database of its own beside the peers' seeded copy;
# /healthz plays the peers' /hello (the HTTP stack alone). Ratios within one run are the
# figures to compare: absolute numbers on a shared 2-core machine are noisy.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${PEERS_DIR:-$ROOT/../shared/bench}
[[ -x $PEERS/run-peers.sh ]] || { echo "peer harness not found at $PEERS (set PEERS_DIR)" >&2; exit 1; }
for tool in wrk nginx; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install wrk nginx-light" >&2; exit 1; }
done

(cd "$ROOT" && swift build -c release --product relieflog >/dev/null)
BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)/relieflog
mkdir -p "$ROOT/bench/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)

export HELLO_PATH_relieflog=/healthz
export ONLY=${ONLY:-nginx,hummingbird,vapor,relieflog}
export RESULTS=$ROOT/bench/results/peers-$STAMP.md
"$PEERS/run-peers.sh" --server "relieflog=env RELIEFLOG_PORT=\$PORT RELIEFLOG_DB=\$DB_PATH.relieflog RELIEFLOG_ACCESS_LOG=${ACCESS_LOG:-true} RELIEFLOG_LOG_LEVEL=warning $BIN serve --migrations $ROOT/Migrations"
echo "results: $RESULTS"
