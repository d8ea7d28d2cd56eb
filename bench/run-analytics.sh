#!/usr/bin/env bash
# Analytics endpoints on a seeded database (bench/analytics/seed.sql: a 10-year diary of 4,000
# episodes and 1,000 sessions, and a clinic of 1,000 patients with 300,000 episodes and 100,000
# sessions over 2 years, 20 therapists).
#
#   bench/run-analytics.sh
#   N=300 DURATION=10s bench/run-analytics.sh
#   TOKEN=... bench/run-analytics.sh          # this bearer token instead of a new admin token
#   BIN=.build/release/relieflog bench/run-analytics.sh   # skip the release build
#
# Measured:
#   1. per-patient summary / trends (day, week, month) / massage-effect: latency of single
#      requests on one keep-alive connection (curl), each request with a different window so
#      no response cache can answer it; median and p90 of N. Target: median < 10 ms.
#   2. clinic-wide overview / techniques / therapists, likewise with windows shifted day by
#      day. Target: median < 250 ms.
#   3. a dashboard's poll answered 304 (If-None-Match with the ETag) against GET /healthz,
#      wrk in the same run (1 thread, 32 connections), rounds interleaved. Target: ≥ 80 %.
#   4. the clinic aggregates run directly in the sqlite3 shell on the same file (.timer on),
#      and the ratio endpoint median / shell median.
# Results go to bench/results/analytics-<stamp>.md. Every process started here is stopped by PID.
# The seeded database stays in $WORK/analytics.sqlite (RELIEFLOG_ORACLE_DB=that file swift test
# --filter BenchDatabase compares the endpoints on it with the test oracle).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-200}                 # requests per latency row
CLINIC_N=${CLINIC_N:-30}    # requests per clinic-wide row (28-day windows)
CLINIC_LONG_N=${CLINIC_LONG_N:-15}  # requests per clinic-wide row over 730 days
DURATION=${DURATION:-5s}    # per wrk measurement
POLL_ROUNDS=${POLL_ROUNDS:-3}  # interleaved /healthz and 304 rounds
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18480}
WORK=${WORK_DIR:-${TMPDIR:-/tmp}/relieflog-analytics-bench}
for tool in wrk curl sqlite3 python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install wrk curl sqlite3 python3" >&2; exit 1; }
done
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if [[ -z ${BIN:-} ]]; then
    log "building release"
    (cd "$ROOT" && swift build -c release --product relieflog >/dev/null)
    BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)/relieflog
fi
mkdir -p "$WORK" "$ROOT/bench/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
RESULTS=$ROOT/bench/results/analytics-$STAMP.md
DB=$WORK/analytics.sqlite

# --- seed ------------------------------------------------------------------------------------
rm -f "$DB" "$DB-wal" "$DB-shm"
log "seeding $DB"
RELIEFLOG_LOG_LEVEL=warning "$BIN" migrate --db "$DB" --migrations "$ROOT/Migrations" >/dev/null
SEEDED=$( { /usr/bin/time -f '%e' sqlite3 "$DB" < "$ROOT/bench/analytics/seed.sql"; } 2>&1 | tr '\n' ' ')
log "$SEEDED"

# --- server ----------------------------------------------------------------------------------
# Every request is authenticated and audited, as in production; the rate limits stay on but
# high enough never to refuse the load.
TOKEN=${TOKEN:-$(RELIEFLOG_LOG_LEVEL=warning "$BIN" token create --role admin --label bench --db "$DB" --migrations "$ROOT/Migrations")}
AUTH=(-H "Authorization: Bearer $TOKEN")
cat > "$WORK/config.json" <<'JSON'
{"rateLimits": {"perTokenPerSecond": 1000000000, "perTokenBurst": 1000000000,
                "perAddressPerSecond": 1000000000, "perAddressBurst": 1000000000}}
JSON
BASE=http://127.0.0.1:$PORT
RELIEFLOG_CONFIG=$WORK/config.json RELIEFLOG_ACCESS_LOG=${ACCESS_LOG:-true} RELIEFLOG_LOG_LEVEL=warning \
    "$BIN" serve --port "$PORT" --db "$DB" --migrations "$ROOT/Migrations" >"$WORK/server.log" 2>&1 &
SERVER=$!
# On exit: stop the server; keep only the tail of its log (the access log runs to hundreds of MB).
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true
      tail -n 200 "$WORK/server.log" >"$WORK/server-tail.log" 2>/dev/null; rm -f "$WORK/server.log"' EXIT
for _ in $(seq 100); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$BASE/readyz" >/dev/null || { cat "$WORK/server.log" >&2; exit 1; }

