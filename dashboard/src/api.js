// The orchestrator's REST API (/api/v1): bearer token from sessionStorage,
// JSON in and out, errors turned into ApiError with the API's
// {"error":{"code","message","field"}} and, for 429, the Retry-After wait.

const TOKEN_KEY = 'sp.token';
export const BASE = '/api/v1';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(message);
    this.status = status;
    this.code = code || '';
    this.field = field || '';
    this.retryAfter = retryAfter; // seconds, or null
  }
}

// Called with the ApiError on every 401 (the app shows the sign-in again).
let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

function retryAfterSeconds(res) {
  const v = res.headers.get('Retry-After');
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}

export async function request(method, path, body, { tokenOverride, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const t = tokenOverride ?? token.get();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'The platform cannot be reached. Check your connection; retrying shortly.');
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return { status: res.status, data };
  const e = (data && data.error) || {};
  const err = new ApiError(
    res.status,
    e.code,
    e.message || `${res.status} ${res.statusText || 'error'}`,
    e.field,
    retryAfterSeconds(res),
  );
  if (res.status === 401 && !tokenOverride) onUnauthorized(err);
  throw err;
}

const enc = encodeURIComponent;
const items = (d) => (Array.isArray(d) ? d : (d && (d.items || d.stores || d.engines || d.events)) || []);

export const api = {
  me: async (tokenOverride) => normalizeMe((await request('GET', '/me', undefined, { tokenOverride })).data),
  engines: async () => items((await request('GET', '/engines')).data).map(normalizeEngine),
  stores: async () => items((await request('GET', '/stores')).data).map(toStore).filter(Boolean),
  store: async (name) => toStore((await request('GET', `/stores/${enc(name)}`)).data),
  create: async (body) => {
    const r = await request('POST', '/stores', body);
    return { status: r.status, data: toStore(r.data) };
  },
  remove: async (name) => toStore((await request('DELETE', `/stores/${enc(name)}`)).data),
  retry: async (name) => toStore((await request('POST', `/stores/${enc(name)}/retry`)).data),
  suspend: async (name) => toStore((await request('POST', `/stores/${enc(name)}/suspend`)).data),
  resume: async (name) => toStore((await request('POST', `/stores/${enc(name)}/resume`)).data),
  events: async (name) => items((await request('GET', `/stores/${enc(name)}/events`)).data),
  credentials: async (name) => (await request('GET', `/stores/${enc(name)}/credentials`)).data,
};

// The API answers with a flat view of a Store ({name, engine, owner,
// displayName, plan, phase, message, reason, url, adminUrl, createdAt,
// provisioningStartedAt, readyAt, failedAt, suspendedAt, resumedAt, suspended,
// deleting, conditions}); the views
// read the resource's own shape (metadata/spec/status), so both are accepted
// and the flat one is turned into it.
export function toStore(v) {
  if (!v || typeof v !== 'object') return null;
  if (v.metadata && v.metadata.name) return v;
  if (!v.name) return null;
  return {
    metadata: {
      name: v.name,
      creationTimestamp: v.createdAt || v.creationTimestamp,
      deletionTimestamp: v.deleting ? (v.deletedAt || v.deletionTimestamp || 'now') : undefined,
      resourceVersion: v.resourceVersion,
    },
    spec: { engine: v.engine, owner: v.owner, displayName: v.displayName, plan: v.plan, suspended: v.suspended === true },
    status: {
      phase: v.phase,
      message: v.message,
      reason: v.reason,
      url: v.url,
      adminUrl: v.adminUrl,
      provisioningStartedAt: v.provisioningStartedAt,
      readyAt: v.readyAt,
      failedAt: v.failedAt,
      suspendedAt: v.suspendedAt,
      resumedAt: v.resumedAt,
      conditions: v.conditions || [],
      activity: v.activity || [],
    },
  };
}

// GET /me: {user, role, quota: {used, max}}; tolerant of a nested user object.
function normalizeMe(d) {
  d = d || {};
  const u = typeof d.user === 'object' && d.user ? d.user : { name: d.user ?? d.name };
  const q = d.quota || {};
  return {
    user: String(u.name ?? ''),
    role: String(d.role ?? u.role ?? 'user'),
    used: Number(q.used ?? d.used ?? 0),
    max: q.max ?? d.max ?? null,
  };
}

// GET /engines: [{name, displayName?, description?, sizes: [...]}]; sizes may
// be names or objects with a name.
function normalizeEngine(e) {
  if (typeof e === 'string') e = { name: e };
  let sizes = e.sizes || e.plans || [];
  if (!Array.isArray(sizes)) sizes = Object.keys(sizes);
  sizes = sizes.map((s) => (typeof s === 'string' ? { name: s } : s)).filter((s) => s && s.name);
  return {
    name: e.name,
    label: e.displayName || e.title || prettyEngine(e.name),
    description: e.description || engineDescription(e.name),
    sizes,
    defaultSize: e.defaultSize || (sizes.some((s) => s.name === 'small') ? 'small' : sizes[0]?.name),
  };
}

export function prettyEngine(name) {
  const known = { woocommerce: 'WooCommerce', medusa: 'Medusa' };
  return known[name] || (name ? name[0].toUpperCase() + name.slice(1) : '');
}

// What each engine the platform knows is made of (the create form's engine choice); an
// engine this dashboard does not know yet gets words that claim nothing about it.
const ENGINE_TEXT = {
  woocommerce: 'WordPress with WooCommerce and MariaDB',
  medusa: 'MedusaJS v2 with its Store API and PostgreSQL',
};
const ENGINE_TEXT_OTHER = 'A store engine this platform offers';
export function engineDescription(name) {
  return ENGINE_TEXT[name] || ENGINE_TEXT_OTHER;
}
