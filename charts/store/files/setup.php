<?php
/**
 * setup.php: makes a WordPress a WooCommerce shop that is ready to sell, with
 * nobody clicking through a wizard. It needs only PHP: it drives WordPress's
 * and WooCommerce's own PHP API (wp-load.php, wp_install, WC_Install, WC_Tax,
 * WC_Shipping_Zone, WC_Product_Simple), so the same file runs in the setup Job
 * and on the host in the tests (tests/store). wp-cli is not needed.
 *
 * It runs on every install and upgrade, so every step first looks at what is
 * there and changes only what differs: a re-run creates nothing twice (one tax
 * rate of the configured name, one domestic zone, one product per sample SKU,
 * the four shop pages) and leaves the shop as the first run left it.
 *
 *   php setup.php [--path DIR]        DIR: the WordPress root (/var/www/html)
 *
 * Environment (the Job sets it from values and the store's Secret):
 *   WP_ADMIN_USER WP_ADMIN_PASSWORD WP_ADMIN_EMAIL   the admin account (required)
 *   STORE_URL              http(s)://host[:port] (required)
 *   STORE_TITLE STORE_COUNTRY STORE_STATE STORE_CITY STORE_ADDRESS STORE_POSTCODE
 *   STORE_CURRENCY STORE_TAX_RATE STORE_TAX_NAME STORE_SAMPLE_PRODUCTS (yes|no)
 *   WORDPRESS_DB_HOST/USER/PASSWORD/NAME, WORDPRESS_TABLE_PREFIX   as for wp-config.php
 *   DB_WAIT_SECONDS (300) DB_WAIT_INTERVAL (2)   how long to wait for the database
 *
 * Prices are entered and shown including the tax ("MRP inclusive of all
 * taxes"), and the tax stays an itemised line in the cart, checkout and order.
 *
 * It logs what it does to stderr, and never a secret: the admin password goes
 * to wp_install as a value, never through a command line or a prompt.
 *
 * Exit status: 0 done, 1 a step failed, 2 bad arguments or environment (the
 * message names the variable; nothing has touched the database then).
 *
 * The work happens in three PHP processes, because WordPress decides once per
 * process whether it is installing and which plugins are loaded: "core"
 * installs WordPress when the database has no site, "plugin" activates
 * WooCommerce (its activation creates its tables, roles and pages), and the
 * parent then loads both and configures the shop.
 */

const SETUP_SAMPLE_PRODUCTS = array(
	// SKU, name, price including tax, virtual, description: three to ship, one not.
	array( 'SP-CHAI-250', 'Masala Chai, 250 g', '349', false, 'Assam tea with cardamom, ginger and cinnamon.' ),
	array( 'SP-TOTE-01', 'Handloom Cotton Tote', '599', false, 'A sturdy tote woven on a handloom.' ),
	array( 'SP-DIYA-01', 'Brass Diya', '799', false, 'A hand-polished brass oil lamp.' ),
	array( 'SP-CLASS-01', 'Online Cooking Class', '999', true, 'A live online class; nothing is shipped.' ),
);

/** Thrown for bad arguments or environment: exit status 2. */
class Setup_Usage_Error extends Exception {}

function setup_log( $message ) {
	fwrite( STDERR, "setup: $message\n" );
}

/** Stops the run: status 2 for usage errors, 1 for a failed step. */
function setup_die( $message, $status = 1 ) {
	setup_log( "error: $message" );
	exit( $status );
}

function setup_usage() {
	return "usage: php setup.php [--path DIR]   (configuration through the environment, see the header)\n";
}

