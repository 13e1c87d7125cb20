// The dashboard: one page, hash routes (#/ and #/stores/<name>) so the
// orchestrator only ever serves files. State lives here; views are functions
// of it, re-rendered when it changes (coalesced, focus kept).
import { h, icon, render, toast } from './dom.js';
import { api, token, setUnauthorizedHandler, ApiError, toStore } from './api.js';
import { startLive } from './live.js';
import { phaseOf } from './model.js';
import { signinView } from './views/signin.js';
import { listView } from './views/list.js';
import { detailView } from './views/detail.js';
import { openCreateDialog } from './views/create.js';
import { confirmDelete } from './views/confirm.js';
import { refreshTimes } from './views/parts.js';

const state = {
  me: null,
  engines: [],
  stores: new Map(),
  loaded: false,
  loadError: '',
  live: 'connecting', // connecting | live | polling
};
let detail = freshDetail('');
let live = null;
let notice = '';
const root = document.getElementById('app');

function freshDetail(name) {
  return { name, events: null, eventsLoading: false, creds: null, credsLoading: false, credsError: '', retrying: false, retryError: '', suspending: false, suspendError: '', gone: false, loading: false };
}

// ---- routing -------------------------------------------------------------------------
function route() {
  const m = /^#\/stores\/([^/]+)\/?$/.exec(location.hash);
  if (m) {
    try {
      return { view: 'detail', name: decodeURIComponent(m[1]) };
    } catch {
      return { view: 'list' };
    }
  }
  return { view: 'list' };
}

// ---- rendering -----------------------------------------------------------------------
// A draw replaces the page's elements. One between a press and its release (a live update
// arriving meanwhile) would put the release on a new element, and the click would be lost;
// so updates wait while a pointer is down (at most HOLD_MS, should its release never come).
const HOLD_MS = 5000;
let pending = 0;
let pressedAt = 0;
let held = false;
function schedule() {
  if (pending) return;
  pending = setTimeout(() => {
    pending = 0;
    if (pressedAt && Date.now() - pressedAt < HOLD_MS) {
      held = true;
      pending = setTimeout(() => { pending = 0; schedule(); }, HOLD_MS - (Date.now() - pressedAt));
      return;
    }
    held = false;
    draw();
  }, 16);
}
function released() {
  pressedAt = 0;
  if (!held) return;
  // after the click: it is dispatched in the same task as the release
  clearTimeout(pending);
  pending = 0;
  schedule();
}
document.addEventListener('pointerdown', () => { pressedAt = Date.now(); }, true);
document.addEventListener('pointerup', released, true);
document.addEventListener('pointercancel', released, true);
window.addEventListener('blur', released);

let shell = null;
function draw() {
  if (!token.get()) {
    shell = null;
    document.title = 'Sign in · Store Platform';
    render(root, signinView({ notice, onSignedIn: signedIn }));
    return;
  }
  if (!shell) shell = buildShell();
  render(shell.status, liveIndicator());
  render(shell.user, userChip());
  const r = route();
  let nodes;
  if (r.view === 'detail') {
    if (detail.name !== r.name) {
      detail = freshDetail(r.name);
      loadDetail(r.name);
    }
    document.title = `${r.name} · Store Platform`;
    nodes = detailView({ state, name: r.name, d: detail, actions: detailActions(r.name) });
  } else {
    if (detail.name) detail = freshDetail('');
    document.title = 'Stores · Store Platform';
    nodes = listView({ state, onCreate: create, onDelete: remove, onRetryLoad: () => { state.loadError = ''; schedule(); loadAll(); } });
  }
  render(shell.main, nodes);
}

