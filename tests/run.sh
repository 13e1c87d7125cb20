#!/usr/bin/env bash
# Runs the test suites given as arguments (executables that print TAP lines
# "ok ..." / "not ok ..."), streams their output, and ends with the one summary
# line "N passed, N failed". A suite that exits non-zero without reporting a
# failure counts as one failed test, so a crash is never silent.
set -uo pipefail
passed=0
failed=0
failed_names=()
for suite in "$@"; do
	echo "=== $suite"
	start=$SECONDS
	out=$(mktemp)
	"$suite" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -cE '^ok\b' "$out")
	f=$(grep -cE '^not ok\b' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $suite exited with status $rc"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $suite ran no test"
		f=1
	fi
	[ "$f" -gt 0 ] && failed_names+=("$suite")
	passed=$((passed + p))
	failed=$((failed + f))
	echo "--- $suite: $p passed, $f failed in $((SECONDS - start))s"
	rm -f "$out"
done
[ ${#failed_names[@]} -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
