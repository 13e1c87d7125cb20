#!/usr/bin/env bash
# Builds the project's container images on this machine, with no Docker engine and no
# registry, from the same Dockerfiles production builds (images/*/Dockerfile, all FROM
# debian:bookworm-slim), and saves each as a docker archive that containerd can import.
#
#   scripts/images.sh                 build what changed, print what was built or reused
#   scripts/images.sh --load SOCKET   and import every image into the containerd at SOCKET
#                                     (namespace k8s.io, where the kubelet looks); or set
#                                     STORE_IMAGES_LOAD=SOCKET
#   scripts/images.sh --list          the image references (name:tag), one a line
#
# The base: debian:bookworm-slim made here by mmdebstrap (from the host's apt sources) and
# umoci, pinned by images/debian/ and tagged with the registry's name in
# buildah's storage, so `FROM debian:bookworm-slim` finds it (buildah --pull=never).
# The images: the shop (images/wordpress, WORDPRESS_SOURCE=local: the archives from
# STORE_VENDOR_DIR, default ../shared/vendor beside the checkout), the database
# (images/mariadb) and the orchestrator (images/orchestrator: needs dashboard/dist from
# `make dashboard` and helm from `make tools`).
#
# Each is rebuilt only when its inputs change: its cache key is a hash of its Dockerfile, every
# file of its build context, its build arguments and the base's key. Archives and keys live in
# ${STORE_PLATFORM_CACHE:-~/.cache/store-platform}/images. Tags are derived from the pins (the
# Dockerfiles' version ARGs; the platform chart's appVersion for the orchestrator), never
# latest; the charts' default images name exactly these. Run as root (buildah, chroot).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${STORE_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/store-platform}/images
vendor=${STORE_VENDOR_DIR:-$(cd "$root/.." && pwd)/shared/vendor}
load=${STORE_IMAGES_LOAD:-}
# The label that tells a loaded image's cache key, so a second --load imports nothing.
key_label=org.store-platform.images.key

log() { printf 'images: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# --- what is built, and under which names -----------------------------------------------------
arg_of() { # image ARG: the default of that ARG in the image's Dockerfile
	local v
	v=$(sed -n "s/^ARG $2=//p" "$root/images/$1/Dockerfile" | head -n1)
	[ -n "$v" ] || die "images/$1/Dockerfile has no default for ARG $2"
	echo "$v"
}
wp_version=$(arg_of wordpress WORDPRESS_VERSION)
wc_version=$(arg_of wordpress WOOCOMMERCE_VERSION)
db_version=$(arg_of mariadb MARIADB_VERSION)
medusa_version=$(arg_of medusa MEDUSA_VERSION)
pg_version=$(arg_of postgresql POSTGRES_VERSION)
app_version=$(sed -n 's/^appVersion: *//p' "$root/charts/platform/Chart.yaml" | tr -d '"')
[ -n "$app_version" ] || die "charts/platform/Chart.yaml has no appVersion"
names=(wordpress mariadb medusa postgresql orchestrator)
declare -A ref=(
	[wordpress]="store-platform/wordpress:$wp_version-wc$wc_version"
	[mariadb]="store-platform/mariadb:$db_version"
	[medusa]="store-platform/medusa:$medusa_version"
	[postgresql]="store-platform/postgresql:$pg_version"
	[orchestrator]="store-platform/orchestrator:$app_version"
)
full_ref() { echo "docker.io/${ref[$1]}"; } # what the kubelet asks containerd for

case ${1:-} in
--list)
	for n in "${names[@]}"; do echo "${ref[$n]}"; done
	exit 0
	;;
--load)
	[ -n "${2:-}" ] || die "--load needs containerd's socket"
	load=$2
	;;
-h | --help)
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
	;;
'') ;;
*) die "unknown argument '$1' (--list, --load SOCKET)" ;;
esac