function buildShell() {
  const status = h('div', { class: 'live-slot' });
  const user = h('div', { class: 'user-slot' });
  const main = h('main', { id: 'main', class: 'container', tabindex: '-1' });
  const header = h('header', { class: 'topbar' },
    h('div', { class: 'topbar-inner container' },
      h('a', { href: '#/', class: 'brand' }, h('span', { class: 'brand-mark' }, icon('store')), h('span', { class: 'brand-name' }, 'Store Platform')),
      h('div', { class: 'topbar-right' }, status, user,
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', onclick: () => signOut('') }, icon('out', 'icon icon-sm'), h('span', { class: 'hide-sm' }, 'Sign out')))));
  render(root, header, main);
  return { status, user, main };
}

function liveIndicator() {
  const txt = { live: 'Live', polling: 'Reconnecting', connecting: 'Connecting' }[state.live];
  const title = {
    live: 'Changes appear as they happen',
    polling: 'The live stream is down; checking for changes every few seconds',
    connecting: 'Connecting to the live stream',
  }[state.live];
  return h('span', { class: `live live-${state.live}`, title, 'data-testid': 'live' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'hide-sm' }, txt));
}

function userChip() {
  if (!state.me) return null;
  return h('span', { class: 'user', 'data-testid': 'user' },
    h('span', { class: 'avatar', 'aria-hidden': 'true' }, (state.me.user[0] || '?').toUpperCase()),
    h('span', { class: 'user-name' }, state.me.user),
    h('span', { class: `role role-${state.me.role}` }, state.me.role === 'admin' ? 'Admin' : 'User'));
}

// ---- data ----------------------------------------------------------------------------
async function loadAll() {
  try {
    const [me, stores, engines] = await Promise.all([api.me(), api.stores(), api.engines().catch(() => state.engines)]);
    state.me = me;
    state.engines = engines;
    state.stores = new Map(stores.filter((s) => s?.metadata?.name).map((s) => [s.metadata.name, s]));
    state.loaded = true;
    state.loadError = '';
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    state.loadError = e.message;
  }
  schedule();
}

async function refreshStores() {
  const stores = await api.stores();
  const next = new Map(stores.filter((s) => s?.metadata?.name).map((s) => [s.metadata.name, s]));
  for (const name of state.stores.keys()) if (!next.has(name)) gone(name);
  state.stores = next;
  state.loaded = true;
  state.loadError = '';
  refreshMeSoon();
  if (detail.name && next.has(detail.name)) loadEventsSoon();
  schedule();
}

let meTimer = 0;
function refreshMeSoon() {
  clearTimeout(meTimer);
  meTimer = setTimeout(async () => {
    try {
      state.me = await api.me();
      schedule();
    } catch { /* shown by the next load */ }
  }, 250);
}

function upsert(obj) {
  const name = obj.metadata.name;
  const old = state.stores.get(name);
  // Ignore a stale copy (an older resourceVersion arriving after a newer one).
  const rv = (o) => Number(o?.metadata?.resourceVersion);
  if (old && rv(old) && rv(obj) && rv(obj) < rv(old)) return;
  state.stores.set(name, obj);
  if (!old) refreshMeSoon();
  if (detail.name === name) loadEventsSoon();
}

function gone(name) {
  state.stores.delete(name);
  if (detail.name === name) detail.gone = true;
  refreshMeSoon();
}

// One SSE message (api_events.c): "snapshot" {stores: [view...]} when a stream
// starts or fell behind, then "store" {type: ADDED|MODIFIED|DELETED, store: view}.
// Anything else makes the list be fetched again.
function onEvent(event, data) {
  const ev = String(event || '').toLowerCase();
  if (ev === 'heartbeat' || ev === 'ping') return;
  const list = Array.isArray(data?.stores) ? data.stores : Array.isArray(data?.items) ? data.items : null;
  if (list) {
    const next = new Map(list.map(toStore).filter(Boolean).map((s) => [s.metadata.name, s]));
    for (const name of state.stores.keys()) if (!next.has(name)) gone(name);
    state.stores = next;
    state.loaded = true;
    if (detail.name && next.has(detail.name)) loadEventsSoon();
    refreshMeSoon();
    schedule();
    return;
  }
  const obj = toStore(data?.store || data?.object || data);
  const type = String(data?.type || '').toUpperCase();
  if (obj) {
    if (type === 'DELETED') gone(obj.metadata.name);
    else upsert(obj);
    schedule();
  } else {
    refreshSoon();
  }
}

let refreshTimer = 0;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refreshStores().catch(() => {}), 200);
}

function startLiveUpdates() {
  if (live) live.stop();
  live = startLive({
    onEvent,
    onState: (s) => {
      const was = state.live;
      state.live = s;
      // After a (re)connect, fetch the list once: nothing missed while away.
      if (s === 'live' && was !== 'live' && state.loaded) refreshSoon();
      schedule();
    },
    poll: refreshStores,
    onUnauthorized: () => signOut('Your session has ended. Sign in again.'),
  });
}

