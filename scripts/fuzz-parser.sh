#!/usr/bin/env bash
# Fuzzes the HTTP request parser (kept for old habits): scripts/fuzz.sh HTTPParserFuzzer.
exec "$(dirname "${BASH_SOURCE[0]}")/fuzz.sh" HTTPParserFuzzer "${1:-600}"
