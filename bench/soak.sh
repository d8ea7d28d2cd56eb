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
# shellcheck source=bench/seeded-server.sh
source "$ROOT/bench/seeded-server.sh"
start_seeded_server "$BIN" "$PORT"
mkdir -p "$ROOT/bench/results"
OUT=$ROOT/bench/results/soak-$(date -u +%Y%m%dT%H%M%SZ).md
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" > "$OUT.head"
status=0
python3 "$ROOT/bench/soak.py" --base "http://127.0.0.1:$PORT" --token "$TOKEN" --pid "$SERVER" \
    --rate "$RATE" --seconds "$SECONDS_TOTAL" --out "$OUT.body" || status=$?
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT.head"
cat "$OUT.head" "$OUT.body" > "$OUT" && rm -f "$OUT.head" "$OUT.body"
echo "results: $OUT"
exit $status
