// One store: status, the steps with their durations, failure and Retry,
// Suspend (a Ready store) and Resume (a suspended one),
// credentials behind "Reveal", how to place a test order, the activity log.
import { h, icon, copyText } from '../dom.js';
import { prettyEngine } from '../api.js';
import { phaseOf, steps, duration, exact, relative } from '../model.js';
import { badge, phaseDetail, timeAgo, extLink, alertBox, spinner, splitWords } from './parts.js';

const STEP_ICON = { done: 'check', failed: 'x', degraded: 'alert' };

function stepList(s) {
  const list = steps(s);
  return h('ol', { class: 'steps', 'aria-label': 'Provisioning steps' },
    list.map((st, i) => h('li', { class: `step step-${st.state}`, 'data-step': st.type, 'aria-current': st.state === 'current' ? 'step' : null },
      h('span', { class: 'step-marker', 'aria-hidden': 'true' },
        STEP_ICON[st.state] ? icon(STEP_ICON[st.state], 'icon icon-sm') : st.state === 'current' ? h('span', { class: 'pulse' }) : String(i + 1)),
      h('div', { class: 'step-body' },
        h('div', { class: 'step-line' },
          h('span', { class: 'step-label' }, st.label),
          h('span', { class: 'visually-hidden' }, ` (${{ done: 'done', current: 'in progress', failed: 'failed', degraded: 'not working', waiting: 'not started' }[st.state]})`),
          st.took !== null ? h('span', { class: 'step-time' }, st.state === 'current' ? `${duration(st.took)} so far` : duration(st.took)) : null),
        h('p', { class: 'step-text' },
          (st.state === 'current' || st.state === 'failed' || st.state === 'degraded') && st.message ? st.message : st.detail)))));
}

function totalTime(s) {
  const start = Date.parse(s.status?.provisioningStartedAt || '');
  const ready = Date.parse(s.status?.readyAt || '');
  if (Number.isNaN(start) || Number.isNaN(ready) || ready < start) return null;
  return `Ready in ${duration(ready - start)}`;
}

function field(label, value) {
  return h('div', { class: 'meta-item' }, h('dt', null, label), h('dd', null, value));
}

function credsCard(s, d, actions) {
  const phase = phaseOf(s);
  const credsReady = (s.status?.conditions || []).some((c) => c.type === 'CredentialsReady' && c.status === 'True');
  const available = credsReady && phase !== 'Deleting' && phase !== 'Failed';
  let content;
  if (!available) {
    content = h('p', { class: 'muted' }, phase === 'Failed' || phase === 'Deleting'
      ? 'Not available while the store is not running.'
      : 'Available once the credentials step is done.');
  } else if (d.creds) {
    const c = d.creds;
    const user = c.username ?? c.user ?? c.adminUser ?? c['admin-user'] ?? '';
    const pass = c.password ?? c.adminPassword ?? c['admin-password'] ?? '';
    const extra = Object.entries(c).filter(([k, v]) => typeof v === 'string' && !['name', 'username', 'user', 'adminUser', 'admin-user', 'password', 'adminPassword', 'admin-password', 'url', 'adminUrl'].includes(k));
    content = h('div', null,
      h('dl', { class: 'secrets', 'data-testid': 'credentials' },
        secret('Username', user, 'cred-user'),
        secret('Password', pass, 'cred-pass'),
        extra.map(([k, v]) => secret(splitWords(k), v, `cred-${k}`))),
      h('div', { class: 'card-actions' },
        s.status?.adminUrl ? extLink(s.status.adminUrl, 'Open admin', 'btn btn-secondary btn-sm', 'creds-admin') : null,
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'data-key': 'hide-creds', onclick: actions.hideCreds }, icon('eyeoff'), 'Hide')));
  } else {
    content = h('div', { class: 'stack' },
      h('p', { class: 'muted' }, 'The WordPress administrator login. Keep it private; every reveal is written to the audit log.'),
      d.credsError ? h('p', { class: 'field-error', role: 'alert' }, d.credsError) : null,
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-key': 'reveal', disabled: d.credsLoading, onclick: actions.revealCreds },
        icon('eye'), d.credsLoading ? 'Revealing…' : 'Reveal credentials'));
  }
  return h('section', { class: 'card section', 'aria-labelledby': 'creds-h' },
    h('h2', { id: 'creds-h', class: 'section-title' }, icon('key'), 'Admin login'), content);
}

