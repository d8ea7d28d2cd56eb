#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after the other, and stops at the
# first that finds a crash, a timeout or an out-of-memory. SECONDS=0 replays the committed
# seeds and the local corpus once per target: the regression run CI does.
#
#   scripts/fuzz-all.sh [SECONDS]
set -euo pipefail
# The service module without its migrations generator, whose main collides with libFuzzer's.
export RELIEFLOG_FUZZ_BUILD=1
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-600}"
targets=(HTTPParserFuzzer JSONFuzzer QueryStringFuzzer RecordInputFuzzer CSVFuzzer MigraineBuddyFuzzer)
cd "$root/Fuzz"
# One build for all targets.
swift build -c release \
    --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing \
    --disable-dead-strip
for target in "${targets[@]}"; do
    FUZZ_SKIP_BUILD=1 "$root/scripts/fuzz.sh" "$target" "$seconds"
done