day() { date -u -d "$1 days" +%F; }   # UTC today + $1 days, YYYY-MM-DD

# Latency of one GET per URL on one keep-alive connection; prints "median p90 min max" in ms and
# fails on any answer other than 200.
latency() {
    local args=() url
    for url in "$@"; do args+=(-o /dev/null "$url"); done
    curl -s "${AUTH[@]}" -w '%{http_code} %{time_total}\n' "${args[@]}" | python3 -c '
import sys, statistics
rows = [line.split() for line in sys.stdin if line.strip()]
bad = [r for r in rows if r[0] != "200"]
if bad: sys.exit("non-200 answers: %s" % bad[:3])
ms = sorted(float(r[1]) * 1000 for r in rows)
p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
print("%.2f %.2f %.2f %.2f %d" % (statistics.median(ms), p90, ms[0], ms[-1], len(ms)))'
}

ROWS=()
row() {  # name, target ms, then the URLs
    local name=$1 target=$2; shift 2
    local out; out=$(latency "$@") || { log "$name: $out"; exit 1; }
    read -r median p90 min max count <<<"$out"
    local verdict=PASS; python3 -c "import sys; sys.exit(0 if $median < $target else 1)" || verdict=FAIL
    ROWS+=("| $name | $count | $median | $p90 | $min | $max | < $target | $verdict |")
    log "$name: median $median ms, p90 $p90 ms ($verdict)"
    LAST_MEDIAN=$median
}