function secret(label, value, key) {
  return h('div', { class: 'secret' },
    h('dt', null, label),
    h('dd', null,
      h('code', { class: 'secret-value' }, value || '—'),
      value ? h('button', { type: 'button', class: 'btn btn-icon btn-ghost btn-sm', 'aria-label': `Copy ${label.toLowerCase()}`, title: 'Copy', 'data-key': key, onclick: () => copyText(value, label) }, icon('copy', 'icon icon-sm')) : null));
}

function orderCard(s) {
  if (phaseOf(s) !== 'Ready' || !s.status?.url) return null;
  const cmd = `scripts/order.sh ${s.status.url}`;
  return h('section', { class: 'card section', 'aria-labelledby': 'order-h' },
    h('h2', { id: 'order-h', class: 'section-title' }, icon('cart'), 'Place a test order'),
    h('p', { class: 'muted' }, 'From a checkout of the platform repository, run:'),
    h('div', { class: 'command' },
      h('code', { 'data-testid': 'order-command' }, cmd),
      h('button', { type: 'button', class: 'btn btn-icon btn-ghost btn-sm', 'aria-label': 'Copy the command', title: 'Copy', 'data-key': 'copy-order', onclick: () => copyText(cmd, 'Command') }, icon('copy', 'icon icon-sm'))),
    h('p', { class: 'muted small' }, 'It adds a product to a cart and checks out with Cash on delivery through the WooCommerce Store API, then checks the order was stored. Or shop in the browser: open the storefront, add a product, check out, and find the order in the admin under WooCommerce → Orders.'));
}

const ACTION_WORDS = {
  'store.create': 'created the store',
  'store.delete': 'asked to delete the store',
  'store.retry': 'asked for a retry',
  'store.suspend': 'asked to suspend the store',
  'store.resume': 'asked to resume the store',
  'store.credentials': 'revealed the admin login',
};

// The API's activity ({source: status | kubernetes | audit, time, ...}) or,
// before it arrives, the store's own status.activity; in words, newest first,
// a Kubernetes Event repeating a status line within seconds shown once (in the
// status line's words, a warning when the Event is one). Two status lines alike
// are two transitions (Ready, suspended and resumed, Ready) and both are shown.
function activityItems(s, d) {
  const src = d.events && d.events.length
    ? d.events
    : (s.status?.activity || []).map((a) => ({ time: a.time, source: 'status', message: a.message }));
  const out = [];
  const bare = (m) => m.replace(/ \(\d+ times\)$/, '').replace(/^[A-Z][A-Za-z]+: /, '').toLowerCase();
  src.forEach((e, i) => {
    let message = '';
    let who = '';
    let warn = false;
    if (e.source === 'audit' || e.action) {
      who = e.user || '';
      message = ACTION_WORDS[e.action] || e.action || '';
      if (e.result && e.result !== 'success') {
        message += ` (${e.result}${e.status ? `, HTTP ${e.status}` : ''})`;
        warn = true;
      }
    } else {
      message = PHASE_WORDS[e.message] || e.message || e.reason || '';
      warn = e.type === 'Warning' || /^Failed\b/.test(e.message || '');
      if (e.count > 1) message += ` (${e.count} times)`;
    }
    if (!message) return;
    const t = Date.parse(e.time) || 0;
    const kind = e.source === 'kubernetes' ? 'kubernetes' : 'status';
    // what a line says without its phase ("Provisioning: setting up the store"), before the
    // first letter is made a capital (an Event's "resuming: ..." is no phase)
    const said = bare(message);
    if (!who) message = message.charAt(0).toUpperCase() + message.slice(1);
    // A Kubernetes Event ("setting up the store") repeats a status line.
    const same = !who && out.find((o) => !o.who && !o.paired && o.kind !== kind &&
      o.said === said && Math.abs(o.t - t) < 5000);
    if (same) {
      same.paired = true;
      same.warn = same.warn || warn;
      if (kind === 'status') Object.assign(same, { message, kind, time: e.time, t, i });
      return;
    }
    out.push({ time: e.time, t, i, message, said, who, warn, kind, paired: false });
  });
  return out.sort((a, b) => b.t - a.t || b.i - a.i);
}

