// GET /storefront: what a storefront needs to start selling, read from the store's
// database: the store's name and currency, the region, the publishable API key the
// Store API wants in `x-publishable-api-key` (public by design: browsers send it),
// and how many products are published.
//
// It answers 200 only once the setup has made a store a shopper can buy from (the
// Storefront key, a region, at least one published product) and 503 with the
// missing part before that, so it is the engine's readiness path
// (charts/engines.yaml, storefrontPath): Ready means the API serves the catalogue.
// Outside /store and /admin, so Medusa asks for no key and no login here.
import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"

// The title setup.ts gives the storefront's key.
const API_KEY_TITLE = "Storefront"

export async function GET(req: MedusaRequest, res: MedusaResponse) {
  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data: stores } = await query.graph({
    entity: "store",
    fields: ["name", "supported_currencies.currency_code", "supported_currencies.is_default"],
  })
  const { data: keys } = await query.graph({
    entity: "api_key",
    fields: ["token", "title", "type", "revoked_at"],
    filters: { type: "publishable", title: API_KEY_TITLE },
  })
  const { data: regions } = await query.graph({
    entity: "region",
    fields: ["id", "name", "currency_code"],
  })
  const { data: products } = await query.graph({
    entity: "product",
    fields: ["id"],
    filters: { status: "published" },
  })
  const key = keys.find((k: any) => !k.revoked_at)
  const currency = (stores[0]?.supported_currencies ?? []).find((c: any) => c?.is_default)?.currency_code ?? null
  const missing = [
    !key && "the storefront's publishable key",
    regions.length === 0 && "a region",
    products.length === 0 && "a published product",
  ].filter(Boolean)
  res.status(missing.length ? 503 : 200).json({
    ready: missing.length === 0,
    missing,
    name: stores[0]?.name ?? null,
    currency,
    regions: regions.map((r: any) => ({ id: r.id, name: r.name, currency_code: r.currency_code })),
    publishable_key: key?.token ?? null,
    products: products.length,
  })
}
