// The store's setup: what a new Medusa store needs before a shopper can order, made
// through Medusa's own modules and workflows (`medusa exec ./src/scripts/setup.ts`,
// after `medusa db:migrate`; ../../setup.sh runs both).
//
// Every step reads first and writes only what is missing, so a second run changes
// nothing; each write is named in "changes". The last line on stdout is one JSON
// object, prefixed "setup-result: ", for the scripts that come after (the order
// script reads the publishable key from it). No password is ever printed.
//
// Environment:
//   MEDUSA_ADMIN_EMAIL, MEDUSA_ADMIN_PASSWORD   the shop owner's login (required)
//   STORE_NAME        the store's name (default "Medusa Store")
//   STORE_CURRENCY    ISO 4217, lower or upper case (default inr)
//   STORE_COUNTRY     ISO 3166-1 alpha-2 of the one region (default in)
//   STORE_REGION      the region's name (default India)
//   STORE_TAX_RATE    percent (default 18), STORE_TAX_NAME (default GST)
//   STORE_SHIPPING_PRICE   flat shipping in major units (default 99)
import type { ExecArgs } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules, ProductStatus } from "@medusajs/framework/utils"
import {
  createApiKeysWorkflow,
  createInventoryLevelsWorkflow,
  createProductsWorkflow,
  createRegionsWorkflow,
  createSalesChannelsWorkflow,
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  createTaxRegionsWorkflow,
  createUsersWorkflow,
  linkSalesChannelsToApiKeyWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
  updateStoresWorkflow,
} from "@medusajs/medusa/core-flows"

// Medusa's own providers: the system payment provider takes no money online, which is
// what cash on delivery is (the shop owner marks the payment captured on delivery).
const PAYMENT_PROVIDER = "pp_system_default"
const TAX_PROVIDER = "tp_system"
const FULFILLMENT_PROVIDER = "manual_manual"

const LOCATION_NAME = "Main warehouse"
const FULFILLMENT_SET_NAME = "Delivery"
const SHIPPING_OPTION_NAME = "Standard delivery"
const SHIPPING_PROFILE_NAME = "Default Shipping Profile"
const API_KEY_TITLE = "Storefront"

// The catalogue a new store starts with (prices in major units, tax included).
const PRODUCTS = [
  { handle: "masala-chai", title: "Masala Chai 250 g", sku: "CHAI-250", price: 349 },
  { handle: "cotton-kurta", title: "Cotton Kurta", sku: "KURTA-M", price: 1299 },
  { handle: "brass-diya", title: "Brass Diya", sku: "DIYA-01", price: 499 },
]

class SetupError extends Error {}

function env(name: string, fallback?: string): string {
  const v = process.env[name]
  if (v !== undefined && v !== "") return v
  if (fallback !== undefined) return fallback
  throw new SetupError(`${name} is not set`)
}

