// Sign in with an API token: checked with GET /me before it is kept.
import { h, icon } from '../dom.js';
import { api, ApiError } from '../api.js';

export function signinView({ notice, onSignedIn }) {
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', class: 'input', required: true,
    autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'token-hint token-error',
    autofocus: true,
  });
  const error = h('p', { id: 'token-error', class: 'field-error', role: 'alert' }, notice || '');
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in');

  const form = h('form', { class: 'signin-form', novalidate: true, onsubmit: submit },
    h('div', { class: 'field' },
      h('label', { for: 'token', class: 'label' }, 'API token'),
      input,
      h('p', { id: 'token-hint', class: 'hint' },
        'Your platform operator gives you a token. It is kept in this browser tab only and forgotten when you sign out or close the tab.'),
      error),
    button);

  async function submit(ev) {
    ev.preventDefault();
    const t = input.value.trim();
    if (!t) {
      error.textContent = 'Enter your API token.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    button.disabled = true;
    button.textContent = 'Signing in…';
    error.textContent = '';
    try {
      const me = await api.me(t);
      onSignedIn(t, me);
    } catch (e) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = e instanceof ApiError && e.status === 401
        ? 'That token is not valid. Check it and try again.'
        : e.message || 'Sign-in failed.';
      button.disabled = false;
      button.textContent = 'Sign in';
      input.select();
    }
  }

  return h('main', { id: 'main', class: 'signin' },
    h('div', { class: 'signin-card card' },
      h('div', { class: 'brand brand-lg' }, h('span', { class: 'brand-mark' }, icon('store')), h('span', null, 'Store Platform')),
      h('h1', { class: 'signin-title' }, 'Sign in'),
      h('p', { class: 'muted signin-lead' }, 'Create and run WooCommerce shops in minutes.'),
      form));
}