[ "$(id -u)" -eq 0 ] || die "run as root (buildah builds with chroot isolation)"
# ctr is containerd's, built by make tools (Debian's would be containerd 1.6's)
PATH="$("$root/scripts/tools.sh" --dir):$PATH"
missing=()
for c in mmdebstrap umoci buildah sha256sum; do command -v "$c" >/dev/null || missing+=("$c"); done
[ -z "$load" ] || command -v ctr >/dev/null || missing+=(ctr)
[ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]} (make deps installs mmdebstrap, umoci and buildah; ctr: make tools)"
mkdir -p "$cache/logs"
exec 9>"$cache/.lock"
flock 9 || die "cannot lock $cache/.lock"

took() { echo "$(($(date +%s) - $1))s"; }
# Runs a command with its output in the image's log; on failure shows the log's end.
logged() { # name command...
	local name=$1
	shift
	if ! "$@" >>"$cache/logs/$name.log" 2>&1; then
		tail -n 30 "$cache/logs/$name.log" | sed 's/^/    /' >&2
		die "$name: '$*' failed (whole log: $cache/logs/$name.log)"
	fi
}
hash_tree() { # dir: one hash of every file's path and content under dir
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

# --- the base: debian:bookworm-slim from mmdebstrap + umoci ----------------------------------
# shellcheck source=images/debian/bookworm-slim.env
. "$root/images/debian/bookworm-slim.env"
base_key=$(hash_tree "$root/images/debian")
base_dir=$cache/base-$base_key
start=$(date +%s)
if [ ! -f "$base_dir/done" ]; then
	rm -rf "$base_dir" && mkdir -p "$base_dir"
	: >"$cache/logs/base.log"
	log "making $BASE_REF: mmdebstrap --variant=$BASE_VARIANT $BASE_SUITE, umoci"
	logged base "$root/images/debian/mkbase.sh" "$base_dir/oci"
	touch "$base_dir/done"
	base_state=built
else
	base_state=reused
fi
# In buildah's storage under the registry's name, and the very image of this key.
base_id=$(cat "$base_dir/id" 2>/dev/null || true)
if [ -z "$base_id" ] || [ "$(buildah inspect --type image --format '{{.FromImageID}}' "$BASE_REF" 2>/dev/null)" != "$base_id" ]; then
	buildah rmi "$BASE_REF" >/dev/null 2>&1 || true
	# buildah names an image pulled from an OCI layout after its path, which must then be a
	# valid reference (no dots, no capitals): pulled through a link, tagged, the path name dropped.
	via=/tmp/store-platform-images-$$
	mkdir -p "$via" && ln -sfn "$base_dir/oci" "$via/debian"
	base_id=$(buildah pull --quiet "oci:$via/debian:bookworm-slim" 2>>"$cache/logs/base.log") || die "buildah could not read $base_dir/oci"
	logged base buildah tag "$base_id" "$BASE_REF"
	logged base buildah rmi "localhost$via/debian:latest"
	rm -rf "$via"
	echo "$base_id" >"$base_dir/id"
fi
log "$base_state $BASE_REF (key $base_key) in $(took "$start")"

# --- the images -------------------------------------------------------------------------------
# Build contexts: the shop's and the database's are their folders; the orchestrator's is a
# copy of exactly the repository files its Dockerfile uses (the C build never sees a host build/).
context_wordpress() {
	local f
	for f in "wordpress-$wp_version.tar.xz" "woocommerce-$wc_version.tar.xz"; do
		[ -f "$vendor/$f" ] || die "wordpress: no $f in STORE_VENDOR_DIR=$vendor"
		cmp -s "$vendor/$f" "$root/images/wordpress/vendor/$f" || cp "$vendor/$f" "$root/images/wordpress/vendor/$f"
	done
	echo "$root/images/wordpress"
}
context_mariadb() { echo "$root/images/mariadb"; }
context_postgresql() { echo "$root/images/postgresql"; }
# The Medusa store's: its Dockerfile and Node.js pin, and our application without anything a
# host run left in it (node_modules, .medusa).
context_medusa() {
	local ctx=$cache/context/medusa
	rm -rf "$ctx" && mkdir -p "$ctx"
	(cd "$root" && cp -R --parents images/medusa engines/medusa/order.sh "$ctx/" &&
		git ls-files -z --cached --others --exclude-standard engines/medusa/app 2>/dev/null | xargs -0 -r cp --parents -t "$ctx/")
	[ -f "$ctx/engines/medusa/app/package-lock.json" ] || die "medusa: engines/medusa/app is not in a git checkout here"
	echo "$ctx"
}
context_orchestrator() {
	local ctx=$cache/context/orchestrator helm
	helm="$("$root/scripts/tools.sh" --dir)/helm"
	[ -x "$helm" ] || die "orchestrator: no helm at $helm (make tools)"
	[ -f "$root/dashboard/dist/index.html" ] || die "orchestrator: no dashboard/dist (make dashboard)"
	rm -rf "$ctx" && mkdir -p "$ctx/images/orchestrator"
	(cd "$root" && cp -R --parents dashboard/embed.sh dashboard/dist orchestrator/Makefile orchestrator/src \
		charts/engines.yaml charts/store charts/medusa images/orchestrator/Dockerfile "$ctx/")
	cp "$helm" "$ctx/images/orchestrator/helm"
	echo "$ctx"
}
# Build arguments, words split on spaces.
# The Medusa image's npm uses the registry and CA bundle npm here is configured with (read at
# build time, never written into the repository).
npm_registry=$(npm config get registry 2>/dev/null || true)
npm_ca=$(npm config get cafile 2>/dev/null || true)
[ "$npm_ca" != null ] && [ -f "$npm_ca" ] || npm_ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
declare -A build_args=([wordpress]="--build-arg WORDPRESS_SOURCE=local" [mariadb]="" [postgresql]=""
	[medusa]="--build-arg NPM_REGISTRY=$npm_registry --secret id=npm-ca,src=$npm_ca" [orchestrator]="")

for n in "${names[@]}"; do
	start=$(date +%s)
	ctx=$("context_$n")
	read -r -a args <<<"${build_args[$n]}"
	dockerfile=$ctx/images/$n/Dockerfile
	[ -f "$dockerfile" ] || dockerfile=$ctx/Dockerfile
	key=$(printf '%s\n' "$base_key" "$(hash_tree "$ctx")" "${args[@]}" | sha256sum | cut -c1-16)
	archive=$cache/$n.tar
	if [ -f "$archive" ] && [ "$(cat "$cache/$n.key" 2>/dev/null)" = "$key" ]; then
		state=reused
	else
		: >"$cache/logs/$n.log"
		log "building ${ref[$n]} (log: $cache/logs/$n.log)"
		logged "$n" buildah bud --isolation chroot --network host --pull=never --layers \
			"${args[@]}" -f "$dockerfile" -t "$(full_ref "$n")" "$ctx"
		rm -f "$archive.tmp"
		logged "$n" buildah push --quiet "$(full_ref "$n")" "docker-archive:$archive.tmp:$(full_ref "$n")"
		mv "$archive.tmp" "$archive"
		echo "$key" >"$cache/$n.key"
		state=built
	fi
	log "$state ${ref[$n]} (key $key, $(du -m "$archive" | cut -f1) MB) in $(took "$start")"
done

# --- into containerd --------------------------------------------------------------------------
[ -n "$load" ] || exit 0
[ -S "$load" ] || die "no containerd socket at $load"
for n in "${names[@]}"; do
	start=$(date +%s)
	key=$(cat "$cache/$n.key")
	if ctr --address "$load" -n k8s.io images ls "name==$(full_ref "$n")" 2>/dev/null | grep -q "$key_label=$key"; then
		log "already in containerd: ${ref[$n]} in $(took "$start")"
		continue
	fi
	logged "$n" ctr --address "$load" -n k8s.io images import "$cache/$n.tar"
	logged "$n" ctr --address "$load" -n k8s.io images label "$(full_ref "$n")" "$key_label=$key"
	log "loaded ${ref[$n]} into containerd at $load in $(took "$start")"
done