/** Arguments into an array: path and (internal) phase. */
function setup_parse_args( array $argv ) {
	$args = array(
		'path'  => '/var/www/html',
		'phase' => '',
	);
	for ( $i = 1; $i < count( $argv ); $i++ ) {
		$a = $argv[ $i ];
		if ( '--path' === $a ) {
			if ( ! isset( $argv[ $i + 1 ] ) || '' === $argv[ $i + 1 ] ) {
				throw new Setup_Usage_Error( '--path needs a directory' );
			}
			$args['path'] = $argv[ ++$i ];
		} elseif ( 0 === strpos( $a, '--path=' ) ) {
			$args['path'] = substr( $a, 7 );
			if ( '' === $args['path'] ) {
				throw new Setup_Usage_Error( '--path needs a directory' );
			}
		} elseif ( 0 === strpos( $a, '--phase=' ) ) {
			$args['phase'] = substr( $a, 8 );
		} elseif ( '-h' === $a || '--help' === $a ) {
			fwrite( STDOUT, setup_usage() );
			exit( 0 );
		} else {
			throw new Setup_Usage_Error( "unknown argument '$a'" );
		}
	}
	if ( ! in_array( $args['phase'], array( '', 'core', 'plugin' ), true ) ) {
		throw new Setup_Usage_Error( "unknown phase '{$args['phase']}'" );
	}
	return $args;
}

/** One variable of the environment, or its default. */
function setup_env( $name, $default = null ) {
	$v = getenv( $name );
	if ( false === $v || '' === $v ) {
		if ( null === $default ) {
			throw new Setup_Usage_Error( "$name is not set" );
		}
		return $default;
	}
	return $v;
}

/** The environment, checked: nothing runs before every value passes. */
function setup_config() {
	$c = array(
		'admin_user'      => setup_env( 'WP_ADMIN_USER' ),
		'admin_password'  => setup_env( 'WP_ADMIN_PASSWORD' ),
		'admin_email'     => setup_env( 'WP_ADMIN_EMAIL' ),
		'url'             => setup_env( 'STORE_URL' ),
		'title'           => setup_env( 'STORE_TITLE', 'Store' ),
		'country'         => setup_env( 'STORE_COUNTRY', 'IN' ),
		'state'           => setup_env( 'STORE_STATE', '' ),
		'city'            => setup_env( 'STORE_CITY', '' ),
		'address'         => setup_env( 'STORE_ADDRESS', '' ),
		'postcode'        => setup_env( 'STORE_POSTCODE', '' ),
		'currency'        => setup_env( 'STORE_CURRENCY', 'INR' ),
		'tax_rate'        => setup_env( 'STORE_TAX_RATE', '18' ),
		'tax_name'        => setup_env( 'STORE_TAX_NAME', 'GST' ),
		'sample_products' => setup_env( 'STORE_SAMPLE_PRODUCTS', 'yes' ),
		'db_host'         => setup_env( 'WORDPRESS_DB_HOST' ),
		'db_user'         => setup_env( 'WORDPRESS_DB_USER' ),
		'db_password'     => setup_env( 'WORDPRESS_DB_PASSWORD' ),
		'db_name'         => setup_env( 'WORDPRESS_DB_NAME' ),
		'table_prefix'    => setup_env( 'WORDPRESS_TABLE_PREFIX', 'wp_' ),
		'db_wait'         => setup_env( 'DB_WAIT_SECONDS', '300' ),
		'db_interval'     => setup_env( 'DB_WAIT_INTERVAL', '2' ),
	);
	$rules = array(
		'url'             => array( 'STORE_URL', '#^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$#', 'is not http(s)://host[:port]' ),
		'admin_user'      => array( 'WP_ADMIN_USER', '/^[A-Za-z0-9._@-]{1,60}$/', 'is not a user name (letters, digits, . _ @ -, at most 60)' ),
		'admin_email'     => array( 'WP_ADMIN_EMAIL', '/^[^@\s]+@[^@\s]+\.[^@\s]+$/', 'is not an e-mail address' ),
		'country'         => array( 'STORE_COUNTRY', '/^[A-Z]{2}$/', 'is not a two-letter country code' ),
		'state'           => array( 'STORE_STATE', '/^([A-Z0-9]{1,3})?$/', 'is not a state code (e.g. KA)' ),
		'currency'        => array( 'STORE_CURRENCY', '/^[A-Z]{3}$/', 'is not a three-letter currency code' ),
		'tax_rate'        => array( 'STORE_TAX_RATE', '/^[0-9]{1,2}(\.[0-9]{1,4})?$/', 'is not a percentage (0 to 99.9999)' ),
		'tax_name'        => array( 'STORE_TAX_NAME', '/^[^<>"]{1,40}$/', 'is not a tax name (1 to 40 characters, no < > ")' ),
		'sample_products' => array( 'STORE_SAMPLE_PRODUCTS', '/^(yes|no)$/', 'is not yes or no' ),
		'table_prefix'    => array( 'WORDPRESS_TABLE_PREFIX', '/^[A-Za-z0-9_]{1,20}$/', 'is not a table prefix' ),
		'db_wait'         => array( 'DB_WAIT_SECONDS', '/^[0-9]{1,6}$/', 'is not a number of seconds' ),
		'db_interval'     => array( 'DB_WAIT_INTERVAL', '/^[0-9]{1,3}(\.[0-9]+)?$/', 'is not a number of seconds' ),
	);
	foreach ( $rules as $key => list( $name, $re, $rule ) ) {
		if ( ! preg_match( $re, $c[ $key ] ) ) {
			// The value is quoted: none of these variables is a secret.
			throw new Setup_Usage_Error( "$name '{$c[ $key ]}' $rule" );
		}
	}
	if ( strlen( $c['title'] ) > 200 ) {
		throw new Setup_Usage_Error( 'STORE_TITLE is longer than 200 characters' );
	}
	return $c;
}

