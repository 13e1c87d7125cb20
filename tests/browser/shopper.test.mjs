// A shopper in a real WooCommerce store, in Debian's Chromium driven by
// playwright-core: open the storefront, open a product, add it to the cart,
// check out through WooCommerce's own checkout page with Cash on Delivery and
// an address in India, and read the order confirmation with its GST line.
// Prints TAP lines and, last, "order <id>" so the caller can check the order
// in the store itself.
//
// Environment: SHOP_URL (the store's URL, e.g. http://demo.localtest.me/),
// SHOP_CONNECT (optional HOST:PORT every request to the store's host goes to,
// as a DNS entry would: the local ingress), SHOP_PRODUCT (the product's name,
// default "Masala Chai, 250 g"), SHOP_PRICE (its price as shown, "349.00"),
// SHOP_TAX (the tax line's name, "GST"), SP_SHOTS (screenshot directory,
// optional), SP_CHROMIUM.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const env = (k, d) => {
  const v = process.env[k] || d;
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const SHOP = env('SHOP_URL').replace(/\/$/, '');
const PRODUCT = env('SHOP_PRODUCT', 'Masala Chai, 250 g');
const PRICE = env('SHOP_PRICE', '349.00');
const TAX = env('SHOP_TAX', 'GST');
const SHOTS = process.env.SP_SHOTS || '';
const host = new URL(SHOP).hostname;