// ---- store detail --------------------------------------------------------------------
async function loadDetail(name) {
  if (!state.stores.has(name)) {
    detail.loading = true;
    try {
      const s = await api.store(name);
      if (s?.metadata?.name) state.stores.set(s.metadata.name, s);
    } catch { /* "not found" is shown */ }
    if (detail.name === name) detail.loading = false;
    schedule();
  }
  loadEvents(name);
}

let eventsTimer = 0;
function loadEventsSoon() {
  clearTimeout(eventsTimer);
  const name = detail.name;
  eventsTimer = setTimeout(() => loadEvents(name), 400);
}
async function loadEvents(name) {
  if (!name || detail.name !== name) return;
  detail.eventsLoading = true;
  try {
    const ev = await api.events(name);
    if (detail.name === name) detail.events = ev;
  } catch { /* the store's own activity is shown instead */ }
  if (detail.name === name) detail.eventsLoading = false;
  schedule();
}

// Suspend or resume (op): 202 changed, 200 already so; a 409 names the phase.
async function suspension(name, op) {
  detail.suspending = true;
  detail.suspendError = '';
  schedule();
  try {
    const s = await api[op](name);
    if (s?.metadata?.name) upsert(s);
    toast(op === 'suspend' ? `Suspending ${name}` : `Resuming ${name}`);
    loadEventsSoon(); // the request is in the audit log
  } catch (e) {
    if (detail.name === name) detail.suspendError = e.message;
  }
  if (detail.name === name) detail.suspending = false;
  schedule();
}

function detailActions(name) {
  return {
    remove: () => remove(name, true),
    retry: async () => {
      detail.retrying = true;
      detail.retryError = '';
      schedule();
      try {
        const s = await api.retry(name);
        if (s?.metadata?.name) upsert(s);
        toast(`Retrying ${name}`);
      } catch (e) {
        if (detail.name === name) detail.retryError = e.message;
      }
      if (detail.name === name) detail.retrying = false;
      schedule();
    },
    suspend: () => suspension(name, 'suspend'),
    resume: () => suspension(name, 'resume'),
    revealCreds: async () => {
      detail.credsLoading = true;
      detail.credsError = '';
      schedule();
      try {
        const c = await api.credentials(name);
        if (detail.name === name) detail.creds = c || {};
        loadEventsSoon(); // the reveal is in the audit log
      } catch (e) {
        if (detail.name === name) detail.credsError = e.message;
      }
      if (detail.name === name) detail.credsLoading = false;
      schedule();
    },
    hideCreds: () => {
      detail.creds = null;
      schedule();
    },
  };
}

// ---- actions -------------------------------------------------------------------------
function create() {
  openCreateDialog({
    state,
    onCreated: (store, status) => {
      if (store?.metadata?.name) {
        state.stores.set(store.metadata.name, store);
        toast(status === 200 ? `${store.metadata.name} already exists and is yours` : `Creating ${store.metadata.name}…`, 'success');
      }
      refreshMeSoon();
      schedule();
    },
  });
}

function remove(name, fromDetail) {
  confirmDelete(name, async () => {
    await api.remove(name);
    const s = state.stores.get(name);
    if (s && !s.metadata.deletionTimestamp) {
      state.stores.set(name, { ...s, metadata: { ...s.metadata, deletionTimestamp: new Date().toISOString() } });
    }
    toast(`Deleting ${name}…`);
    if (fromDetail) location.hash = '#/';
    schedule();
  });
}

function signedIn(t, me) {
  token.set(t);
  notice = '';
  state.me = me;
  start();
}

function signOut(message) {
  token.clear();
  if (live) live.stop();
  live = null;
  notice = message;
  state.me = null;
  state.stores = new Map();
  state.loaded = false;
  state.loadError = '';
  state.live = 'connecting';
  detail = freshDetail('');
  for (const d of document.querySelectorAll('dialog')) d.close();
  draw();
  document.getElementById('token')?.focus();
}

function start() {
  draw();
  loadAll();
  startLiveUpdates();
}

// ---- boot ----------------------------------------------------------------------------
setUnauthorizedHandler(() => signOut('Your session has ended or the token was revoked. Sign in again.'));
window.addEventListener('hashchange', () => {
  draw();
  const h1 = shell?.main.querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
});
// Durations of a running step tick every second; relative times every 30 s.
setInterval(() => {
  const r = route();
  if (token.get() && r.view === 'detail' && phaseOf(state.stores.get(r.name)) === 'Provisioning') schedule();
}, 1000);
setInterval(() => refreshTimes(root), 30000);

if (token.get()) start();
else draw();
