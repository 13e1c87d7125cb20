<?php
/**
 * WordPress configuration of a store: everything comes from the environment,
 * so the same file serves every store, the setup Job and the host tests
 * (tests/store). The chart sets these variables from its values and from the
 * store's credentials Secret; nothing secret is written into this file.
 *
 *   WORDPRESS_DB_HOST       host[:port] or localhost:/path/to/socket (required)
 *   WORDPRESS_DB_NAME WORDPRESS_DB_USER WORDPRESS_DB_PASSWORD   (required)
 *   WORDPRESS_AUTH_KEY ... WORDPRESS_NONCE_SALT   the eight keys and salts (required)
 *   WORDPRESS_TABLE_PREFIX  (wp_)
 *   WORDPRESS_DEBUG         non-empty turns on WP_DEBUG, logged to stderr
 *   WORDPRESS_CONFIG_EXTRA  PHP run before WordPress loads (WP_HOME, WP_SITEURL,
 *                           WP_ENVIRONMENT_TYPE, ...), as in the official image
 *
 * A missing required variable stops the request with a message naming it,
 * never with a half-configured site.
 */

/** The value of a required variable; names it and stops when it is empty. */
function store_env_required( $name ) {
	$value = getenv( $name );
	if ( false === $value || '' === $value ) {
		fwrite( STDERR, "wp-config: $name is not set\n" );
		if ( PHP_SAPI !== 'cli' ) {
			http_response_code( 503 );
		}
		exit( 2 );
	}
	return $value;
}

define( 'DB_HOST', store_env_required( 'WORDPRESS_DB_HOST' ) );
define( 'DB_NAME', store_env_required( 'WORDPRESS_DB_NAME' ) );
define( 'DB_USER', store_env_required( 'WORDPRESS_DB_USER' ) );
define( 'DB_PASSWORD', store_env_required( 'WORDPRESS_DB_PASSWORD' ) );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );

foreach ( array( 'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT' ) as $store_key ) {
	define( $store_key, store_env_required( 'WORDPRESS_' . $store_key ) );
}
unset( $store_key );

$table_prefix = getenv( 'WORDPRESS_TABLE_PREFIX' ) ?: 'wp_';

if ( getenv( 'WORDPRESS_DEBUG' ) ) {
	define( 'WP_DEBUG', true );
	define( 'WP_DEBUG_LOG', 'php://stderr' );
	define( 'WP_DEBUG_DISPLAY', false );
}

// Behind the Ingress the shop sees plain HTTP; the proxy says what the
// shopper used, so WordPress builds https links and secure cookies.
if ( isset( $_SERVER['HTTP_X_FORWARDED_PROTO'] ) && 'https' === strtolower( $_SERVER['HTTP_X_FORWARDED_PROTO'] ) ) {
	$_SERVER['HTTPS'] = 'on';
}

$store_config_extra = getenv( 'WORDPRESS_CONFIG_EXTRA' );
if ( $store_config_extra ) {
	eval( $store_config_extra ); // phpcs:ignore Squiz.PHP.Eval -- the chart's own values, not user input
}
unset( $store_config_extra );

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
