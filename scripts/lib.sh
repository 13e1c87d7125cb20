# shellcheck shell=bash
# What the scripts share. Source it: . "$root/scripts/lib.sh"
#   log MESSAGE...   one line on stderr, prefixed with the script's name ("kind-up: ...")
#   die MESSAGE...   log, then exit 1
sp_script_name=$(basename "$0" .sh)
log() { printf '%s: %s\n' "$sp_script_name" "$*" >&2; }
die() {
	log "$*"
	exit 1
}
