#!/usr/bin/env bash
# Latency at the same offered load: Hummingbird 2 and ReliefLog, both up, each sent the same fixed
# request rate by `hey` (RATE requests per second over 32 keep-alive connections), in alternating
# rounds (ROUNDS pairs of DURATION seconds) of `/hello` (our `/healthz`),
# `GET /v1/episodes/{id}` (ours with a bearer token, its role check and an audit row) and
# `POST /v1/episodes` (ours authenticated and audited too, with its change event).
#
# The peer harness (bench/run-hops.sh) drives every server as fast as it answers; its p99 is then
# the p99 of a saturated machine, where the faster server also queues more requests behind each
# other on the same two cores. Here both servers get the same work per second, so the tail shows
# what each does to a request, not how much more it was asked to do.
#
#   bench/run-latency.sh
#   RATE_GET=8000 RATE_POST=2000 ROUNDS=3 DURATION=10 PEERS_BIN=/path/to/peers/release bench/run-latency.sh
#
# Needs: hey (apt-get install hey), sqlite3, curl, and the peers built by the shared harness
# (PEERS_BIN, default /tmp/relieflog-peers/build/release).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS_BIN=${PEERS_BIN:-/tmp/relieflog-peers/build/release}
RATE_HELLO=${RATE_HELLO:-10000}
RATE_GET=${RATE_GET:-8000}
RATE_POST=${RATE_POST:-2000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=32
for tool in hey sqlite3 curl; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install $tool" >&2; exit 1; }
done
[[ -x $PEERS_BIN/peer-hummingbird && -x $PEERS_BIN/peer-seed ]] || {
    echo "no peers in $PEERS_BIN: build them with the shared harness first" >&2
    exit 1
}
(cd "$ROOT" && swift build -c release --product relieflog >/dev/null)
BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)/relieflog

# shellcheck source=bench/seeded-server.sh
source "$ROOT/bench/seeded-server.sh"
OUR_PORT=18710 PEER_PORT=18711
start_seeded_server "$BIN" "$OUR_PORT"
PEER_DB=$WORK/peer.sqlite
"$PEERS_BIN/peer-seed" "$PEER_DB" 100000 >/dev/null
PORT=$PEER_PORT DB_PATH=$PEER_DB "$PEERS_BIN/peer-hummingbird" >/dev/null 2>&1 &
PEER=$!
trap 'kill $PEER 2>/dev/null; stop_seeded_server' EXIT
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PEER_PORT/hello" >/dev/null && break
    sleep 0.1
done

BODY='{"patientId":42,"startedAt":"2026-01-01T08:00:00Z","endedAt":"2026-01-01T14:30:00Z","intensity":7,"aura":false,"triggers":["stress","poor_sleep"],"notes":"Woke up with it; throbbing behind the left eye, eased after a neck massage."}'
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

# measure PID RATE hey-arguments…: prints "achieved_rps p50_ms p99_ms cpu_us_per_request failed"
# (failed: answers other than 2xx, plus requests that got no answer, which hey lists under
# "Error distribution" as "[count]\tmessage")
measure() {
    local pid=$1 rate=$2 before after out rps
    shift 2
    before=$(ticks "$pid")
    out=$(hey -z "${DURATION}s" -c "$CONNECTIONS" -q $((rate / CONNECTIONS)) "$@")
    after=$(ticks "$pid")
    rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
    awk -v rps="$rps" -v cpu=$(( (after - before) * 1000000 / HZ )) '
        /50% in/{p50 = $3 * 1000} /99% in/{p99 = $3 * 1000}
        /^Status code distribution/{section = "status"} /^Error distribution/{section = "errors"}
        section == "status" && /^  \[[0-9]+\]/{
            code = substr($1, 2, 3); answered += $2; if (code !~ /^2/) failed += $2 }
        section == "errors" && /^  \[[0-9]+\]/{ failed += substr($1, 2, length($1) - 2) }
        END {printf "%.0f %.1f %.1f %.0f %d\n", rps, p50, p99, (answered ? cpu / answered : 0), failed}' <<<"$out"
}

mkdir -p "$ROOT/bench/results"
OUT=$ROOT/bench/results/latency-$(date -u +%Y%m%dT%H%M%SZ).md
{
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "$CONNECTIONS keep-alive connections, fixed rate (hey -q), ${DURATION} s per round, rounds alternate."
    echo
    echo "| endpoint | offered req/s | round | server | achieved req/s | p50 ms | p99 ms | CPU µs/req | failed |"
    echo "|---|---|---|---|---|---|---|---|---|"
} > "$OUT"
for round in $(seq 1 "$ROUNDS"); do
    for endpoint in hello get post; do
        for server in hummingbird relieflog; do
            if [[ $server == hummingbird ]]; then pid=$PEER port=$PEER_PORT auth=(); else pid=$SERVER port=$OUR_PORT auth=(-H "Authorization: Bearer $TOKEN"); fi
            case $endpoint in
                hello)
                    path=/hello rate=$RATE_HELLO
                    [[ $server == relieflog ]] && path=/healthz
                    result=$(measure "$pid" "$rate" "http://127.0.0.1:$port$path") ;;
                get)
                    rate=$RATE_GET
                    result=$(measure "$pid" "$rate" "${auth[@]}" "http://127.0.0.1:$port/v1/episodes/4242") ;;
                post)
                    rate=$RATE_POST
                    result=$(measure "$pid" "$rate" "${auth[@]}" -m POST -T application/json -d "$BODY" \
                        "http://127.0.0.1:$port/v1/episodes") ;;
            esac
            read -r rps p50 p99 cpu bad <<<"$result"
            echo "| $endpoint | $rate | $round | $server | $rps | $p50 | $p99 | $cpu | $bad |" | tee -a "$OUT"
        done
    done
done
echo >> "$OUT"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT"
echo "results: $OUT"
