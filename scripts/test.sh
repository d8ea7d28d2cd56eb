#!/usr/bin/env bash
# The test command: builds (warnings are errors when CI is set) and runs every test suite
# against real SQLite files in temporary directories and real servers on loopback ports, then
# the end-to-end suites in Tests/e2e (Python: browser, FHIR validator, webhook receivers)
# against the real binary.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build "$@"
if [ "$#" -eq 0 ] && compgen -G "Tests/e2e/*/test_*.py" >/dev/null; then
    if python3 -c 'import pytest' 2>/dev/null; then
        RELIEFLOG_BINARY="$PWD/.build/debug/relieflog" python3 -m pytest -q -p no:cacheprovider Tests/e2e
    else
        echo "end-to-end suites skipped: pip install -r Tests/e2e/requirements.txt" >&2
        exit 1
    fi
fi
