#!/usr/bin/env bash
# Every shell script the project ships passes shellcheck (settings in .shellcheckrc).
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$root" || exit 1
while IFS= read -r f; do
	check "shellcheck $f" shellcheck -x "$f"
done < <(git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
	[ -f "$f" ] || continue
	case "$f" in *.sh | .ci/run) echo "$f" ;; *) head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f" ;; esac
done | sort -u)
