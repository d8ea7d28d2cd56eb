#!/usr/bin/env bash
# Bulk export and import against the sqlite3 shell on the same file (the contract's "Bulk data").
#
#   bench/run-bulk.sh                  # 300,000 episodes exported, 100,000 rows imported
#   EPISODES=50000 IMPORT_ROWS=20000 bench/run-bulk.sh
#
# Export: GET /v1/episodes/export?format=csv (and ndjson) through curl, timed end to end, with
# the server's peak RSS (VmHWM) read from /proc after the export; the reference is
# `sqlite3 -csv` printing the same table, with its peak RSS from GNU time.
# Import: POST /v1/episodes/import of an NDJSON file of IMPORT_ROWS rows (validated, one
# transaction); the reference is the sqlite3 shell's `.import --csv` of the same rows into a
# bare table (no validation at all), so the ratio is the price of validation and our format.
# Every process started here is stopped by its PID.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EPISODES=${EPISODES:-300000}
IMPORT_ROWS=${IMPORT_ROWS:-100000}
WORK=${WORK_DIR:-${TMPDIR:-/tmp}/relieflog-bulk-bench}
for tool in curl sqlite3 python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install curl sqlite3 time" >&2; exit 1; }
done
(cd "$ROOT" && swift build -c release --product relieflog >/dev/null)
BIN=${RELIEFLOG_BIN:-$(cd "$ROOT" && swift build -c release --show-bin-path)/relieflog}
rm -rf "$WORK" && mkdir -p "$WORK"
DB=$WORK/bench.sqlite
export RELIEFLOG_LOG_LEVEL=warning RELIEFLOG_MIGRATIONS=$ROOT/Migrations
"$BIN" migrate --db "$DB"
sqlite3 "$DB" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO patients (id, display_name, timezone, created_at_ms, updated_at_ms)
SELECT i, 'Patient ' || i, 'Europe/Berlin', 1700000000000, 1700000000000 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $EPISODES)
INSERT INTO episodes (id, patient_id, started_at_ms, ended_at_ms, intensity, aura, triggers, symptoms,
                      notes, created_at_ms, updated_at_ms)
SELECT i, (i % 100) + 1, 1600000000000 + i * 210000, 1600000000000 + i * 210000 + 6 * 3600000,
       i % 11, i % 7 = 0, '["stress","poor_sleep"]', '["nausea","photophobia"]',
       'Throbbing behind the left eye; eased after a neck massage.', 1700000000000, 1700000000000
FROM n;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
TOKEN=$("$BIN" token create --role admin --label bench --db "$DB")
echo '{"rateLimits": {"perTokenPerSecond": 0, "perAddressPerSecond": 0}, "accessLog": false}' > "$WORK/config.json"
"$BIN" serve --port 0 --db "$DB" --config "$WORK/config.json" > "$WORK/server.out" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do grep -q 'listening on' "$WORK/server.out" && break; sleep 0.05; done
URL=$(grep -o 'http://[0-9.:]*' "$WORK/server.out" | head -1)
rss() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
now() { date +%s.%N; }
RSS_IDLE=$(rss $SERVER)

measure_export() {  # format → seconds
    local start end
    start=$(now)
    curl -sS -f -o "$WORK/export.$1" -H "Authorization: Bearer $TOKEN" "$URL/v1/episodes/export?format=$1"
    end=$(now)
    python3 -c "print(f'{$end - $start:.3f}')"
}
curl -sS -f -o /dev/null -H "Authorization: Bearer $TOKEN" "$URL/v1/episodes/export?format=csv&to=2020-10-01"  # warm-up
CSV_S=$(measure_export csv)
NDJSON_S=$(measure_export ndjson)
RSS_AFTER_EXPORT=$(rss $SERVER)
LINES=$(($(wc -l < "$WORK/export.csv") - 1))
[[ $LINES == "$EPISODES" ]] || { echo "export has $LINES rows, expected $EPISODES" >&2; exit 1; }

/usr/bin/time -f '%e %M' -o "$WORK/sqlite.time" sqlite3 -csv -header "$DB" 'SELECT * FROM episodes ORDER BY id' > "$WORK/sqlite.csv"
read -r SQLITE_S SQLITE_KB < "$WORK/sqlite.time"

# Import: IMPORT_ROWS NDJSON rows into the running server, then the same rows as CSV into a
# bare table with the sqlite3 shell.
python3 - "$WORK" "$IMPORT_ROWS" <<'PY'
import json, sys
work, rows = sys.argv[1], int(sys.argv[2])
with open(f"{work}/import.ndjson", "w") as nd, open(f"{work}/import.csv", "w") as csv:
    csv.write("patientId,startedAt,intensity,triggers,notes\n")
    for i in range(rows):
        started = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
        nd.write(json.dumps({"patientId": 1 + i % 100, "startedAt": started, "intensity": i % 11,
                             "triggers": ["stress", "poor_sleep"], "notes": "imported row"}) + "\n")
        csv.write(f"{1 + i % 100},{started},{i % 11},stress;poor_sleep,imported row\n")
PY
start=$(now)
curl -sS -f -o "$WORK/import.out" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/x-ndjson' \
    --data-binary "@$WORK/import.ndjson" "$URL/v1/episodes/import"
end=$(now)
IMPORT_S=$(python3 -c "print(f'{$end - $start:.3f}')")
grep -q "\"inserted\":$IMPORT_ROWS" "$WORK/import.out" || { cat "$WORK/import.out" >&2; exit 1; }
RSS_AFTER_IMPORT=$(rss $SERVER)
rm -f "$WORK/bare.sqlite"
start=$(now)
sqlite3 "$WORK/bare.sqlite" "CREATE TABLE t (patientId, startedAt, intensity, triggers, notes);" ".import --csv --skip 1 $WORK/import.csv t"
end=$(now)
SQLITE_IMPORT_S=$(python3 -c "print(f'{$end - $start:.3f}')")

python3 - <<PY
rows, imports = $EPISODES, $IMPORT_ROWS
csv, nd, ref = $CSV_S, $NDJSON_S, $SQLITE_S
imp, ref_imp = $IMPORT_S, $SQLITE_IMPORT_S
print(f"| measure | ReliefLog | sqlite3 shell | ratio (ReliefLog / sqlite3) |")
print(f"|---|---|---|---|")
print(f"| export {rows:,} episodes, CSV rows/s | {rows / csv:,.0f} | {rows / ref:,.0f} | {ref / csv:.2f} |")
print(f"| export {rows:,} episodes, NDJSON rows/s | {rows / nd:,.0f} | — | {ref / nd:.2f} |")
print(f"| peak RSS MiB (server: idle $RSS_IDLE, after exports $RSS_AFTER_EXPORT, after import $RSS_AFTER_IMPORT) | $RSS_AFTER_EXPORT | {$SQLITE_KB / 1024:.1f} | — |")
print(f"| import {imports:,} rows/s (validated, one transaction) | {imports / imp:,.0f} | {imports / ref_imp:,.0f} (bare .import) | {ref_imp / imp:.2f} |")
PY
