#!/usr/bin/env bash
# Two builds of ReliefLog side by side: each gets its own copy of the records seed
# (bench/seed.sql, 100,000 episodes) migrated with its own Migrations directory and an admin
# token, then bench/ab.sh measures them in alternating rounds. Use it to put a number on a change:
#
#   bench/ab-builds.sh BIN_A MIGRATIONS_A BIN_B MIGRATIONS_B [ROUNDS] [SECONDS]
#   env: LUA (wrk script; default GET /v1/episodes/{random id}), CONFIG_A / CONFIG_B (server
#        config files; default: rate limits high enough never to refuse), PERF=1 (record a
#        perf profile of each server's last round into $TMPDIR/ab-{a,b}.perf.data),
#        SQL_A / SQL_B (SQL run on that side's seeded file before it starts, to try a schema
#        change such as one index fewer without a migration)
#
# A build from before access control has no tokens: give it MIGRATIONS without 0003 and it is
# sent the same header, which it ignores.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_A=$1 MIG_A=$2 BIN_B=$3 MIG_B=$4 ROUNDS=${5:-8} SECONDS_PER=${6:-4}
for tool in wrk sqlite3 curl; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install wrk sqlite3 curl" >&2; exit 1; }
done
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
cat > "$WORK/limits.json" <<'JSON'
{"rateLimits": {"perTokenPerSecond": 1000000000, "perTokenBurst": 1000000000,
                "perAddressPerSecond": 1000000000, "perAddressBurst": 1000000000}}
JSON

# start SIDE BIN MIGRATIONS CONFIG: seeded database, token (if the build has them), server on a
# free port; sets PORT_<SIDE>, PID_<SIDE>, TOKEN_<SIDE>.
start() {
    local side=$1 bin=$2 migrations=$3 config=$4 db="$WORK/$1.sqlite"
    RELIEFLOG_CONFIG=$config RELIEFLOG_LOG_LEVEL=warning "$bin" migrate --db "$db" --migrations "$migrations" >/dev/null
    sqlite3 "$db" < "$ROOT/bench/seed.sql"
    local token=""
    if [[ -e $(ls "$migrations"/0003_* 2>/dev/null | head -n1) ]]; then
        token=$(RELIEFLOG_CONFIG=$config RELIEFLOG_LOG_LEVEL=warning "$bin" token create --role admin --label ab --db "$db" --migrations "$migrations")
    fi
    local sql_var=SQL_$side
    [[ -n ${!sql_var:-} ]] && sqlite3 "$db" "${!sql_var}"
    sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    RELIEFLOG_CONFIG=$config RELIEFLOG_LOG_LEVEL=info RELIEFLOG_ACCESS_LOG=${ACCESS_LOG:-true} \
        "$bin" serve --host 127.0.0.1 --port 0 --db "$db" --migrations "$migrations" >"$WORK/$side.log" 2>&1 &
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

start A "$BIN_A" "$MIG_A" "${CONFIG_A:-$WORK/limits.json}"
start B "$BIN_B" "$MIG_B" "${CONFIG_B:-$WORK/limits.json}"
# Both servers get the same header; one without tokens ignores it.
export TOKEN_A=${TOKEN_A:-$TOKEN_B} TOKEN_B=${TOKEN_B:-$TOKEN_A}
"$ROOT/bench/ab.sh" "$PORT_A" "$PID_A" "$PORT_B" "$PID_B" "$ROUNDS" "$SECONDS_PER"
if [[ ${PERF:-} == 1 ]]; then
    for side in A B; do
        pid_var=PID_$side port_var=PORT_$side token_var=TOKEN_$side
        lower=$(tr '[:upper:]' '[:lower:]' <<<"$side")
        perf record -F 999 -g -p "${!pid_var}" -o "${TMPDIR:-/tmp}/ab-$lower.perf.data" -- sleep 5 >/dev/null 2>&1 &
        perf_pid=$!
        wrk -t1 -c32 -d5s -s "${LUA:-/dev/null}" -H "Authorization: Bearer ${!token_var}" "http://127.0.0.1:${!port_var}/v1/episodes/1" >/dev/null
        wait "$perf_pid" || true
        echo "profile of $side: ${TMPDIR:-/tmp}/ab-$lower.perf.data"
    done
fi