/** WORDPRESS_DB_HOST as wpdb reads it: host, host:port or localhost:/socket. */
function setup_db_connect( array $c ) {
	$host   = $c['db_host'];
	$port   = 3306;
	$socket = null;
	if ( false !== strpos( $host, ':' ) ) {
		list( $host, $rest ) = explode( ':', $host, 2 );
		if ( '' !== $rest && '/' === $rest[0] ) {
			$socket = $rest;
		} else {
			$port = (int) $rest;
		}
	}
	mysqli_report( MYSQLI_REPORT_OFF );
	$db = @mysqli_connect( $host, $c['db_user'], $c['db_password'], $c['db_name'], $port, $socket );
	return $db ? $db : null;
}

function setup_wait_for_db( array $c ) {
	$deadline = microtime( true ) + (float) $c['db_wait'];
	while ( true ) {
		$db = setup_db_connect( $c );
		if ( $db ) {
			return $db;
		}
		if ( microtime( true ) >= $deadline ) {
			setup_die( "database not reachable after {$c['db_wait']}s: " . mysqli_connect_error() );
		}
		setup_log( 'waiting for the database' );
		usleep( (int) ( (float) $c['db_interval'] * 1e6 ) );
	}
}

/** Whether WordPress is installed in the database (its options table has a siteurl). */
function setup_core_installed( mysqli $db, array $c ) {
	$table = $c['table_prefix'] . 'options';
	$r     = $db->query( "SELECT option_value FROM `$table` WHERE option_name = 'siteurl'" );
	if ( false === $r ) {
		if ( 1146 === $db->errno ) { // no such table: a fresh database
			return false;
		}
		setup_die( "cannot read $table: {$db->error}" );
	}
	return $r->num_rows > 0;
}

/** Runs this file again as PHASE in a child php, with the same environment. */
function setup_run_phase( $phase, array $args ) {
	$cmd = array( PHP_BINARY, __FILE__, '--path', $args['path'], "--phase=$phase" );
	$p   = proc_open( $cmd, array( STDIN, STDOUT, STDERR ), $pipes );
	if ( ! is_resource( $p ) ) {
		setup_die( "cannot start the $phase phase" );
	}
	$status = proc_close( $p );
	if ( 0 !== $status ) {
		exit( 2 === $status ? 2 : 1 );
	}
}

/**
 * A CLI run has no request: gives WordPress the store's own host, so the URLs
 * it derives (cookies, uploads, the install's guess) are the store's.
 */
