// The store list: quota, "New store", one row per store (a card on a phone).
import { h, icon } from '../dom.js';
import { prettyEngine } from '../api.js';
import { phaseOf, byCreated } from '../model.js';
import { badge, phaseDetail, timeAgo, extLink, alertBox, storeHref } from './parts.js';

export function quotaText(me) {
  if (!me || me.max === null || me.max === undefined || me.max < 0) return null;
  return `${me.used} of ${me.max} ${me.max === 1 ? 'store' : 'stores'}`;
}

function quota(me, total) {
  const text = quotaText(me);
  if (!text) return null;
  const full = me.used >= me.max;
  const admin = me.role === 'admin';
  return h('div', { class: `quota${full && !admin ? ' quota-full' : ''}`, 'data-testid': 'quota' },
    h('meter', { min: 0, max: me.max, value: Math.min(me.used, me.max), 'aria-label': 'Your stores of your limit', class: 'quota-meter' }),
    h('span', { class: 'quota-text' }, admin ? `You own ${text}` : text,
      full ? h('span', { class: 'quota-note' }, ' · limit reached') : null,
      admin && total !== null ? h('span', null, ` · ${total} in all`) : null));
}

function row(s, { admin, onDelete }) {
  const name = s.metadata.name;
  const phase = phaseOf(s);
  const ready = phase === 'Ready' || phase === 'Degraded';
  const detail = phaseDetail(s);
  return h('tr', { 'data-store': name, 'data-phase': phase },
    h('th', { scope: 'row', class: 'cell-name', 'data-label': 'Store' },
      h('a', { href: storeHref(name), class: 'store-link', 'data-key': `open-${name}` }, name),
      s.spec?.displayName && s.spec.displayName !== name ? h('span', { class: 'sub' }, s.spec.displayName) : null),
    h('td', { class: 'cell-status', 'data-label': 'Status' },
      badge(s), detail ? h('span', { class: `sub${phase === 'Failed' ? ' sub-failed' : phase === 'Degraded' ? ' sub-degraded' : ''}` }, detail) : null),
    h('td', { class: 'cell-engine', 'data-label': 'Engine' }, prettyEngine(s.spec?.engine),
      s.spec?.plan?.size ? h('span', { class: 'sub' }, `${s.spec.plan.size} plan`) : null),
    admin ? h('td', { class: 'cell-owner', 'data-label': 'Owner' }, s.spec?.owner || '—') : null,
    h('td', { class: 'cell-created', 'data-label': 'Created' }, timeAgo(s.metadata.creationTimestamp)),
    h('td', { class: 'cell-actions' },
      h('div', { class: 'row-actions' },
        ready && s.status?.url ? extLink(s.status.url, 'Storefront', 'btn btn-ghost btn-sm', `sf-${name}`) : null,
        ready && s.status?.adminUrl ? extLink(s.status.adminUrl, 'Admin', 'btn btn-ghost btn-sm', `adm-${name}`) : null,
        phase !== 'Deleting'
          ? h('button', {
            type: 'button', class: 'btn btn-icon btn-ghost', 'aria-label': `Delete store ${name}`, title: `Delete ${name}`,
            'data-key': `del-${name}`, onclick: () => onDelete(name),
          }, icon('trash'))
          : null)));
}

export function listView({ state, onCreate, onDelete, onRetryLoad }) {
  const admin = state.me?.role === 'admin';
  const stores = [...state.stores.values()].sort(byCreated);

  const head = h('div', { class: 'page-head' },
    h('div', null,
      h('h1', { class: 'page-title' }, admin ? 'All stores' : 'Your stores'),
      quota(state.me, state.loaded ? state.stores.size : null)),
    h('button', { type: 'button', class: 'btn btn-primary', onclick: onCreate, 'data-key': 'new-store' }, icon('plus'), 'New store'));

  let body;
  if (!state.loaded && state.loadError) {
    body = alertBox('error', 'The stores could not be loaded.',
      h('p', null, state.loadError),
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', onclick: onRetryLoad }, 'Try again'));
  } else if (!state.loaded) {
    body = h('div', { class: 'card table-card', 'aria-busy': 'true' },
      h('p', { class: 'visually-hidden', role: 'status' }, 'Loading stores…'),
      ...[0, 1, 2].map(() => h('div', { class: 'skeleton-row' }, h('span', { class: 'skeleton w40' }), h('span', { class: 'skeleton w20' }), h('span', { class: 'skeleton w15' }))));
  } else if (stores.length === 0) {
    body = h('div', { class: 'card empty' },
      h('div', { class: 'empty-icon' }, icon('store')),
      h('h2', null, 'No stores yet'),
      h('p', { class: 'muted' }, 'A store is a complete WooCommerce shop with its own database, address and admin. It is ready in a few minutes.'),
      h('button', { type: 'button', class: 'btn btn-primary', onclick: onCreate, 'data-key': 'new-store-empty' }, icon('plus'), 'Create your first store'));
  } else {
    body = h('div', { class: 'card table-card' },
      h('table', { class: 'stores' },
        h('caption', { class: 'visually-hidden' }, 'Stores, newest first'),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Store'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Engine'),
          admin ? h('th', { scope: 'col' }, 'Owner') : null,
          h('th', { scope: 'col' }, 'Created'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h('tbody', null, stores.map((s) => row(s, { admin, onDelete })))));
  }
  const stale = state.loaded && state.loadError
    ? alertBox('warn', null, h('p', null, `Showing the last known state: ${state.loadError}`))
    : null;
  return [head, stale, body];
}