urls() {  # pattern with FROM and TO placeholders, window length in days, count, step in days
    # Windows end 1, 2, ... steps before the default one (which the warm-up request fetched).
    local pattern=$1 length=$2 count=$3 step=${4:-1} k to from
    for ((k = 1; k <= count; k++)); do
        to=$(day $((1 - k * step))); from=$(date -u -d "$to - $length days" +%F)
        local u=${pattern//FROM/$from}; echo "${u//TO/$to}"
    done
}
mapfile_urls() { mapfile -t URLS < <(urls "$@"); }

# --- 1. per patient ----------------------------------------------------------------------------
for patient in 1 500; do
    label=$([[ $patient == 1 ]] && echo "patient 1 (10 y, 4,000 ep.)" || echo "patient $patient (2 y, 300 ep.)")
    latency "$BASE/v1/patients/$patient/analytics/summary" >/dev/null   # warm the page cache
    mapfile_urls "$BASE/v1/patients/$patient/analytics/summary?from=FROM&to=TO" 28 "$N"
    row "$label summary (28 d)" 10 "${URLS[@]}"
    mapfile_urls "$BASE/v1/patients/$patient/analytics/trends?bucket=day&from=FROM&to=TO" 28 "$N"
    row "$label trends day (28)" 10 "${URLS[@]}"
    mapfile_urls "$BASE/v1/patients/$patient/analytics/trends?bucket=week&from=FROM&to=TO" 182 "$N"
    row "$label trends week (26)" 10 "${URLS[@]}"
    mapfile_urls "$BASE/v1/patients/$patient/analytics/trends?bucket=month&from=FROM&to=TO" 365 "$N"
    row "$label trends month (12)" 10 "${URLS[@]}"
    mapfile_urls "$BASE/v1/patients/$patient/analytics/massage-effect?to=TO" 0 "$N"
    row "$label massage-effect" 10 "${URLS[@]}"
done
mapfile_urls "$BASE/v1/patients/1/analytics/trends?bucket=month&from=FROM&to=TO" 3660 "$N"
row "stress: patient 1 trends month, whole 10 y (121)" 10 "${URLS[@]}"
mapfile_urls "$BASE/v1/patients/1/analytics/summary?from=FROM&to=TO" 3660 "$N"
row "stress: patient 1 summary, whole 10 y" 10 "${URLS[@]}"

# --- 2. clinic-wide, and 4. the same aggregates in the sqlite3 shell ---------------------------
declare -A ENDPOINT_MS
for endpoint in overview techniques therapists; do
    latency "$BASE/v1/analytics/$endpoint" >/dev/null
    # Default window first (the one the shell query computes), then 28-day windows shifted day by day.
    mapfile_urls "$BASE/v1/analytics/$endpoint?from=FROM&to=TO" 28 "$CLINIC_N"
    row "clinic $endpoint (28 d)" 250 "${URLS[@]}"
    ENDPOINT_MS[$endpoint 28]=$LAST_MEDIAN
    mapfile_urls "$BASE/v1/analytics/$endpoint?from=FROM&to=TO" 730 "$CLINIC_LONG_N"
    row "clinic $endpoint (730 d)" 250 "${URLS[@]}"
    ENDPOINT_MS[$endpoint 730]=$LAST_MEDIAN
done
SHELL_ROWS=()
for days in 28 730; do
    shell_times=$(for _ in 1 2 3 4 5; do
        sed "/^\.parameter set/ s/\b28\b/$days/g" "$ROOT/bench/analytics/clinic-queries.sql" | sqlite3 "$DB" \
            | grep '^Run Time' | awk '{print $4}' | paste -sd' '
    done)
    i=0
    for endpoint in overview techniques therapists; do
        i=$((i + 1))
        shell_ms=$(awk -v c="$i" '{print $c * 1000}' <<<"$shell_times" | sort -n | sed -n 3p)
        endpoint_ms=${ENDPOINT_MS[$endpoint $days]}
        ratio=$(python3 -c "print('%.1f' % ($endpoint_ms / max($shell_ms, 1)))")
        SHELL_ROWS+=("| $endpoint | $days d | $endpoint_ms | $shell_ms | $ratio× |")
        log "$endpoint $days d: endpoint $endpoint_ms ms, sqlite3 shell $shell_ms ms"
    done
done

# --- 3. 304 polls against /healthz, same run ---------------------------------------------------
wrk_rps() {  # URL, extra wrk args...
    local url=$1; shift
    local out; out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "${AUTH[@]}" "$@" "$url")
    echo "$out" >>"$WORK/wrk-$STAMP.txt"
    if grep -q 'Non-2xx or 3xx' <<<"$out"; then log "errors in wrk run for $url"; grep 'Non-2xx' <<<"$out" >&2; fi
    local rps p50 p99
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out"); p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    echo "$rps $p50 $p99"
}
POLL_ROWS=()
median() { python3 -c 'import sys, statistics; print("%.0f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
for path in /v1/patients/1/analytics/summary /v1/analytics/overview; do
    etag=$(curl -s -D - -o /dev/null "${AUTH[@]}" "$BASE$path" | awk 'tolower($1) == "etag:" {sub(/\r$/, ""); print $2}')
    [[ -n $etag ]] || { log "$path: no ETag"; exit 1; }
    status=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -H "If-None-Match: $etag" "$BASE$path")
    [[ $status == 304 ]] || { log "$path with If-None-Match $etag: $status, not 304"; exit 1; }
    # Interleaved rounds (health, poll, health, poll, ...): the machine is shared and its speed
    # drifts, so each side is the median of its rounds and the share is taken per round too.
    health=(); poll=(); shares=(); latencies=""
    for ((round = 1; round <= POLL_ROUNDS; round++)); do
        read -r h hp50 hp99 <<<"$(wrk_rps "$BASE/healthz")"
        read -r p pp50 pp99 <<<"$(wrk_rps "$BASE$path" -H "If-None-Match: $etag")"
        health+=("$h"); poll+=("$p"); shares+=("$(python3 -c "print(100 * $p / $h)")")
        latencies+="$pp50/$pp99 vs $hp50/$hp99; "
    done
    share=$(median "${shares[@]}")
    verdict=PASS; ((share >= 80)) || verdict=FAIL
    POLL_ROWS+=("| $path → 304 | $(median "${poll[@]}") | $(median "${health[@]}") | $share % ($(printf '%.0f ' "${shares[@]}")) | $verdict | ${latencies% } |")
    log "$path 304: $(median "${poll[@]}") req/s against /healthz $(median "${health[@]}") req/s (median share $share %)"
done

# --- results -----------------------------------------------------------------------------------
{
    echo "# Analytics benchmark, $STAMP"
    echo
    echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); $(git -C "$ROOT" log -1 --format='%h %s')."
    echo "Seed: $SEEDED s. Access log ${ACCESS_LOG:-true}; bearer token $([[ -n ${TOKEN:-} ]] && echo sent || echo not sent)."
    echo "Load average at start / end: $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared; other builds ran)."
    echo
    echo "## Single requests, each with a different window (curl, one keep-alive connection)"
    echo
    echo "| request | n | median ms | p90 ms | min ms | max ms | target | |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "## Clinic aggregates: endpoint against the same aggregate in the sqlite3 shell"
    echo
    echo "| endpoint | window | endpoint median ms | sqlite3 shell ms (median of 5) | ratio |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${SHELL_ROWS[@]}"
    echo
    echo "## 304 polls against /healthz (wrk -t1 -c$CONNECTIONS -d$DURATION, $POLL_ROUNDS interleaved rounds, medians)"
    echo
    echo "| request | 304 req/s | /healthz req/s | share (per round) | ≥ 80 % | p50/p99 304 vs /healthz per round |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${POLL_ROWS[@]}"
} >"$RESULTS"
cat "$RESULTS"
echo "results: $RESULTS"
