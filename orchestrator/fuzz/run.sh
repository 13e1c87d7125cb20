#!/usr/bin/env bash
# A bounded libFuzzer run of the API's request parsing (fuzz/fuzz_request.c) under ASan and
# UBSan, as a test: FUZZ_SECONDS (default 25) from the seed corpus in a scratch directory.
# `make fuzz` runs the same harness longer and keeps its corpus in build/fuzz/corpus.
set -uo pipefail
orch=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_SECONDS:-25}
if ! out=$(make -s -C "$orch" fuzz-build 2>&1); then
	echo "not ok - fuzz harness builds"
	printf '%s\n' "$out" | tail -n 20 | sed 's/^/    # /'
	exit 1
fi
echo "ok - fuzz harness builds with clang -fsanitize=fuzzer,address,undefined"
work=$(mktemp -d /tmp/sp-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$orch"/fuzz/corpus/* "$work/"
mkdir -p "$work/artifacts"
"$orch/build/fuzz/fuzz_request" -max_total_time="$secs" -max_len=4096 -timeout=10 \
	-artifact_prefix="$work/artifacts/" "$work" >"$work/log" 2>&1
rc=$?
stats=$(grep -E '^(#[0-9]+.*DONE|Done [0-9]+ runs)' "$work/log" | tail -n 2 | tr '\n' ' ')
echo "# $stats"
if [ $rc -eq 0 ] && [ -z "$(ls -A "$work/artifacts")" ]; then
	echo "ok - ${secs}s of fuzzing found no crash, leak or undefined behaviour"
else
	echo "not ok - the fuzzer found a problem (exit $rc)"
	grep -E 'ERROR|SUMMARY|runtime error' "$work/log" | head -n 10 | sed 's/^/    # /'
	find "$work/artifacts" -type f | sed 's/^/    # artifact: /'
fi
# the binary also replays single inputs (how a found crash is reproduced)
printf "\x03{}" >"$work/x"
if "$orch/build/fuzz/fuzz_request" -runs=0 "$work/x" >/dev/null 2>&1; then
	echo "ok - the harness runs a single input"
else
	echo "not ok - the harness fails on a valid single input"
fi
