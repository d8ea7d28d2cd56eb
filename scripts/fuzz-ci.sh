#!/usr/bin/env bash
# The fuzzing CI does (.ci/run): for the targets that build quickly (the HTTP request parser,
# the JSON parser and serializer, query-string decoding: they need neither the service module
# nor swift-crypto), every committed seed and regression input replayed once, then SECONDS of
# fresh fuzzing each (default 20). Fails on any crash, timeout or out-of-memory.
#
# The other targets (CSV, Migraine Buddy, record inputs) need the whole service, swift-crypto
# included, built with the sanitizers: 8 minutes on two busy cores, up to 30 under heavy load.
# Their seeds are replayed by the unit tests (FuzzSeedReplayTests) instead; FUZZ_CI_ALL=1 builds,
# replays and fuzzes them here too.
#
#   scripts/fuzz-ci.sh [SECONDS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-20}"
targets=(HTTPParserFuzzer JSONFuzzer QueryStringFuzzer)
[ -z "${FUZZ_CI_ALL:-}" ] || targets+=(RecordInputFuzzer CSVFuzzer MigraineBuddyFuzzer)
cd "$root/Fuzz"
for target in "${targets[@]}"; do
    "$root/scripts/fuzz.sh" "$target" 0
done
for target in "${targets[@]}"; do
    log="$root/Fuzz/artifacts/$target-ci.log"
    mkdir -p "$(dirname "$log")"
    if FUZZ_SKIP_BUILD=1 "$root/scripts/fuzz.sh" "$target" "$seconds" >"$log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^fuzz:' "$log" | tr '\n' ' '
        echo
    else
        tail -n 60 "$log"
        exit 1
    fi
done
