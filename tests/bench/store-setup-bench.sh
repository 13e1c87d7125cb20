#!/usr/bin/env bash
# The store's setup on a real WordPress + WooCommerce on this host
# (tests/store/lib.sh): BENCH_SETUP_RUNS (5) new stores, each on a fresh
# database, timed from the outside (the wall time of `php setup.php`) and
# split by setup.php's own report into its three parts: installing WordPress,
# activating WooCommerce (its tables, roles and pages), configuring the shop.
# Then one re-run per store (what every upgrade costs). Writes key=value lines
# to BENCH_OUT for scripts/bench.sh.
# shellcheck disable=SC2119 # store_fresh/store_setup take optional arguments
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$root/tests/store/lib.sh"
runs=${BENCH_SETUP_RUNS:-5}
out=${BENCH_OUT:-/dev/null}

store_require
trap store_down EXIT
store_up
first=() rerun=() core=() plugin=() shop=()
now() { date +%s.%N; }
for i in $(seq 1 "$runs"); do
	store_fresh
	t=$(now)
	store_setup || { echo "setup failed:"; tail -n 20 "$store_out"; exit 1; }
	first+=("$(echo "$(now) - $t" | bc)")
	line=$(grep -E "setup: done in" "$store_out") || { echo "setup.php printed no timing:"; tail -n 5 "$store_out"; exit 1; }
	core+=("$(sed -E 's/.*WordPress ([0-9.]+)s.*/\1/' <<<"$line")")
	plugin+=("$(sed -E 's/.*WooCommerce ([0-9.]+)s.*/\1/' <<<"$line")")
	shop+=("$(sed -E 's/.*shop ([0-9.]+)s.*/\1/' <<<"$line")")
	t=$(now)
	store_setup || { echo "re-run failed:"; tail -n 20 "$store_out"; exit 1; }
	rerun+=("$(echo "$(now) - $t" | bc)")
	echo "store $i: first run ${first[-1]} s (WordPress ${core[-1]} s, WooCommerce ${plugin[-1]} s, shop ${shop[-1]} s), re-run ${rerun[-1]} s"
done
stat() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {printf "%.2f %.2f %.2f", v[int((NR + 1) / 2)], v[1], v[NR]}'; }
read -r f50 fmin fmax < <(stat "${first[@]}")
read -r r50 _ rmax < <(stat "${rerun[@]}")
read -r c50 _ _ < <(stat "${core[@]}")
read -r p50 _ _ < <(stat "${plugin[@]}")
read -r s50 _ _ < <(stat "${shop[@]}")
{
	echo "setup_runs=$runs"
	echo "setup_first_p50=$f50"
	echo "setup_first_min=$fmin"
	echo "setup_first_max=$fmax"
	echo "setup_rerun_p50=$r50"
	echo "setup_rerun_max=$rmax"
	echo "setup_core_p50=$c50"
	echo "setup_plugin_p50=$p50"
	echo "setup_shop_p50=$s50"
	echo "setup_versions=$(basename "$store_wp_archive") + $(basename "$store_wc_archive")"
} >"$out"
echo "setup on a fresh store: p50 $f50 s (min $fmin, max $fmax); re-run p50 $r50 s"
