#!/usr/bin/env bash
# The test command: builds (warnings are errors when CI is set) and runs every test suite
# against real SQLite files in temporary directories and real servers on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build "$@"