let failures = 0;
let orderId = '';
async function test(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failures++;
    console.log(`not ok - ${name}`);
    for (const line of String(e && e.message ? e.message : e).split('\n').slice(0, 12)) console.log(`    # ${line}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps', '--mute-audio'];
if (process.env.SHOP_CONNECT) args.push(`--host-resolver-rules=MAP ${host} ${process.env.SHOP_CONNECT}`);
// A plain-HTTP store host that is not localhost is no secure context, where production's HTTPS
// store is one: treat the store's own origin as secure, so features kept to secure contexts
// behave as in production.
if (!/^https:|^http:\/\/(localhost|127\.0\.0\.1)[:/]/.test(SHOP)) args.push(`--unsafely-treat-insecure-origin-as-secure=${new URL(SHOP).origin}`);
const browser = await chromium.launch({ executablePath: process.env.SP_CHROMIUM || '/usr/bin/chromium', headless: true, args });
const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-IN', timezoneId: 'Asia/Kolkata' });
const page = await ctx.newPage();
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text().slice(0, 200)); });
page.on('pageerror', (e) => consoleErrors.push(String(e).slice(0, 200)));
page.setDefaultTimeout(30000);
const bad = [];
page.on('response', (r) => {
  if (r.url().startsWith(SHOP) && r.status() >= 400) bad.push(`${r.status()} ${r.url()}`);
});
const shot = async (name) => {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });
};

await test('the storefront opens and lists the product', async () => {
  const r = await page.goto(`${SHOP}/shop/`);
  assert(r && r.status() === 200, `GET /shop/: ${r && r.status()}`);
  await page.getByRole('link', { name: PRODUCT }).first().waitFor();
});

await test(`the product page shows ₹${PRICE} including ${TAX}`, async () => {
  await page.getByRole('link', { name: PRODUCT }).first().click();
  await page.waitForLoadState('load');
  const text = await page.locator('body').innerText();
  assert(text.includes(PRICE), `no ${PRICE} on the product page`);
  assert(text.includes(`incl. ${TAX}`), `no "incl. ${TAX}" on the product page`);
  await shot('shop-product');
});

await test('add to cart', async () => {
  await page.locator('button[name="add-to-cart"], button.single_add_to_cart_button').first().click();
  await page.waitForLoadState('load');
  await page.goto(`${SHOP}/cart/`);
  await page.getByText(PRODUCT).first().waitFor();
});

await test('check out with Cash on Delivery through the checkout page', async () => {
  await page.goto(`${SHOP}/checkout/`);
  await page.locator('#email').waitFor();
  await page.fill('#email', 'shopper@example.com');
  const prefix = (await page.locator('#shipping-first_name').count()) ? 'shipping' : 'billing';
  await page.fill(`#${prefix}-first_name`, 'Asha');
  await page.fill(`#${prefix}-last_name`, 'Rao');
  await page.fill(`#${prefix}-address_1`, '12 Residency Road');
  await page.fill(`#${prefix}-city`, 'Bengaluru');
  const state = page.locator(`#${prefix}-state`);
  if ((await state.evaluate((el) => el.tagName)) === 'SELECT') await state.selectOption('KA');
  else {
    await state.fill('Karnataka');
    await page.keyboard.press('Enter');
  }
  await page.fill(`#${prefix}-postcode`, '560025');
  if (await page.locator(`#${prefix}-phone`).count()) await page.fill(`#${prefix}-phone`, '9876543210');
  const cod = page.locator('#radio-control-wc-payment-method-options-cod');
  if (await cod.count()) await cod.check();
  await shot('shop-checkout');
  // The block checkout sends each address change to the Store API and ignores a click on
  // Place Order while that is under way: wait until it is idle and the button is enabled.
  const placeOrder = page.locator('.wc-block-components-checkout-place-order-button, #place_order').first();
  const settle = async () => {
    await page.waitForLoadState('networkidle');
    await page.waitForFunction(() => {
      const b = document.querySelector('.wc-block-components-checkout-place-order-button, #place_order');
      return b && !b.disabled && !b.classList.contains('wc-block-components-button--loading') &&
        !document.querySelector('.wc-block-checkout.is-loading, .wc-block-components-checkout-place-order-button .wc-block-components-spinner');
    }, null, { timeout: 30000 });
  };
  // A click the checkout ignored leaves the page as it was, with no notice: click again, as a
  // shopper would (an order under way disables the button, so no second order can start).
  let placed = false;
  for (let attempt = 0; attempt < 3 && !placed; attempt++) {
    await settle();
    await placeOrder.click();
    placed = await page.waitForURL(/order-received/, { timeout: 20000 }).then(() => true, () => false);
    if (!placed) console.log(`# Place Order attempt ${attempt + 1}: still at ${page.url()}`);
  }
  try {
    if (!placed) await page.waitForURL(/order-received/, { timeout: 1000 });
  } catch (e) {
    // say why the shop refused: its notices and the fields it marked invalid
    await shot('shop-checkout-refused');
    const why = await page.locator('.wc-block-components-notice-banner, .woocommerce-error, .wc-block-components-validation-error, [aria-invalid="true"]')
      .evaluateAll((els) => els.map((el) => (el.id ? `#${el.id}: ` : '') + (el.innerText || el.getAttribute('aria-describedby') || '').trim()).filter(Boolean));
    throw new Error(`no order confirmation after Place order (still at ${page.url()}): ${why.join(' | ') || 'no notice shown'}; console: ${consoleErrors.slice(-3).join(' | ') || 'no error'}`);
  }
  orderId = (page.url().match(/order-received\/(\d+)/) || page.url().match(/order-received=(\d+)/) || [])[1] || '';
  assert(orderId, `no order id in ${page.url()}`);
});

await test(`the confirmation shows the order, Cash on Delivery, ₹${PRICE} and its ${TAX} line`, async () => {
  const text = await page.locator('body').innerText();
  assert(/order has been received|Thank you/i.test(text), 'no confirmation text');
  assert(/cash on delivery/i.test(text), 'no Cash on delivery');
  assert(text.includes(PRICE), `no total ${PRICE}`);
  assert(text.includes(TAX), `no ${TAX} line`);
  await shot('shop-order-received');
});

await test('no request to the store failed', async () => {
  assert(bad.length === 0, bad.slice(0, 10).join('\n'));
});

await browser.close();
if (orderId) console.log(`# order ${orderId}`);
process.exit(failures ? 1 : 0);
