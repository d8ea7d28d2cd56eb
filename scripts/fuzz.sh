#!/usr/bin/env bash
# Fuzzes one parser of untrusted bytes with libFuzzer and AddressSanitizer.
#
#   scripts/fuzz.sh TARGET [SECONDS] [libFuzzer flags…]     (default 600 s)
#   TARGET: HTTPParserFuzzer, JSONFuzzer, QueryStringFuzzer, RecordInputFuzzer, CSVFuzzer,
#           MigraineBuddyFuzzer
#
# Builds the Fuzz/ package, seeds Fuzz/corpus/TARGET/ from Fuzz/seeds/TARGET/, and runs the
# fuzzer for SECONDS with the dictionary Fuzz/dictionaries/TARGET.dict. Crashing inputs land in
# Fuzz/artifacts/TARGET/; the script exits non-zero when the fuzzer found one (or a timeout or
# out-of-memory). Re-run a single input with:
#   SWIFT_BACKTRACE=enable=no Fuzz/.build/release/TARGET Fuzz/artifacts/TARGET/crash-…
# With SECONDS=0 every seed and corpus file is run once, as a regression test.
set -euo pipefail
# The service module without its migrations generator, whose main collides with libFuzzer's.
export RELIEFLOG_FUZZ_BUILD=1

target="${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}"
seconds="${2:-600}"
shift $(( $# >= 2 ? 2 : 1 ))
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$root/Fuzz"
cd "$fuzz"

# --disable-dead-strip keeps the coverage sections libFuzzer needs; -enable-testing lets a
# harness reach the service's internal decoders.
if [ -z "${FUZZ_SKIP_BUILD:-}" ]; then
    swift build -c release \
        --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing \
        --disable-dead-strip \
        --product "$target"
fi
binary="$(swift build -c release --show-bin-path)/$target"
mkdir -p "corpus/$target" "artifacts/$target"
cp -n "seeds/$target"/* "corpus/$target/" 2>/dev/null || true
dictionary=()
[ -f "dictionaries/$target.dict" ] && dictionary=(-dict="dictionaries/$target.dict")
# The JSON parser also starts from the JSONTestSuite corpus the conformance test reads (read
# only: new inputs go to corpus/).
extra=()
[ "$target" = JSONFuzzer ] && extra=("$root/Tests/Fixtures/JSONTestSuite/test_parsing")

# Swift's own crash backtracer fights with ASan's signal handlers.
export SWIFT_BACKTRACE=enable=no
status=0
if [ "$seconds" = 0 ]; then
    "$binary" -runs=0 "seeds/$target" "corpus/$target" "${extra[@]}" "$@" || status=$?
else
    "$binary" "corpus/$target" "seeds/$target" "${extra[@]}" \
        -artifact_prefix="artifacts/$target/" \
        -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=2048 \
        "${dictionary[@]}" \
        -max_len=4096 \
        -print_final_stats=1 "$@" || status=$?
fi
if [ "$status" -ne 0 ]; then
    echo "fuzz: $target stopped with status $status; crashing inputs are in Fuzz/artifacts/$target/" >&2
    exit "$status"
fi
echo "fuzz: $target: no crash in ${seconds}s; corpus: $(ls "corpus/$target" | wc -l) inputs"
