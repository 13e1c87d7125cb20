#!/usr/bin/env bash
# The platform's scripts pass shellcheck; make up / make down check their prerequisites before
# touching anything (run here, where Docker and kind are absent, they must stop and name them);
# the orchestrator Dockerfile keeps the promises that can be checked by reading it.
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$root" || exit 1

for f in scripts/kind-up.sh scripts/kind-down.sh scripts/dev-credentials.sh tests/platform/*.sh; do
	check "shellcheck $f" shellcheck -x "$f"
done

names_missing() { # script: run where docker and kind are absent; it must fail naming them
	local out
	out=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin "$1" 2>&1) && { echo "succeeded: $out"; return 1; }
	grep -q "missing: .*kind" <<<"$out" || { echo "no 'missing: ... kind' in: $out"; return 1; }
}
if PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v kind >/dev/null; then
	# never bring up or tear down a real kind cluster from the test suite
	echo "ok - kind-up.sh/kind-down.sh prerequisite check # SKIP kind is installed here"
else
	check "kind-up.sh stops before changing anything and names what is missing" names_missing scripts/kind-up.sh
	check "kind-down.sh stops and names what is missing" names_missing scripts/kind-down.sh
fi

df=images/orchestrator/Dockerfile
check "Dockerfile: multi-stage (build, runtime), every stage on debian:bookworm-slim" bash -c \
	"[ \$(grep -c '^FROM ' $df) -ge 2 ] && ! grep '^FROM ' $df | grep -v '^FROM debian:bookworm-slim'"
check "Dockerfile: runs as a numeric non-root UID" grep -qE '^USER [1-9][0-9]*(:[0-9]+)?$' "$df"
check "Dockerfile: helm is the project's pinned build (tools/versions.env, tools/helm/go.sum)" bash -c \
	"grep -q '^COPY images/orchestrator/helm ' $df && grep -q 'HELM_VERSION' $df && grep -q 'tools/helm/go.sum' $df"
check "Dockerfile: the store chart is inside" grep -q '^COPY charts/store/' "$df"
check "Dockerfile: helm writes only under /tmp" grep -q 'HELM_CACHE_HOME=/tmp' "$df"
check "Dockerfile: no :latest base image" bash -c "! grep -E '^(ARG .*_IMAGE=|FROM ).*:latest' $df"
check ".dockerignore keeps local state out of the build context" bash -c \
	"grep -qx '.cluster/' .dockerignore && grep -qx 'orchestrator/build/' .dockerignore"
