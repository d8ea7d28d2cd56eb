#!/usr/bin/env bash
# Property-based API testing: builds the server and runs Schemathesis against its own
# /openapi.json, authenticated, in three runs. Each run gets a fresh database and server on a
# free loopback port, seeded through the CLI and the API with two patients, a therapist and a
# token per identity (see seed below), written to a Web Fuzzing Commons auth file; the run's
# configuration is scripts/schemathesis.toml followed by its own `[auth.wfc]` table (write_config):
#
#   admin      every operation as the admin token: the full generated run (coverage, fuzzing,
#              stateful) with every check.
#   patients   the same, with identities chosen per operation in the file's order (patient1,
#              then patient2, clinician, admin for operations the earlier ones are refused), and
#              object_level_authorization replaying each successful read of one patient's
#              objects as the other patient. Patients are peers in the strict sense: neither may
#              see anything of the other's, analytics included.
#   clinician  the same with the clinician as a third peer, so what a clinician creates or reads
#              is replayed as both patients and theirs as the clinician. A clinician may read
#              every patient and their records (API.md "Authentication and roles"); the check
#              accepts that for records because the clinician's own list shows the same object,
#              but a patient's analytics has no list to compare with, so the three per-patient
#              analytics operations and the report are left out of this run's object-level check (the patients
#              run and the route x role test in the Swift suite cover them).
#
# One worker: the runs are then repeatable for a given seed, and CPython 3.11 can fail parsing
# in two threads at once ("AST constructor recursion depth mismatch" inside Hypothesis).
#
# These runs do not generate Authorization headers themselves (--generation-with-security-
# parameters false): a deliberately unauthenticated case counted against an identity would move
# operations off patient1; ignored_auth still checks that every /v1 operation needs a valid token.
# scripts/schemathesis_hooks.py keeps DELETEs away from the run's own tokens, patients and
# therapist, and after each run every token must still authenticate. Rate limits are set out of
# the way by scripts/schemathesis.relieflog.json. Exits non-zero when any run fails; all always
# run. Extra arguments go to every `st run`. When a run fails, the server's warnings and errors
# are printed; set RELIEFLOG_ST_KEEP=DIR to keep the databases, full server logs, auth files and
# configurations of every run in DIR, and RELIEFLOG_ST_REPORTS=DIR to have each run write JUnit
# and HAR reports to DIR/<run>.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v st >/dev/null || { echo "schemathesis (st) is not installed: pip install 'schemathesis>=4.32,<5'" >&2; exit 2; }

swift build --product relieflog
binary="$(swift build --show-bin-path)/relieflog"

work="$(mktemp -d)"
server=""
stop_server() {
    if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    server=""
}
cleanup() {
    stop_server
    if [[ -n "${RELIEFLOG_ST_KEEP:-}" ]]; then
        mkdir -p "$RELIEFLOG_ST_KEEP" && cp -R "$work"/. "$RELIEFLOG_ST_KEEP"/
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# start_server DIR: a migrated database in DIR with an admin token ($admin, created before the
# server starts so it does not make and print one of its own), and a server on it ($url).
start_server() {
    local dir="$1"
    mkdir -p "$dir"
    local db=(--db "$dir/db.sqlite" --migrations Migrations)
    "$binary" migrate "${db[@]}" >"$dir/migrate.log" 2>&1
    admin="$("$binary" token create --role admin --label schemathesis-admin "${db[@]}")"
    "$binary" serve --config scripts/schemathesis.relieflog.json --host 127.0.0.1 --port 0 "${db[@]}" \
        >"$dir/server.log" 2>&1 &
    server=$!
    url=""
    for _ in $(seq 1 100); do
        url="$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$dir/server.log" | head -n1 | sed 's/^listening on //' || true)"
        if [[ -n "$url" ]] && curl -fsS "$url/readyz" >/dev/null 2>&1; then return 0; fi
        kill -0 "$server" 2>/dev/null || { echo "the server exited:" >&2; cat "$dir/server.log" >&2; exit 1; }
        url=""
        sleep 0.1
    done
    echo "the server did not become ready:" >&2
    cat "$dir/server.log" >&2
    exit 1
}

# create PATH JSON: POST JSON as admin, print the new resource's id.
create() {
    curl -fsS -X POST "$url$1" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d "$2" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}

