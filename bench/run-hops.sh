#!/usr/bin/env bash
# The request path against the peers, in one run: nginx (`return 200`, the ceiling),
# Hummingbird 2 and ReliefLog in alternating passes (RUNS, default 3) of `/hello` (our
# `/healthz`), `GET /v1/episodes/{random id}` (ours with a bearer token, authentication, the
# role check and an audit row) and `POST /v1/episodes`, through bench/run-records.sh; then a
# dashboard's 304 poll (patient 1's summary with `If-None-Match`, authenticated and audited)
# against `/healthz` on the same server, in alternating wrk rounds, with the server's CPU time
# per request. Results: bench/results/records-<stamp>.md and bench/results/poll-<stamp>.md.
#
#   bench/run-hops.sh
#   RUNS=1 POLL_ROUNDS=2 bench/run-hops.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RUNS=${RUNS:-3}
POLL_ROUNDS=${POLL_ROUNDS:-3}
DURATION=${DURATION:-10s}
PORT=${PORT:-18680}
export ONLY=${ONLY:-nginx,hummingbird,relieflog}
"$ROOT/bench/run-records.sh"

BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)/relieflog
# shellcheck source=bench/seeded-server.sh
source "$ROOT/bench/seeded-server.sh"
start_seeded_server "$BIN" "$PORT"
POLL="/v1/patients/1/analytics/summary?from=2025-01-01&to=2025-03-31"
ETAG=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$POLL" \
    | tr -d '\r' | awk 'tolower($1)=="etag:"{print $2}')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "If-None-Match: $ETAG" \
    "http://127.0.0.1:$PORT$POLL")
[[ $code == 304 ]] || { echo "the poll answered $code, not 304" >&2; exit 1; }
ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
HZ=$(getconf CLK_TCK)
round() {  # wrk arguments; prints "req/s p99ms cpu_us"
    local before after out rps p99 requests
    before=$(ticks)
    out=$(wrk -t1 -c32 -d"$DURATION" --latency "$@")
    after=$(ticks)
    rps=$(awk '/^Requests\/sec/{print $2}' <<<"$out")
    requests=$(awk '/requests in/{print $1}' <<<"$out")
    p99=$(awk '$1=="99%"{print $2}' <<<"$out")
    echo "$out" >&2
    echo "$rps $p99 $(( (after - before) * 1000000 / HZ / requests ))"
}
mkdir -p "$ROOT/bench/results"
OUT=$ROOT/bench/results/poll-$(date -u +%Y%m%dT%H%M%SZ).md
{
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| round | /healthz req/s | p99 | CPU µs/req | 304 poll req/s | p99 | CPU µs/req | poll ÷ healthz |"
    echo "|---|---|---|---|---|---|---|---|"
} > "$OUT"
for r in $(seq 1 "$POLL_ROUNDS"); do
    read -r h_rps h_p99 h_cpu <<<"$(round "http://127.0.0.1:$PORT/healthz")"
    read -r p_rps p_p99 p_cpu <<<"$(round -H "Authorization: Bearer $TOKEN" -H "If-None-Match: $ETAG" "http://127.0.0.1:$PORT$POLL")"
    ratio=$(python3 -c "print(f'{$p_rps / $h_rps:.2f}')")
    echo "| $r | $h_rps | $h_p99 | $h_cpu | $p_rps | $p_p99 | $p_cpu | $ratio |" >> "$OUT"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT"
cat "$OUT"
echo "results: $OUT"
