#!/usr/bin/env bash
# The test command: builds (warnings are errors when CI is set) and runs every test suite
# against real SQLite files in temporary directories and real servers on loopback ports, then
# the end-to-end suites in Tests/e2e (Python: browser, FHIR validator, webhook receivers,
# recovery) against the real binary.
#
# The end-to-end suites run in a virtual environment of their own (.build/e2e-venv, made from
# Tests/e2e/requirements.txt on first use and whenever that file changes), so their pinned
# packages (pydantic 1 for the FHIR models, say) never touch the system's Python.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build "$@"
[ "$#" -eq 0 ] || exit 0
compgen -G "Tests/e2e/*/test_*.py" >/dev/null || exit 0

venv=.build/e2e-venv
wanted=$(sha256sum Tests/e2e/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/requirements.sha256" 2>/dev/null)" != "$wanted" ]; then
    echo "preparing the end-to-end suites' Python environment in $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r Tests/e2e/requirements.txt
    echo "$wanted" > "$venv/requirements.sha256"
fi
PATH="$PWD/$venv/bin:$PATH" RELIEFLOG_BINARY="$PWD/.build/debug/relieflog" \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider Tests/e2e