export default async function setup({ container }: ExecArgs) {
  const adminEmail = env("MEDUSA_ADMIN_EMAIL")
  const adminPassword = env("MEDUSA_ADMIN_PASSWORD")
  const storeName = env("STORE_NAME", "Medusa Store")
  const currency = env("STORE_CURRENCY", "inr").toLowerCase()
  const country = env("STORE_COUNTRY", "in").toLowerCase()
  const regionName = env("STORE_REGION", "India")
  const taxRate = Number(env("STORE_TAX_RATE", "18"))
  const taxName = env("STORE_TAX_NAME", "GST")
  const shippingPrice = Number(env("STORE_SHIPPING_PRICE", "99"))
  if (!/^[a-z]{3}$/.test(currency)) throw new SetupError(`STORE_CURRENCY '${currency}' is not a currency code`)
  if (!/^[a-z]{2}$/.test(country)) throw new SetupError(`STORE_COUNTRY '${country}' is not a country code`)
  if (!Number.isFinite(taxRate) || taxRate < 0 || taxRate >= 100) throw new SetupError("STORE_TAX_RATE is not a percentage")
  if (!Number.isFinite(shippingPrice) || shippingPrice < 0) throw new SetupError("STORE_SHIPPING_PRICE is not an amount")
  if (!/^[^@\s]+@[^@\s]+$/.test(adminEmail)) throw new SetupError("MEDUSA_ADMIN_EMAIL is not an e-mail address")

  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const link = container.resolve(ContainerRegistrationKeys.LINK)
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const changes: string[] = []
  const changed = (what: string) => {
    changes.push(what)
    logger.info(`setup: ${what}`)
  }

  // The store and its sales channel (Medusa makes both when it first starts).
  const { data: stores } = await query.graph({
    entity: "store",
    fields: ["id", "name", "default_sales_channel_id", "default_region_id", "default_location_id",
      "supported_currencies.currency_code", "supported_currencies.is_default"],
  })
  if (stores.length !== 1) throw new SetupError(`expected one store, found ${stores.length}`)
  const store = stores[0]

  let salesChannelId = store.default_sales_channel_id as string | null
  if (!salesChannelId) {
    const { result } = await createSalesChannelsWorkflow(container).run({
      input: { salesChannelsData: [{ name: "Default Sales Channel" }] },
    })
    salesChannelId = result[0].id
    changed("sales channel created")
  }

  // The region: one country, the currency, cash on delivery, prices including tax.
  const { data: regions } = await query.graph({
    entity: "region",
    fields: ["id", "name", "currency_code", "countries.iso_2", "payment_providers.id"],
    filters: { name: regionName },
  })
  let regionId: string
  if (regions.length === 0) {
    const { result } = await createRegionsWorkflow(container).run({
      input: {
        regions: [{
          name: regionName,
          currency_code: currency,
          countries: [country],
          payment_providers: [PAYMENT_PROVIDER],
          automatic_taxes: true,
          is_tax_inclusive: true,
        }],
      },
    })
    regionId = result[0].id
    changed(`region ${regionName} created (${country}, ${currency})`)
  } else {
    const r = regions[0]
    regionId = r.id
    const countries = (r.countries ?? []).map((c: any) => c?.iso_2)
    const providers = (r.payment_providers ?? []).map((p: any) => p?.id)
    if (r.currency_code !== currency || !countries.includes(country) || !providers.includes(PAYMENT_PROVIDER)) {
      throw new SetupError(`region ${regionName} exists but is not ${country}/${currency} with ${PAYMENT_PROVIDER}: ` +
        `${countries.join(",")}/${r.currency_code} with ${providers.join(",")}`)
    }
  }

  // The tax region: the country with its one rate (GST 18%), computed by Medusa's system provider.
  const { data: taxRegions } = await query.graph({
    entity: "tax_region",
    fields: ["id", "country_code", "province_code", "tax_rates.rate", "tax_rates.name", "tax_rates.is_default"],
    filters: { country_code: country },
  })
  const countryTaxRegion = taxRegions.find((t: any) => !t.province_code)
  if (!countryTaxRegion) {
    await createTaxRegionsWorkflow(container).run({
      input: [{
        country_code: country,
        provider_id: TAX_PROVIDER,
        default_tax_rate: { rate: taxRate, name: taxName, code: taxName },
      }],
    })
    changed(`tax region ${country} created with ${taxName} ${taxRate}%`)
  } else {
    const def = (countryTaxRegion.tax_rates ?? []).find((t: any) => t?.is_default)
    if (!def || Number(def.rate) !== taxRate || def.name !== taxName) {
      throw new SetupError(`tax region ${country} exists without a default ${taxName} rate of ${taxRate}%`)
    }
  }

  // The stock location, sold from through the sales channel, shipped by the manual provider.
  const { data: locations } = await query.graph({
    entity: "stock_location",
    fields: ["id", "name", "sales_channels.id", "fulfillment_providers.id",
      "fulfillment_sets.id", "fulfillment_sets.name", "fulfillment_sets.service_zones.id"],
    filters: { name: LOCATION_NAME },
  })
  let location = locations[0]
  if (!location) {
    const { result } = await createStockLocationsWorkflow(container).run({
      input: {
        locations: [{
          name: LOCATION_NAME,
          address: { address_1: "1 MG Road", city: "Bengaluru", province: "KA", postal_code: "560001", country_code: country.toUpperCase() },
        }],
      },
    })
    location = { id: result[0].id, name: LOCATION_NAME, sales_channels: [], fulfillment_providers: [], fulfillment_sets: [] } as any
    changed(`stock location "${LOCATION_NAME}" created`)
  }
  const locationId: string = location.id
  if (!(location.sales_channels ?? []).some((s: any) => s?.id === salesChannelId)) {
    await linkSalesChannelsToStockLocationWorkflow(container).run({ input: { id: locationId, add: [salesChannelId] } })
    changed("stock location linked to the sales channel")
  }
  if (!(location.fulfillment_providers ?? []).some((p: any) => p?.id === FULFILLMENT_PROVIDER)) {
    await link.create({
      [Modules.STOCK_LOCATION]: { stock_location_id: locationId },
      [Modules.FULFILLMENT]: { fulfillment_provider_id: FULFILLMENT_PROVIDER },
    })
    changed(`stock location linked to the fulfillment provider ${FULFILLMENT_PROVIDER}`)
  }

  // Where it delivers: a fulfillment set with one service zone, the whole country.
  const fulfillment = container.resolve(Modules.FULFILLMENT)
  let fset = (location.fulfillment_sets ?? []).find((f: any) => f?.name === FULFILLMENT_SET_NAME)
  let serviceZoneId: string | undefined = fset?.service_zones?.[0]?.id
  if (!fset) {
    const created = await fulfillment.createFulfillmentSets({
      name: FULFILLMENT_SET_NAME,
      type: "shipping",
      service_zones: [{ name: regionName, geo_zones: [{ type: "country", country_code: country }] }],
    })
    await link.create({
      [Modules.STOCK_LOCATION]: { stock_location_id: locationId },
      [Modules.FULFILLMENT]: { fulfillment_set_id: created.id },
    })
    fset = created
    serviceZoneId = created.service_zones[0].id
    changed(`fulfillment set "${FULFILLMENT_SET_NAME}" with service zone ${regionName} created`)
  }
  if (!serviceZoneId) throw new SetupError(`fulfillment set "${FULFILLMENT_SET_NAME}" has no service zone`)

  // The shipping profile every product ships under.
  const profiles = await fulfillment.listShippingProfiles({ type: "default" })
  let profileId: string
  if (profiles.length === 0) {
    const { result } = await createShippingProfilesWorkflow(container).run({
      input: { data: [{ name: SHIPPING_PROFILE_NAME, type: "default" }] },
    })
    profileId = result[0].id
    changed("shipping profile created")
  } else {
    profileId = profiles[0].id
  }

  // The shipping option a shopper picks: flat rate, in the currency and the region.
  const options = await fulfillment.listShippingOptions({ name: SHIPPING_OPTION_NAME, service_zone: { id: serviceZoneId } } as any)
  if (options.length === 0) {
    await createShippingOptionsWorkflow(container).run({
      input: [{
        name: SHIPPING_OPTION_NAME,
        price_type: "flat",
        provider_id: FULFILLMENT_PROVIDER,
        service_zone_id: serviceZoneId,
        shipping_profile_id: profileId,
        type: { label: "Standard", description: "Delivered in 3-5 days", code: "standard" },
        prices: [
          { currency_code: currency, amount: shippingPrice },
          { region_id: regionId, amount: shippingPrice },
        ],
        rules: [
          { attribute: "enabled_in_store", value: "true", operator: "eq" },
          { attribute: "is_return", value: "false", operator: "eq" },
        ],
      }],
    })
    changed(`shipping option "${SHIPPING_OPTION_NAME}" created (${shippingPrice} ${currency})`)
  }

  // The store's currency (the only one, default, prices including tax) and its defaults.
  // (Whether its prices include tax is a price preference, not a field of the store's currency.)
  const cur = store.supported_currencies ?? []
  const { data: prefs } = await query.graph({
    entity: "price_preference",
    fields: ["id", "is_tax_inclusive"],
    filters: { attribute: "currency_code", value: currency },
  })
  const currencyOk = cur.length === 1 && cur[0]?.currency_code === currency && cur[0]?.is_default &&
    prefs.length === 1 && prefs[0].is_tax_inclusive
  const update: Record<string, unknown> = {}
  if (!currencyOk) update.supported_currencies = [{ currency_code: currency, is_default: true, is_tax_inclusive: true }]
  if (store.name !== storeName) update.name = storeName
  if (store.default_sales_channel_id !== salesChannelId) update.default_sales_channel_id = salesChannelId
  if (store.default_region_id !== regionId) update.default_region_id = regionId
  if (store.default_location_id !== locationId) update.default_location_id = locationId
  if (Object.keys(update).length > 0) {
    await updateStoresWorkflow(container).run({ input: { selector: { id: store.id }, update } })
    changed(`store updated: ${Object.keys(update).join(", ")}`)
  }

  // The catalogue: each product once (by handle), sold in the channel, stocked at the location.
  const { data: existing } = await query.graph({
    entity: "product",
    fields: ["id", "handle"],
    filters: { handle: PRODUCTS.map((p) => p.handle) },
  })
  const have = new Set(existing.map((p: any) => p.handle))
  const missing = PRODUCTS.filter((p) => !have.has(p.handle))
  if (missing.length > 0) {
    await createProductsWorkflow(container).run({
      input: {
        products: missing.map((p) => ({
          title: p.title,
          handle: p.handle,
          status: ProductStatus.PUBLISHED,
          shipping_profile_id: profileId,
          options: [{ title: "Size", values: ["Standard"] }],
          variants: [{
            title: "Standard",
            sku: p.sku,
            manage_inventory: true,
            options: { Size: "Standard" },
            prices: [{ currency_code: currency, amount: p.price }],
          }],
          sales_channels: [{ id: salesChannelId as string }],
        })),
      },
    })
    changed(`products created: ${missing.map((p) => p.handle).join(", ")}`)
  }
  const { data: variants } = await query.graph({
    entity: "product_variant",
    fields: ["id", "sku", "inventory_items.inventory_item_id", "inventory_items.inventory.location_levels.location_id"],
    filters: { sku: PRODUCTS.map((p) => p.sku) },
  })
  const levels: { inventory_item_id: string; location_id: string; stocked_quantity: number }[] = []
  for (const v of variants as any[]) {
    for (const ii of v.inventory_items ?? []) {
      const at = (ii?.inventory?.location_levels ?? []).some((l: any) => l?.location_id === locationId)
      if (!at) levels.push({ inventory_item_id: ii.inventory_item_id, location_id: locationId, stocked_quantity: 100 })
    }
  }
  if (levels.length > 0) {
    await createInventoryLevelsWorkflow(container).run({ input: { inventory_levels: levels } })
    changed(`stock of ${levels.length} items set at "${LOCATION_NAME}"`)
  }

  // The publishable key the storefront sends, scoped to the sales channel.
  const { data: keys } = await query.graph({
    entity: "api_key",
    fields: ["id", "token", "title", "type", "revoked_at", "sales_channels.id"],
    filters: { type: "publishable", title: API_KEY_TITLE },
  })
  let key = (keys as any[]).find((k) => !k.revoked_at)
  if (!key) {
    const { result } = await createApiKeysWorkflow(container).run({
      input: { api_keys: [{ title: API_KEY_TITLE, type: "publishable", created_by: "" }] },
    })
    key = { ...result[0], sales_channels: [] }
    changed(`publishable API key "${API_KEY_TITLE}" created`)
  }
  if (!(key.sales_channels ?? []).some((s: any) => s?.id === salesChannelId)) {
    await linkSalesChannelsToApiKeyWorkflow(container).run({ input: { id: key.id, add: [salesChannelId as string] } })
    changed("publishable API key linked to the sales channel")
  }

  // The shop owner: a user and its e-mail/password identity. A password that no longer
  // logs in (the Secret changed) is set again; one that does is left alone.
  const userModule = container.resolve(Modules.USER)
  const authModule = container.resolve(Modules.AUTH)
  let [user] = await userModule.listUsers({ email: adminEmail })
  if (!user) {
    const { result } = await createUsersWorkflow(container).run({ input: { users: [{ email: adminEmail }] } })
    user = result[0]
    changed(`admin user ${adminEmail} created`)
  }
  const identities = await authModule.listProviderIdentities({ entity_id: adminEmail, provider: "emailpass" })
  if (identities.length === 0) {
    const { authIdentity, error } = await authModule.register("emailpass", { body: { email: adminEmail, password: adminPassword } })
    if (error || !authIdentity) throw new SetupError(`cannot register the admin's login: ${error}`)
    await authModule.updateAuthIdentities({ id: authIdentity.id, app_metadata: { user_id: user.id } })
    changed("admin login created")
  } else {
    const login = await authModule.authenticate("emailpass", { body: { email: adminEmail, password: adminPassword } })
    if (!login.success) {
      const upd = await authModule.updateProvider("emailpass", { entity_id: adminEmail, password: adminPassword })
      if (!upd.success) throw new SetupError(`cannot set the admin's password: ${upd.error}`)
      changed("admin password set from the environment")
    }
  }

  const result = {
    changes,
    store_id: store.id,
    region_id: regionId,
    sales_channel_id: salesChannelId,
    stock_location_id: locationId,
    publishable_key: key.token,
    admin_email: adminEmail,
  }
  process.stdout.write(`setup-result: ${JSON.stringify(result)}\n`)
}
