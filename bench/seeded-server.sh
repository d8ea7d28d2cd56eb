# Sourced by bench scripts: start_seeded_server BIN PORT starts the release build on a fresh
# copy of the records seed (bench/seed.sql, 100,000 episodes) with rate limits out of the way
# and an admin token, and waits for /healthz. Sets WORK (removed on exit), DB, TOKEN, SERVER
# (its pid; stopped on exit). The access log stays on, to /dev/null.
# shellcheck shell=bash
start_seeded_server() {
    local bin=$1 port=$2 root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    WORK=$(mktemp -d)
    SERVER=""
    trap 'stop_seeded_server' EXIT
    DB=$WORK/seeded.sqlite
    RELIEFLOG_LOG_LEVEL=warning "$bin" migrate --db "$DB" --migrations "$root/Migrations" >/dev/null
    sqlite3 "$DB" < "$root/bench/seed.sql"
    TOKEN=$(RELIEFLOG_LOG_LEVEL=warning "$bin" token create --role admin --label bench --db "$DB" \
        --migrations "$root/Migrations")
    cat > "$WORK/config.json" <<'JSON'
{"rateLimits": {"perTokenPerSecond": 1000000000, "perTokenBurst": 1000000000,
                "perAddressPerSecond": 1000000000, "perAddressBurst": 1000000000}}
JSON
    RELIEFLOG_CONFIG=$WORK/config.json RELIEFLOG_LOG_LEVEL=warning \
        "$bin" serve --port "$port" --db "$DB" --migrations "$root/Migrations" > /dev/null 2>&1 &
    SERVER=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0
        sleep 0.1
    done
    echo "the server did not answer /healthz on port $port" >&2
    return 1
}

stop_seeded_server() {
    if [[ -n ${SERVER:-} ]]; then kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; fi
    [[ -n ${WORK:-} ]] && rm -rf "$WORK"
    SERVER=""
}
