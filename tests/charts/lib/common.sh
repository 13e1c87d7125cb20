# shellcheck shell=bash
# Helpers for the chart suites; source after tests/lib.sh.
# shellcheck disable=SC2034,SC2154 # sourced after tests/lib.sh (which sets root); the suites use these
chart="$root/charts/store"
# A python3 with PyYAML (python3-yaml from tools/debian-packages.txt).
py=""
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import yaml' 2>/dev/null; then
		py=$p
		break
	fi
done
check_manifests() { "$py" "$root/tests/charts/lib/check_manifests.py"; }
# Minimal values every install needs (the orchestrator always sets them).
base_sets=(--set storeName=demo --set host=demo.localtest.me)
# The chart rendered as release store-demo in namespace store-demo, with extra helm args.
render() { helm template store-demo "$chart" --namespace store-demo "$@"; }
