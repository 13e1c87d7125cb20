#!/usr/bin/env bash
# The store's setup, run in the app's directory (the setup Job, or tests/medusa):
# Medusa's migrations, then src/scripts/setup.ts through `medusa exec`. Both are
# idempotent, so every run (each upgrade) may run it again. Medusa's log goes to
# stderr; stdout carries only the result line ("setup-result: {...}", no secret).
# Environment: what medusa-config.ts and src/scripts/setup.ts read.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
medusa=node_modules/.bin/medusa
[ -x "$medusa" ] || { echo "setup: $medusa is missing (npm ci)" >&2; exit 2; }
for v in DATABASE_URL JWT_SECRET COOKIE_SECRET MEDUSA_ADMIN_EMAIL MEDUSA_ADMIN_PASSWORD; do
	[ -n "${!v:-}" ] || { echo "setup: error: $v is not set" >&2; exit 2; }
done
start=$SECONDS
"$medusa" db:migrate >&2
migrated=$((SECONDS - start))
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
"$medusa" exec ./src/scripts/setup.ts >"$out" 2>&1 || rc=$?
grep -v '^setup-result: ' "$out" >&2 || true
echo "setup: migrations ${migrated}s, setup script $((SECONDS - start - migrated))s" >&2
# medusa exec logs a failure and may still exit 0: no result line is a failure.
if [ "$rc" -ne 0 ] || ! grep -q '^setup-result: ' "$out"; then
	echo "setup: failed (exit status $rc)" >&2
	exit 1
fi
grep '^setup-result: ' "$out" | tail -n 1
