#!/usr/bin/env bash
# Builds every tests/unit/test_*.c twice and runs each build: with AddressSanitizer + UBSan
# (make tests, build/asan/tests) and with ThreadSanitizer (make tsan-tests, build/tsan/tests;
# the two cannot share a binary). Prints cmocka's TAP lines ("ok N - name" / "not ok N -
# name") for tests/run.sh to count, the TSan ones named "tsan/test_x: ...". A test binary
# that crashes or reports a sanitizer error exits non-zero, which is reported as a failed
# test of its own.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
orch=$(cd "$here/../.." && pwd)
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
export SP_TEST_ROOT="$orch/.."
rc=0

run_build() { # TARGET DIR PREFIX
	local out t name status
	if ! out=$(make -s -C "$orch" -j2 "$1" 2>&1); then
		echo "not ok - unit tests build ($1)"
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/    # /'
		rc=1
		return
	fi
	for t in "$orch/build/$2/tests"/test_*; do
		[ -x "$t" ] || continue
		name=$3$(basename "$t")
		echo "# $name"
		out=$("$t" 2>&1)
		status=$?
		printf '%s\n' "$out" | sed -e "s|^\(\(not \)\{0,1\}ok [0-9]* - \)|\1$name: |"
		if [ "$status" -ne 0 ]; then
			rc=1
		fi
		if [ "$status" -ne 0 ] && ! grep -q '^not ok' <<<"$out"; then
			echo "not ok - $name exited with status $status (failed test or sanitizer report above)"
			rc=1
		fi
	done
}

run_build tests asan ""
run_build tsan-tests tsan tsan/
exit $rc