# seed DIR: two patients and a therapist, a token for each patient and a clinician token bound to
# the therapist, and the WFC auth file listing patient1, patient2, clinician and admin.
seed() {
    local dir="$1"
    local db=(--db "$dir/db.sqlite" --migrations Migrations)
    local patient1 patient2 therapist
    patient1="$(create /v1/patients '{"displayName": "Peer Patient One", "externalId": "st-patient-1"}')"
    patient2="$(create /v1/patients '{"displayName": "Peer Patient Two", "externalId": "st-patient-2"}')"
    therapist="$(create /v1/therapists \
        '{"name": "Peer Therapist", "licenseNumber": "ST-0001", "licenseJurisdiction": "US-CA", "externalId": "st-therapist-1"}')"
    local token_patient1 token_patient2 token_clinician
    token_patient1="$("$binary" token create --role patient --patient "$patient1" --label schemathesis-patient1 "${db[@]}")"
    token_patient2="$("$binary" token create --role patient --patient "$patient2" --label schemathesis-patient2 "${db[@]}")"
    token_clinician="$("$binary" token create --role clinician --therapist "$therapist" --label schemathesis-clinician "${db[@]}")"
    tokens=(patient1="$token_patient1" patient2="$token_patient2" clinician="$token_clinician" admin="$admin")
    python3 - "$dir/auth.json" "${tokens[@]}" <<'PY'
import json, sys
path, *pairs = sys.argv[1:]
document = {"auth": [
    {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
    for name, token in (pair.split("=", 1) for pair in pairs)
]}
with open(path, "w") as file:
    json.dump(document, file, indent=2)
PY
    # What the run must not delete (scripts/schemathesis_hooks.py): every token there is now, and
    # the patients and therapist they are bound to.
    local token_ids
    token_ids="$(curl -fsS "$url/v1/tokens?limit=500" -H "Authorization: Bearer $admin" |
        python3 -c 'import json, sys; print(",".join(str(item["id"]) for item in json.load(sys.stdin)["items"]))')"
    protected="tokens=$token_ids;patients=$patient1,$patient2;therapists=$therapist"
}

# check_tokens: fail unless every identity of the run still authenticates (GET /v1/therapists is
# open to every role), so a run that lost its credentials halfway cannot pass on 401s.
check_tokens() {
    local pair code ok=0
    for pair in "${tokens[@]}"; do
        code="$(curl -sS -o /dev/null -w '%{http_code}' "$url/v1/therapists?limit=1" -H "Authorization: Bearer ${pair#*=}")"
        if [[ "$code" != 200 ]]; then
            echo "schemathesis: the ${pair%%=*} token no longer works after the run (GET /v1/therapists: $code)" >&2
            ok=1
        fi
    done
    return "$ok"
}

# write_config DIR PEERS: the run's configuration in DIR/schemathesis.toml, the shared settings
# followed by the auth file and PEERS (a TOML array, or "" for none); an extra argument "clinician"
# leaves the per-patient analytics out of the object-level check (see the top of this file).
write_config() {
    local dir="$1" peers="$2" variant="${3:-}"
    {
        cat scripts/schemathesis.toml
        printf '\n[auth.wfc]\npath = "%s"\n' "$dir/auth.json"
        if [[ -n "$peers" ]]; then printf 'peers = %s\n' "$peers"; fi
        if [[ "$variant" == clinician ]]; then
            printf '\n[[operations]]\ninclude-path-regex = "%s"\n%s\n' \
                '^/v1/patients/\\{id\\}/(analytics/|report$)' 'checks.object_level_authorization.enabled = false'
        fi
    } >"$dir/schemathesis.toml"
}

# run NAME PEERS [ST ARGS...]: fresh server and seed, then `st run`; its status goes to $status.
status=0
tokens=()
protected=""
run() {
    local name="$1" peers="$2"
    shift 2
    local dir="$work/$name"
    printf '\n== schemathesis: %s run\n' "$name"
    start_server "$dir"
    seed "$dir"
    write_config "$dir" "$peers" "$name"
    local rc=0 reports=()
    if [[ -n "${RELIEFLOG_ST_REPORTS:-}" ]]; then reports=(--report junit,har --report-dir "$RELIEFLOG_ST_REPORTS/$name"); fi
    RELIEFLOG_ST_PROTECTED="$protected" \
        SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}" \
        st --config-file "$dir/schemathesis.toml" run "$url/openapi.json" \
        --seed 42 --max-examples 20 --workers 1 --request-timeout 10 "${reports[@]}" "$@" || rc=$?
    check_tokens || rc=1
    stop_server
    if ((rc != 0)); then
        status=$rc
        echo "schemathesis: the $name run failed (exit $rc); server warnings and errors:" >&2
        grep -E '"level":"(warning|error|critical)"' "$dir/server.log" >&2 || echo "(none)" >&2
    fi
}

run admin "" --auth-wfc-user admin "$@"
run patients '["patient1", "patient2"]' --generation-with-security-parameters false "$@"
run clinician '["patient1", "patient2", "clinician"]' --generation-with-security-parameters false "$@"
exit "$status"