const PHASE_WORDS = {
  Pending: 'Queued',
  Provisioning: 'Provisioning started',
  Ready: 'Ready',
  Degraded: 'Degraded',
  Failed: 'Failed',
  Deleting: 'Deletion started',
  Suspended: 'Suspended',
};

const clock = (t) => {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
};

function activityCard(s, d) {
  const items = activityItems(s, d);
  return h('section', { class: 'card section', 'aria-labelledby': 'act-h' },
    h('h2', { id: 'act-h', class: 'section-title' }, icon('clock'), 'Activity'),
    items.length
      ? h('ol', { class: 'activity', 'data-testid': 'activity' }, items.map((e) => h('li', { class: e.warn ? 'act act-warn' : 'act' },
        h('time', { datetime: e.time, title: `${exact(e.time)} (${relative(e.time)})`, class: 'act-time' }, clock(e.time)),
        h('span', { class: 'act-msg' }, e.who ? h('strong', { class: 'act-who' }, `${e.who} `) : null, e.message))))
      : h('p', { class: 'muted' }, d.eventsLoading ? 'Loading…' : 'Nothing yet.'));
}

export function detailView({ state, name, d, actions }) {
  const back = h('a', { href: '#/', class: 'back', 'data-key': 'back' }, icon('back', 'icon icon-sm'), 'All stores');
  const s = state.stores.get(name);
  if (!s) {
    if (!state.loaded || d.loading) return [back, h('div', { class: 'card section center' }, spinner('Loading the store'))];
    return [back, h('div', { class: 'card empty' },
      h('h1', null, 'Store not found'),
      h('p', { class: 'muted' }, d.gone
        ? `The store ${name} was deleted.`
        : `There is no store called ${name}, or it belongs to someone else.`),
      h('a', { href: '#/', class: 'btn btn-primary' }, 'Back to the stores'))];
  }
  const phase = phaseOf(s);
  const suspendAsked = s.spec?.suspended === true;
  // a Degraded store keeps its links: the owner opens the shop and its admin to see what is wrong
  const ready = (phase === 'Ready' || phase === 'Degraded') && !suspendAsked;
  const total = totalTime(s);
  // Suspend a Ready store; Resume one that is (or is being) suspended. The API decides the
  // same way and answers 409 naming the phase otherwise.
  const canSuspend = ready;
  const canResume = phase !== 'Deleting' && (phase === 'Suspended' || suspendAsked);
  const head = h('div', { class: 'detail-head' },
    h('div', { class: 'detail-title' },
      h('h1', { class: 'page-title mono' }, name),
      h('div', { class: 'detail-sub' }, badge(s), h('span', { class: 'muted' }, phaseDetail(s)),
        s.spec?.displayName ? h('span', { class: 'muted' }, `· ${s.spec.displayName}`) : null)),
    h('div', { class: 'detail-actions' },
      ready && s.status?.url ? extLink(s.status.url, 'Open storefront', 'btn btn-primary', 'open-sf') : null,
      ready && s.status?.adminUrl ? extLink(s.status.adminUrl, 'Open admin', 'btn btn-secondary', 'open-admin') : null,
      canSuspend
        ? h('button', { type: 'button', class: 'btn btn-secondary', 'data-key': 'suspend', disabled: d.suspending, onclick: actions.suspend },
          icon('pause'), d.suspending ? 'Suspending…' : 'Suspend')
        : null,
      canResume
        ? h('button', { type: 'button', class: 'btn btn-primary', 'data-key': 'resume', disabled: d.suspending || !suspendAsked, onclick: actions.resume },
          icon('play'), !suspendAsked ? 'Resuming…' : d.suspending ? 'Resuming…' : 'Resume')
        : null,
      phase !== 'Deleting'
        ? h('button', { type: 'button', class: 'btn btn-danger-ghost', 'data-key': 'delete', onclick: actions.remove }, icon('trash'), 'Delete')
        : null));

  let banner = null;
  if (phase === 'Failed') {
    banner = alertBox('error', `Provisioning failed${s.status?.reason ? `: ${splitWords(s.status.reason)}` : ''}`,
      h('p', { 'data-testid': 'failure-message' }, s.status?.message || 'The store could not be set up.'),
      h('p', { class: 'small' }, 'Retry starts over from the first step: the store’s resources were removed when it failed.'),
      d.retryError ? h('p', { class: 'field-error', role: 'alert' }, d.retryError) : null,
      h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-key': 'retry', disabled: d.retrying, onclick: actions.retry },
        icon('retry'), d.retrying ? 'Retrying…' : 'Retry'));
  } else if (phase === 'Pending') {
    banner = alertBox('info', 'Queued', h('p', null, s.status?.message || 'The platform sets up a few stores at a time; this one starts as soon as a slot is free.'));
  } else if (phase === 'Suspended' || suspendAsked) {
    banner = alertBox('info', suspendAsked ? 'Suspended' : 'Resuming',
      h('p', { 'data-testid': 'suspended-message' }, suspendAsked
        ? (s.status?.message || 'The shop and its database are being stopped.')
        : 'The shop and its database are starting again.'),
      h('p', { class: 'small' }, 'While suspended the storefront is off and nothing runs; the database, the uploads and the credentials are kept, and Resume brings the store back with all of them.'),
      d.suspendError ? h('p', { class: 'field-error', role: 'alert' }, d.suspendError) : null);
  } else if (phase === 'Degraded') {
    banner = alertBox('warn', 'Not serving shoppers',
      h('p', { 'data-testid': 'degraded-message' }, s.status?.message || 'The store stopped serving.'),
      h('p', { class: 'small' }, 'The platform keeps checking; the store is Ready again by itself as soon as it serves.'));
  } else if (phase === 'Deleting') {
    banner = alertBox('warn', 'Being deleted', h('p', null, 'The shop, its database and its uploads are being removed.'));
  }
  if (!banner && d.suspendError) banner = alertBox('error', 'Not suspended', h('p', { class: 'field-error', role: 'alert' }, d.suspendError));

  const meta = h('section', { class: 'card section', 'aria-label': 'About this store' },
    h('dl', { class: 'meta' },
      field('Engine', prettyEngine(s.spec?.engine)),
      field('Plan', s.spec?.plan?.size ? s.spec.plan.size[0].toUpperCase() + s.spec.plan.size.slice(1) : 'Small'),
      field('Owner', s.spec?.owner || '—'),
      field('Created', timeAgo(s.metadata?.creationTimestamp)),
      field('Address', s.status?.url ? h('a', { href: s.status.url, target: '_blank', rel: 'noopener noreferrer', class: 'mono break' }, s.status.url) : h('span', { class: 'muted' }, 'Assigned when ready'))));

  const progress = h('section', { class: 'card section', 'aria-labelledby': 'steps-h' },
    h('div', { class: 'section-head' },
      h('h2', { id: 'steps-h', class: 'section-title' }, 'Progress'),
      total ? h('span', { class: 'muted small', 'data-testid': 'total-time' }, total) : null),
    stepList(s));

  return [back, head, banner,
    h('div', { class: 'detail-grid' },
      h('div', { class: 'col' }, progress, activityCard(s, d)),
      h('div', { class: 'col' }, meta, credsCard(s, d, actions), orderCard(s)))];
}