function setup_fake_request( $url ) {
	$host                       = parse_url( $url, PHP_URL_HOST );
	$port                       = parse_url( $url, PHP_URL_PORT );
	$_SERVER['HTTP_HOST']       = $host . ( $port ? ":$port" : '' );
	$_SERVER['SERVER_NAME']     = $host;
	$_SERVER['REQUEST_URI']     = '/';
	$_SERVER['REQUEST_METHOD']  = 'GET';
	$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
	if ( 'https' === parse_url( $url, PHP_URL_SCHEME ) ) {
		$_SERVER['HTTPS'] = 'on';
	}
}

/* ---- phase "core": WordPress itself ---------------------------------- */

function setup_phase_core( array $c ) {
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	if ( is_blog_installed() ) {
		return;
	}
	setup_log( "installing WordPress for {$c['url']}" );
	$r = wp_install( $c['title'], $c['admin_user'], $c['admin_email'], true, '', wp_slash( $c['admin_password'] ) );
	if ( empty( $r['user_id'] ) || is_wp_error( $r['user_id'] ) ) {
		setup_die( 'WordPress did not install' );
	}
}

/* ---- phase "plugin": WooCommerce activated ------------------------------ */

function setup_phase_plugin( array $c ) {
	require_once ABSPATH . 'wp-admin/includes/plugin.php';
	$plugin = 'woocommerce/woocommerce.php';
	if ( ! is_file( WP_PLUGIN_DIR . "/$plugin" ) ) {
		setup_die( 'WooCommerce is not in ' . WP_PLUGIN_DIR );
	}
	if ( is_plugin_active( $plugin ) ) {
		setup_log( 'WooCommerce is active' );
		return;
	}
	setup_log( 'activating WooCommerce' );
	$admin = get_user_by( 'login', $c['admin_user'] );
	if ( $admin ) {
		wp_set_current_user( $admin->ID );
	}
	// Not silent: its activation hook (WC_Install::install) creates the tables.
	$r = activate_plugin( $plugin, '', false, false );
	if ( is_wp_error( $r ) ) {
		setup_die( 'WooCommerce did not activate: ' . $r->get_error_message() );
	}
}

/* ---- the shop ------------------------------------------------------------ */

/** Sets an option when its stored value differs, and proves it was stored. */
function setup_option( $name, $value ) {
	$current = get_option( $name, null );
	if ( $current === $value || ( is_scalar( $current ) && is_scalar( $value ) && (string) $current === (string) $value ) ) {
		return;
	}
	setup_log( "option $name = " . ( is_scalar( $value ) ? $value : wp_json_encode( $value ) ) );
	update_option( $name, $value );
	wp_cache_delete( $name, 'options' );
	$stored = get_option( $name, null );
	if ( $stored !== $value && ! ( is_scalar( $stored ) && is_scalar( $value ) && (string) $stored === (string) $value ) ) {
		setup_die( "could not save option $name" );
	}
}

/** The stored array option holds every KEY => VALUE of WANT; merges them in otherwise. */
function setup_option_merge( $name, array $want ) {
	$current = get_option( $name, array() );
	$current = is_array( $current ) ? $current : array();
	setup_option( $name, array_merge( $current, $want ) );
}

function setup_site( array $c ) {
	// WP_HOME/WP_SITEURL in wp-config.php hide the stored values: set those too,
	// so the database alone describes the store.
	remove_filter( 'option_home', '_config_wp_home' );
	remove_filter( 'option_siteurl', '_config_wp_siteurl' );
	setup_option( 'home', $c['url'] );
	setup_option( 'siteurl', $c['url'] );
	setup_option( 'blogname', $c['title'] );
	setup_option( 'blog_public', '1' );
	setup_option( 'timezone_string', 'IN' === $c['country'] ? 'Asia/Kolkata' : get_option( 'timezone_string' ) );
	if ( ! get_user_by( 'login', $c['admin_user'] ) ) {
		setup_log( "creating the admin {$c['admin_user']}" );
		$id = wp_insert_user(
			array(
				'user_login' => $c['admin_user'],
				'user_pass'  => $c['admin_password'],
				'user_email' => $c['admin_email'],
				'role'       => 'administrator',
			)
		);
		if ( is_wp_error( $id ) ) {
			setup_die( 'could not create the admin: ' . $id->get_error_message() );
		}
	}
	$admin = get_user_by( 'login', $c['admin_user'] );
	wp_set_current_user( $admin->ID );
}

