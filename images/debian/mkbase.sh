#!/usr/bin/env bash
# Makes the local debian:bookworm-slim as an OCI image layout, from the pins in
# bookworm-slim.env beside this file: mmdebstrap (the host's apt sources, no mirror argument)
# writes the root filesystem as a tarball, umoci makes it the one layer of an image tagged
# bookworm-slim. scripts/images.sh runs it when the hash of this folder changes, then tags the
# result with the registry's name in buildah's storage. As root.
#
#   images/debian/mkbase.sh OCI_DIR     OCI_DIR must not exist yet
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: mkbase.sh OCI_DIR}
# shellcheck source=images/debian/bookworm-slim.env
. "$here/bookworm-slim.env"

opts=()
for o in "${BASE_DPKG_OPTS[@]}"; do opts+=("--dpkgopt=$o"); done
for o in "${BASE_HOOK_DIRS[@]}"; do opts+=("--hook-dir=$o"); done
# apt's settings go in last: with Dir::Cache::pkgcache "" mmdebstrap's own cleanup would no
# longer find apt's caches, so they are removed here.
# shellcheck disable=SC2016 # "$1" is the hook's argument (the new root), expanded by mmdebstrap's shell
opts+=("--customize-hook=upload $here/$BASE_APT_CONF /etc/apt/apt.conf.d/90slim"
	'--customize-hook=rm -f "$1"/var/cache/apt/*.bin')

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mmdebstrap --variant="$BASE_VARIANT" --format=tar "${opts[@]}" "$BASE_SUITE" "$tmp/rootfs.tar"
umoci init --layout "$out"
umoci new --image "$out:bookworm-slim"
umoci raw add-layer --image "$out:bookworm-slim" "$tmp/rootfs.tar"
umoci config --image "$out:bookworm-slim" --os linux --architecture amd64 \
	--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.cmd bash
umoci gc --layout "$out"
