// "New store": a modal form with inline validation that states the rule.
import { h, icon } from '../dom.js';
import { api, ApiError, engineDescription } from '../api.js';
import { NAME_MAX, NAME_RULE, nameProblem } from '../model.js';
import { quotaText } from './list.js';

const SIZE_TEXT = {
  small: 'For trying things out and small shops',
  medium: 'More CPU and memory, 5 GiB of uploads',
  large: 'Busy shops with large catalogues',
};

// Words for an API error on create; field errors go under their field.
export function createErrorText(e) {
  if (!(e instanceof ApiError)) return { text: e.message || 'Something went wrong.' };
  const code = e.code;
  if (e.status === 409) return { field: 'name', text: `That name is taken. ${e.message ? `(${e.message}) ` : ''}Choose another name.` };
  if (e.status === 429 && e.retryAfter !== null && !/quota|limit_stores|max_stores/.test(code)) {
    return { rate: e.retryAfter, text: `Too many requests. Wait ${e.retryAfter} ${e.retryAfter === 1 ? 'second' : 'seconds'} and try again.` };
  }
  if (e.status === 403 || e.status === 429) {
    return { text: `You have reached your store limit. ${e.message} Delete a store you no longer need to make room.` };
  }
  if (e.field && /^(name|displayName|engine|plan)/.test(e.field)) return { field: e.field.split('.')[0], text: e.message };
  return { text: e.message };
}