/**
 * Database updates after an image with a newer WooCommerce; nothing otherwise.
 * (WooCommerce itself reinstalls its tables and options on the first load of a
 * newer version, WC_Install::check_version; the data migrations it leaves to
 * a background queue run here, before the shop opens.)
 */
function setup_woocommerce_db() {
	if ( ! class_exists( 'WooCommerce' ) ) {
		setup_die( 'WooCommerce is active but did not load' );
	}
	if ( version_compare( get_option( 'woocommerce_version', '0' ), WC()->version, '<' ) ) {
		setup_die( 'WooCommerce ' . WC()->version . ' did not install into the database' );
	}
	if ( ! WC_Install::needs_db_update() ) {
		return;
	}
	$from = get_option( 'woocommerce_db_version' );
	setup_log( "updating WooCommerce's database from $from" );
	foreach ( WC_Install::get_db_update_callbacks() as $version => $callbacks ) {
		if ( version_compare( $from, $version, '<' ) ) {
			foreach ( $callbacks as $callback ) {
				include_once WC_ABSPATH . 'includes/wc-update-functions.php';
				call_user_func( $callback );
			}
		}
	}
	WC_Install::update_db_version();
}

/**
 * What WooCommerce does for a new shop on its first admin page view (HPOS
 * order tables, its current e-mails, ...): done now, before the shop takes an
 * order, instead of when the owner first opens wp-admin. It also adds the
 * coming-soon options as "yes"; setup_store_options turns them off after.
 */
function setup_new_shop_defaults() {
	if ( 'yes' !== get_option( 'woocommerce_newly_installed' ) ) {
		return;
	}
	setup_log( "applying WooCommerce's defaults for a new shop" );
	WC_Install::newly_installed();
}

function setup_store_options( array $c ) {
	setup_option( 'woocommerce_default_country', '' === $c['state'] ? $c['country'] : "{$c['country']}:{$c['state']}" );
	setup_option( 'woocommerce_store_address', $c['address'] );
	setup_option( 'woocommerce_store_city', $c['city'] );
	setup_option( 'woocommerce_store_postcode', $c['postcode'] );
	setup_option( 'woocommerce_currency', $c['currency'] );
	setup_option( 'woocommerce_currency_pos', 'left' );
	setup_option( 'woocommerce_price_thousand_sep', ',' );
	setup_option( 'woocommerce_price_decimal_sep', '.' );
	setup_option( 'woocommerce_price_num_decimals', '2' );
	setup_option( 'woocommerce_allowed_countries', 'specific' );
	setup_option( 'woocommerce_specific_allowed_countries', array( $c['country'] ) );
	setup_option( 'woocommerce_ship_to_countries', '' );
	setup_option( 'woocommerce_default_customer_address', 'base' );
	// Prices are entered and shown including the tax; the tax is itemised.
	setup_option( 'woocommerce_calc_taxes', 'yes' );
	setup_option( 'woocommerce_prices_include_tax', 'yes' );
	setup_option( 'woocommerce_tax_based_on', 'shipping' );
	setup_option( 'woocommerce_tax_display_shop', 'incl' );
	setup_option( 'woocommerce_tax_display_cart', 'incl' );
	setup_option( 'woocommerce_tax_total_display', 'itemized' );
	setup_option( 'woocommerce_price_display_suffix', "incl. {$c['tax_name']}" );
	setup_option( 'woocommerce_enable_guest_checkout', 'yes' );
	// Open for business: no coming-soon page, no onboarding wizard, no nags.
	// The task lists are hidden through the option WooCommerce reads today
	// (the older woocommerce_*task_list_hidden names are only aliases of it).
	setup_option( 'woocommerce_coming_soon', 'no' );
	setup_option( 'woocommerce_store_pages_only', 'no' );
	setup_option( 'woocommerce_task_list_hidden_lists', array_values( array_unique( array_merge( (array) get_option( 'woocommerce_task_list_hidden_lists', array() ), array( 'setup', 'extended' ) ) ) ) );
	setup_option( 'woocommerce_show_marketplace_suggestions', 'no' );
	setup_option( 'woocommerce_allow_tracking', 'no' );
	$profile = get_option( 'woocommerce_onboarding_profile', array() );
	if ( ! is_array( $profile ) || ( empty( $profile['skipped'] ) && empty( $profile['completed'] ) ) ) {
		setup_option_merge( 'woocommerce_onboarding_profile', array( 'skipped' => true ) );
	}
	delete_transient( '_wc_activation_redirect' );
}

