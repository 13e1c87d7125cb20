#!/usr/bin/env bash
# The orchestrator's C passes clang-format (orchestrator/.clang-format) and
# clang-tidy (orchestrator/.clang-tidy: analyzer and bugprone checks as errors).
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$root/orchestrator" || exit 1
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is intended
read -ra cflags <<<"-std=c11 -D_GNU_SOURCE $(pkg-config --cflags libcurl jansson yaml-0.1 openssl libmicrohttpd)"
check "clang-format: every C file is formatted" clang-format --dry-run -Werror src/*.c src/*.h tests/unit/*.c fuzz/*.c
tidy() { clang-tidy --quiet "$1" -- "${cflags[@]}"; }
export -f tidy
for f in src/*.c; do
	check "clang-tidy $f" tidy "$f"
done