export function openCreateDialog({ state, onCreated }) {
  const engines = state.engines && state.engines.length
    ? state.engines
    : [{ name: 'woocommerce', label: 'WooCommerce', sizes: [{ name: 'small' }, { name: 'medium' }, { name: 'large' }], defaultSize: 'small' }];
  let engine = engines[0];
  let touched = false;
  let rateTimer = 0;

  const nameInput = h('input', {
    id: 'store-name', name: 'name', class: 'input mono', required: true, maxlength: 63,
    autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', inputmode: 'url',
    'aria-describedby': 'store-name-rule store-name-error', placeholder: 'my-shop',
    oninput: () => { if (touched || nameInput.value.length > 2) validateName(); counter(); },
    onblur: () => { if (nameInput.value) { touched = true; validateName(); } },
  });
  const nameCount = h('span', { class: 'count', 'aria-hidden': 'true' }, `0/${NAME_MAX}`);
  const nameErr = h('p', { id: 'store-name-error', class: 'field-error', 'aria-live': 'polite' });
  const displayInput = h('input', { id: 'store-display', name: 'displayName', class: 'input', maxlength: 100, autocomplete: 'off', placeholder: 'My Shop', 'aria-describedby': 'store-display-error' });
  const displayErr = h('p', { id: 'store-display-error', class: 'field-error', 'aria-live': 'polite' });
  const formErr = h('div', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create store');
  const engineBox = h('div', { class: 'choice-grid' });
  const sizeBox = h('div', { class: 'choice-grid choice-3' });

  function counter() {
    nameCount.textContent = `${nameInput.value.length}/${NAME_MAX}`;
    nameCount.classList.toggle('count-over', nameInput.value.length > NAME_MAX);
  }

  function validateName() {
    const p = nameProblem(nameInput.value);
    setFieldError(nameInput, nameErr, p);
    return !p;
  }

  function setFieldError(input, el, text) {
    el.textContent = text || '';
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  function renderEngines() {
    engineBox.replaceChildren(...engines.map((e) => choice('engine', e.name, e.label, e.description || engineDescription(e.name), e === engine, () => {
      engine = e;
      renderSizes();
    })));
  }
  function renderSizes() {
    const sizes = engine.sizes.length ? engine.sizes : [{ name: 'small' }];
    const def = engine.defaultSize || sizes[0].name;
    sizeBox.replaceChildren(...sizes.map((s) => choice('size', s.name, s.name[0].toUpperCase() + s.name.slice(1), s.description || SIZE_TEXT[s.name] || '', s.name === def)));
  }
  function choice(group, value, title, text, checked, onchange) {
    const id = `${group}-${value}`;
    return h('label', { class: 'choice', for: id },
      h('input', { type: 'radio', id, name: group, value, checked, class: 'choice-input', onchange }),
      h('span', { class: 'choice-body' }, h('span', { class: 'choice-title' }, title), text ? h('span', { class: 'choice-text' }, text) : null));
  }
  renderEngines();
  renderSizes();

  const full = state.me && state.me.max !== null && state.me.used >= state.me.max;
  const form = h('form', { class: 'form', novalidate: true, onsubmit: onSubmit },
    h('div', { class: 'dialog-head' },
      h('h2', { id: 'create-title', class: 'dialog-title' }, 'New store'),
      h('button', { type: 'button', class: 'btn btn-icon btn-ghost', 'aria-label': 'Close', onclick: () => dlg.close() }, icon('x'))),
    full ? h('div', { class: 'alert alert-warn', role: 'status' }, icon('alert', 'icon alert-icon'),
      h('div', { class: 'alert-body' }, h('p', null, `You are using ${quotaText(state.me)}, your limit. Delete a store to make room for a new one.`))) : null,
    h('div', { class: 'field' },
      h('div', { class: 'label-row' }, h('label', { for: 'store-name', class: 'label' }, 'Store name'), nameCount),
      nameInput,
      h('p', { id: 'store-name-rule', class: 'hint' }, NAME_RULE, ' It becomes part of the shop’s web address and cannot be changed.'),
      nameErr),
    h('div', { class: 'field' },
      h('label', { for: 'store-display', class: 'label' }, 'Shop title ', h('span', { class: 'optional' }, '(optional)')),
      displayInput, displayErr),
    h('fieldset', { class: 'field' }, h('legend', { class: 'label' }, 'Engine'), engineBox),
    h('fieldset', { class: 'field' }, h('legend', { class: 'label' }, 'Plan'), sizeBox),
    formErr,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => dlg.close() }, 'Cancel'),
      submit));

  const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': 'create-title' }, form);
  dlg.addEventListener('close', () => { clearInterval(rateTimer); dlg.remove(); });
  document.body.appendChild(dlg);
  dlg.showModal();
  nameInput.focus();

  async function onSubmit(ev) {
    ev.preventDefault();
    touched = true;
    formErr.replaceChildren();
    if (!validateName()) {
      nameInput.focus();
      return;
    }
    const body = { name: nameInput.value, engine: engine.name };
    const display = displayInput.value.trim();
    if (display) body.displayName = display;
    const size = form.querySelector('input[name="size"]:checked')?.value;
    if (size) body.plan = { size };
    submit.disabled = true;
    submit.textContent = 'Creating…';
    try {
      const res = await api.create(body);
      dlg.close();
      onCreated(res.data, res.status);
    } catch (e) {
      submit.disabled = false;
      submit.textContent = 'Create store';
      const r = createErrorText(e);
      if (r.field === 'name') {
        setFieldError(nameInput, nameErr, r.text);
        nameInput.focus();
      } else if (r.field === 'displayName') {
        setFieldError(displayInput, displayErr, r.text);
        displayInput.focus();
      } else {
        formErr.replaceChildren(icon('alert', 'icon alert-icon'), h('p', { class: 'form-error-text' }, r.text));
        if (r.rate) countdown(r.rate);
      }
    }
  }

  // Disables the button until the rate limit's wait is over, showing the seconds left.
  function countdown(secs) {
    let left = secs;
    submit.disabled = true;
    const tick = () => {
      if (left <= 0) {
        clearInterval(rateTimer);
        submit.disabled = false;
        submit.textContent = 'Create store';
        formErr.replaceChildren();
        return;
      }
      submit.textContent = `Wait ${left} s`;
      left -= 1;
    };
    tick();
    rateTimer = setInterval(tick, 1000);
  }
  return dlg;
}