function setup_cod() {
	$want = array(
		'enabled'            => 'yes',
		'title'              => 'Cash on delivery',
		'description'        => 'Pay with cash upon delivery.',
		'instructions'       => 'Pay with cash upon delivery.',
		'enable_for_methods' => array(),
		'enable_for_virtual' => 'yes',
	);
	$current = get_option( 'woocommerce_cod_settings', array() );
	if ( is_array( $current ) && 'yes' === ( $current['enabled'] ?? '' ) && 'yes' === ( $current['enable_for_virtual'] ?? '' ) ) {
		return; // on, and whatever the owner wrote in its texts stays
	}
	setup_log( 'enabling cash on delivery' );
	setup_option( 'woocommerce_cod_settings', array_merge( is_array( $current ) ? $current : array(), $want ) );
}

/** The shop, cart, checkout and my-account pages exist and are published. */
function setup_pages() {
	foreach ( array( 'shop', 'cart', 'checkout', 'myaccount' ) as $page ) {
		$id = (int) get_option( "woocommerce_{$page}_page_id" );
		if ( $id <= 0 || 'publish' !== get_post_status( $id ) ) {
			setup_log( 'creating the WooCommerce pages' );
			WC_Install::create_pages();
			return;
		}
	}
}

/** Pretty permalinks; the rewrite to index.php is in the Apache config, not in a .htaccess. */
function setup_permalinks() {
	global $wp_rewrite;
	if ( '/%postname%/' !== get_option( 'permalink_structure' ) ) {
		setup_log( 'permalinks /%postname%/' );
		$wp_rewrite->set_permalink_structure( '/%postname%/' );
	}
	// Derived data (WooCommerce adds endpoints); false: no .htaccess written.
	// On the first load after its activation WooCommerce has not registered its
	// page endpoints (seen with 11.0.1: none at this point, so order-received
	// and my-account/orders answered 404): register them before the rules are built.
	if ( empty( $wp_rewrite->endpoints ) && isset( WC()->query ) ) {
		WC()->query->add_endpoints();
	}
	flush_rewrite_rules( false );
	$rules = (array) get_option( 'rewrite_rules', array() );
	if ( ! preg_grep( '/order-received/', array_keys( $rules ) ) ) {
		setup_die( 'the rewrite rules lack WooCommerce\'s order-received endpoint' );
	}
}

/**
 * The one standard-class rate of the configured name for the country: created
 * when missing, its rate corrected when the value changed, duplicates (from an
 * older, non-idempotent setup) deleted. The owner's other rates stay.
 */
