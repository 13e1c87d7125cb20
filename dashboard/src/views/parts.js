// Small pieces shared by the views: status badge, times, links, alerts.
import { h, icon } from '../dom.js';
import { phaseOf, currentStep, relative, exact } from '../model.js';

const PHASE = {
  Pending: { label: 'Queued', cls: 'pending' },
  Provisioning: { label: 'Provisioning', cls: 'provisioning' },
  Ready: { label: 'Ready', cls: 'ready' },
  Degraded: { label: 'Degraded', cls: 'degraded' },
  Failed: { label: 'Failed', cls: 'failed' },
  Deleting: { label: 'Deleting', cls: 'deleting' },
  Suspended: { label: 'Suspended', cls: 'suspended' },
};

export function badge(store) {
  const phase = phaseOf(store);
  const p = PHASE[phase] || { label: phase, cls: 'pending' };
  return h('span', { class: `badge badge-${p.cls}`, 'data-phase': phase }, h('span', { class: 'dot', 'aria-hidden': 'true' }), p.label);
}

// A line under the badge: the current step, the queue, or the failure.
export function phaseDetail(store) {
  const phase = phaseOf(store);
  if (phase === 'Provisioning') {
    const st = currentStep(store);
    return st ? `Step ${st.index} of ${st.total}: ${st.label}` : 'Setting up';
  }
  if (phase === 'Pending') return store.status?.message || 'Waiting for a free slot';
  if (phase === 'Failed') return store.status?.reason ? splitWords(store.status.reason) : 'Failed';
  if (phase === 'Deleting') return 'Removing the shop and its data';
  if (phase === 'Suspended') return 'Stopped; its data is kept';
  if ((phase === 'Ready' || phase === 'Degraded') && store.spec?.suspended) return 'Suspending';
  if (phase === 'Degraded') return store.status?.message || 'Not serving';
  return '';
}

export function splitWords(camel) {
  const s = String(camel).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function timeAgo(t) {
  if (!t) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: t, title: exact(t), 'data-relative': t }, relative(t));
}

// Keeps every <time data-relative> in the page current.
export function refreshTimes(root = document) {
  for (const el of root.querySelectorAll('time[data-relative]')) {
    const txt = relative(el.getAttribute('data-relative'));
    if (el.textContent !== txt) el.textContent = txt;
  }
}

export function extLink(href, label, cls = 'btn btn-ghost btn-sm', key) {
  return h('a', { href, class: cls, target: '_blank', rel: 'noopener noreferrer', 'data-key': key }, label, icon('ext', 'icon icon-sm'));
}

export function alertBox(kind, title, ...body) {
  return h('div', { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    icon(kind === 'error' ? 'alert' : kind === 'warn' ? 'alert' : 'clock', 'icon alert-icon'),
    h('div', { class: 'alert-body' }, title ? h('p', { class: 'alert-title' }, title) : null, ...body));
}

export function spinner(label) {
  return h('span', { class: 'spinner', role: 'status', 'aria-label': label || 'Loading' });
}

// Links to a store page (hash routes: the server serves files only).
export const storeHref = (name) => `#/stores/${encodeURIComponent(name)}`;
