#!/usr/bin/env bash
# Places a shopper's order in a store through the WooCommerce Store API and
# checks that it was stored: scripts/order.sh [options] <store-url>.
# The script itself lives in the store chart (charts/store/files/order.sh),
# where the chart's helm test runs the same code; see its header for options.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$root/charts/store/files/order.sh" "$@"