function setup_tax_rate( array $c ) {
	global $wpdb;
	$ids = $wpdb->get_col(
		$wpdb->prepare(
			"SELECT tax_rate_id FROM {$wpdb->prefix}woocommerce_tax_rates
			 WHERE tax_rate_country = %s AND tax_rate_state = '' AND tax_rate_class = '' AND tax_rate_name = %s
			 ORDER BY tax_rate_id",
			$c['country'],
			$c['tax_name']
		)
	);
	$rate = array(
		'tax_rate_country'  => $c['country'],
		'tax_rate_state'    => '',
		'tax_rate'          => number_format( (float) $c['tax_rate'], 4, '.', '' ),
		'tax_rate_name'     => $c['tax_name'],
		'tax_rate_priority' => 1,
		'tax_rate_compound' => 0,
		'tax_rate_shipping' => 1,
		'tax_rate_order'    => 0,
		'tax_rate_class'    => '',
	);
	if ( ! $ids ) {
		setup_log( "creating the {$c['tax_rate']}% {$c['tax_name']} rate" );
		WC_Tax::_insert_tax_rate( $rate );
		return;
	}
	$first = WC_Tax::_get_tax_rate( (int) $ids[0] );
	if ( (float) $first['tax_rate'] !== (float) $c['tax_rate'] || 1 !== (int) $first['tax_rate_shipping'] ) {
		setup_log( "setting the {$c['tax_name']} rate (id {$ids[0]}) to {$c['tax_rate']}%" );
		WC_Tax::_update_tax_rate( (int) $ids[0], $rate );
	}
	foreach ( array_slice( $ids, 1 ) as $id ) {
		setup_log( "deleting duplicate {$c['tax_name']} rate $id" );
		WC_Tax::_delete_tax_rate( (int) $id );
	}
}

function setup_shipping_zone( array $c ) {
	$name = "Domestic ({$c['country']})";
	foreach ( WC_Shipping_Zones::get_zones() as $zone ) {
		if ( $zone['zone_name'] === $name ) {
			return;
		}
	}
	setup_log( "creating shipping zone '$name' with free shipping" );
	$zone = new WC_Shipping_Zone();
	$zone->set_zone_name( $name );
	$zone->set_zone_order( 1 );
	$zone->add_location( $c['country'], 'country' );
	$zone->save();
	$zone->add_shipping_method( 'free_shipping' );
}

/**
 * WooCommerce's placeholder image is a media item in the database and a file
 * in wp-content/uploads. The file must be on the shop's volume (the Job mounts
 * it there); when the item exists but its file does not, it is put back.
 */
function setup_placeholder_image() {
	require_once ABSPATH . 'wp-admin/includes/image.php';
	$source = WC()->plugin_path() . '/assets/images/placeholder-attachment.webp';
	$id     = (int) get_option( 'woocommerce_placeholder_image', 0 );
	$file   = $id ? get_attached_file( $id ) : '';
	if ( $id && $file && is_file( $file ) ) {
		return;
	}
	$uploads = wp_upload_dir();
	if ( ! empty( $uploads['error'] ) ) {
		setup_die( 'uploads are not writable: ' . $uploads['error'] );
	}
	if ( ! $id || ! $file ) {
		$file = $uploads['basedir'] . '/woocommerce-placeholder.webp';
	}
	setup_log( 'writing the placeholder image to ' . $file );
	if ( ! wp_mkdir_p( dirname( $file ) ) || ! copy( $source, $file ) ) {
		setup_die( "cannot write $file" );
	}
	if ( ! $id || ! get_post( $id ) ) {
		$id = wp_insert_attachment(
			array(
				'guid'           => $uploads['baseurl'] . '/' . basename( $file ),
				'post_mime_type' => 'image/webp',
				'post_title'     => 'woocommerce-placeholder',
				'post_content'   => '',
				'post_status'    => 'inherit',
			),
			$file,
			0,
			true
		);
		if ( is_wp_error( $id ) ) {
			setup_die( 'cannot add the placeholder image: ' . $id->get_error_message() );
		}
		update_option( 'woocommerce_placeholder_image', $id );
	}
	wp_update_attachment_metadata( $id, wp_generate_attachment_metadata( $id, $file ) );
}

