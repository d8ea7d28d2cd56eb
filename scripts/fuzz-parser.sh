#!/usr/bin/env bash
# Fuzzes the HTTP request parser with libFuzzer and AddressSanitizer.
#
#   scripts/fuzz-parser.sh [SECONDS]     (default 600)
#
# Builds the Fuzz/ package, seeds Fuzz/corpus/ from Fuzz/seeds/ and runs the
# fuzzer for SECONDS with the token dictionary Fuzz/http.dict. Crashing
# inputs land in Fuzz/artifacts/; the script exits non-zero if the fuzzer
# found one. Re-run a single input with:
#   SWIFT_BACKTRACE=enable=no Fuzz/.build/release/HTTPParserFuzzer Fuzz/artifacts/crash-…
set -euo pipefail

seconds="${1:-600}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$root/Fuzz"

cd "$fuzz"
# --disable-dead-strip keeps the coverage sections libFuzzer needs.
swift build -c release \
    --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
    --disable-dead-strip \
    --product HTTPParserFuzzer

binary="$(swift build -c release --show-bin-path)/HTTPParserFuzzer"
mkdir -p corpus artifacts
cp -n seeds/* corpus/ 2>/dev/null || true

# Swift's own crash backtracer fights with ASan's signal handlers.
export SWIFT_BACKTRACE=enable=no
status=0
"$binary" corpus \
    -artifact_prefix=artifacts/ \
    -max_total_time="$seconds" \
    -dict=http.dict \
    -max_len=4096 \
    -print_final_stats=1 || status=$?

if [ "$status" -ne 0 ]; then
    echo "fuzz-parser: the fuzzer stopped with status $status; crashing inputs are in Fuzz/artifacts/" >&2
    exit "$status"
fi
echo "fuzz-parser: no crash in ${seconds}s; corpus: $(ls corpus | wc -l) inputs"
