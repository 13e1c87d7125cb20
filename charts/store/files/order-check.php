<?php
/**
 * order-check.php: one order as WooCommerce stored it, read through
 * WooCommerce's own API (wc_get_order) from the shop's database, so order.sh
 * can compare what the shopper was told with what the shop keeps.
 *
 *   php order-check.php WP_PATH ORDER_ID
 *
 * Needs the shop's environment (WORDPRESS_*, as for wp-config.php): run it in
 * the shop's container (kubectl exec) or on a host with the same variables.
 * Prints one JSON object: id, status, payment_method, currency, total,
 * total_tax, shipping_total, and tax_lines [{label, rate_percent, tax_total,
 * shipping_tax_total}] and items [{name, quantity, total, total_tax}], money
 * as decimal strings. Exit status: 0 printed, 1 no such order, 2 usage.
 */

if ( 3 !== $argc || ! preg_match( '/^[1-9][0-9]*$/', $argv[2] ) ) {
	fwrite( STDERR, "usage: php order-check.php WP_PATH ORDER_ID\n" );
	exit( 2 );
}
if ( ! is_file( $argv[1] . '/wp-load.php' ) ) {
	fwrite( STDERR, "order-check: no WordPress in {$argv[1]}\n" );
	exit( 2 );
}
$_SERVER['HTTP_HOST']   = $_SERVER['HTTP_HOST'] ?? 'localhost';
$_SERVER['REQUEST_URI'] = '/';
require_once $argv[1] . '/wp-load.php';

$order = function_exists( 'wc_get_order' ) ? wc_get_order( (int) $argv[2] ) : false;
if ( ! $order ) {
	fwrite( STDERR, "order-check: no order {$argv[2]}\n" );
	exit( 1 );
}
$out = array(
	'id'             => $order->get_id(),
	'status'         => $order->get_status(),
	'payment_method' => $order->get_payment_method(),
	'currency'       => $order->get_currency(),
	'total'          => wc_format_decimal( $order->get_total(), wc_get_price_decimals() ),
	'total_tax'      => wc_format_decimal( $order->get_total_tax(), wc_get_price_decimals() ),
	'shipping_total' => wc_format_decimal( $order->get_shipping_total(), wc_get_price_decimals() ),
	'tax_lines'      => array(),
	'items'          => array(),
);
foreach ( $order->get_items( 'tax' ) as $tax ) {
	$out['tax_lines'][] = array(
		'label'              => $tax->get_label(),
		'rate_percent'       => (string) $tax->get_rate_percent(),
		'tax_total'          => wc_format_decimal( $tax->get_tax_total(), wc_get_price_decimals() ),
		'shipping_tax_total' => wc_format_decimal( $tax->get_shipping_tax_total(), wc_get_price_decimals() ),
	);
}
foreach ( $order->get_items() as $item ) {
	$out['items'][] = array(
		'name'      => $item->get_name(),
		'quantity'  => $item->get_quantity(),
		'total'     => wc_format_decimal( $item->get_total(), wc_get_price_decimals() ),
		'total_tax' => wc_format_decimal( $item->get_total_tax(), wc_get_price_decimals() ),
	);
}
echo wp_json_encode( $out ), "\n";
