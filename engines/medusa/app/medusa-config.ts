// The Medusa application of one store (store-platform's "medusa" engine).
// Everything comes from the environment the chart gives the pod:
//   DATABASE_URL   PostgreSQL (required)
//   REDIS_URL      Redis: event bus, cache, workflow engine and locking are Redis's, so
//                  several replicas can share the work. Without it Medusa's in-memory
//                  modules are used, which is right for one replica only.
//   JWT_SECRET, COOKIE_SECRET   required, random per store (the credentials Secret)
//   STORE_CORS, ADMIN_CORS, AUTH_CORS   allowed origins (Medusa's defaults otherwise)
//   MEDUSA_WORKER_MODE   shared | server | worker (Medusa's own; shared by default)
// The admin dashboard is not built or served: the store's API is the product here.
import { defineConfig, Modules } from "@medusajs/framework/utils"

function required(name: string): string {
  const v = process.env[name]
  if (!v) {
    throw new Error(`medusa-config: ${name} is not set`)
  }
  return v
}

const redisUrl = process.env.REDIS_URL || undefined

const redisModules = redisUrl
  ? [
      { key: Modules.CACHE, resolve: "@medusajs/medusa/cache-redis", options: { redisUrl } },
      {
        key: Modules.EVENT_BUS,
        resolve: "@medusajs/medusa/event-bus-redis",
        options: { redisUrl },
      },
      {
        key: Modules.WORKFLOW_ENGINE,
        resolve: "@medusajs/medusa/workflow-engine-redis",
        options: { redis: { redisUrl } },
      },
      {
        key: Modules.LOCKING,
        resolve: "@medusajs/medusa/locking",
        options: {
          providers: [
            {
              id: "locking-redis",
              resolve: "@medusajs/medusa/locking-redis",
              is_default: true,
              options: { redisUrl },
            },
          ],
        },
      },
    ]
  : []

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: required("DATABASE_URL"),
    redisUrl,
    workerMode: (process.env.MEDUSA_WORKER_MODE as "shared" | "worker" | "server") || "shared",
    http: {
      storeCors: process.env.STORE_CORS || "http://localhost:8000",
      adminCors: process.env.ADMIN_CORS || "http://localhost:9000",
      authCors: process.env.AUTH_CORS || "http://localhost:9000",
      jwtSecret: required("JWT_SECRET"),
      cookieSecret: required("COOKIE_SECRET"),
    },
  },
  admin: {
    disable: true,
  },
  modules: redisModules,
})