function setup_products( array $c ) {
	if ( 'yes' !== $c['sample_products'] ) {
		setup_log( 'sample products are turned off' );
		return;
	}
	foreach ( SETUP_SAMPLE_PRODUCTS as list( $sku, $name, $price, $virtual, $description ) ) {
		if ( wc_get_product_id_by_sku( $sku ) ) {
			continue;
		}
		setup_log( "creating product $sku ($name, $price incl. {$c['tax_name']})" );
		$p = new WC_Product_Simple();
		$p->set_name( $name );
		$p->set_sku( $sku );
		$p->set_regular_price( $price );
		$p->set_virtual( $virtual );
		$p->set_description( $description );
		$p->set_short_description( $description );
		$p->set_tax_status( 'taxable' );
		$p->set_status( 'publish' );
		$p->save();
		if ( ! $p->get_id() ) {
			setup_die( "product $sku was not saved" );
		}
	}
}

function setup_shop( array $c ) {
	setup_site( $c );
	setup_woocommerce_db();
	setup_new_shop_defaults();
	setup_store_options( $c );
	setup_cod();
	setup_pages();
	setup_tax_rate( $c );
	setup_shipping_zone( $c );
	setup_placeholder_image();
	setup_products( $c );
	// Last: the rules must hold WooCommerce's page endpoints (order-received,
	// my-account/orders, ...), which steps before may have flushed without.
	setup_permalinks();
}

/**
 * Everything before WordPress loads: arguments, environment, the database,
 * and the phases that need a process of their own. Returns what the rest of
 * the run needs; exits for a usage error or a failed phase.
 */
function setup_main( array $argv ) {
	try {
		$args = setup_parse_args( $argv );
		$c    = setup_config();
	} catch ( Setup_Usage_Error $e ) {
		fwrite( STDERR, 'setup: error: ' . $e->getMessage() . "\n" . setup_usage() );
		exit( 2 );
	}
	if ( ! is_file( $args['path'] . '/wp-load.php' ) ) {
		setup_die( "no WordPress in {$args['path']} (wp-load.php is missing)", 2 );
	}
	$run = array(
		'args'   => $args,
		'config' => $c,
		'start'  => microtime( true ),
	);
	if ( '' !== $args['phase'] ) {
		return $run;
	}
	$db = setup_wait_for_db( $c );
	$t  = microtime( true );
	if ( setup_core_installed( $db, $c ) ) {
		setup_log( 'WordPress is installed' );
	} else {
		setup_run_phase( 'core', $args );
	}
	$db->close();
	$run['core_s'] = microtime( true ) - $t;
	$t             = microtime( true );
	setup_run_phase( 'plugin', $args );
	$run['plugin_s'] = microtime( true ) - $t;
	$run['shop_t']   = microtime( true );
	return $run;
}

// WordPress is loaded here, in the global scope, as its own entry points do:
// wp-settings.php declares its globals by assignment at the top level.
$setup_run = setup_main( $argv );
if ( 'core' === $setup_run['args']['phase'] ) {
	define( 'WP_INSTALLING', true );
	/** No e-mail with the password: the owner reads it from the platform. */
	function wp_new_blog_notification() {}
}
setup_fake_request( $setup_run['config']['url'] );
// Rewrite rules stay in the database: the rewrite to index.php is in the
// Apache config, and a .htaccess in the document root would not survive a
// restart of the shop. (A hook set before WordPress loads, in the form
// WP_Hook::build_preinitialized_hooks reads.)
$GLOBALS['wp_filter']['flush_rewrite_rules_hard'][10][] = array(
	'function'      => '__return_false',
	'accepted_args' => 1,
);
require_once $setup_run['args']['path'] . '/wp-load.php';
switch ( $setup_run['args']['phase'] ) {
	case 'core':
		setup_phase_core( $setup_run['config'] );
		break;
	case 'plugin':
		setup_phase_plugin( $setup_run['config'] );
		break;
	default:
		setup_shop( $setup_run['config'] );
		$setup_end = microtime( true );
		setup_log(
			sprintf(
				'done in %.2fs (WordPress %.2fs, WooCommerce %.2fs, shop %.2fs): %s is ready to sell',
				$setup_end - $setup_run['start'],
				$setup_run['core_s'],
				$setup_run['plugin_s'],
				$setup_end - $setup_run['shop_t'],
				$setup_run['config']['url']
			)
		);
}
