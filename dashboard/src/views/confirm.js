// Delete confirmation: names the store, default focus on Cancel.
import { h, icon } from '../dom.js';

export function confirmDelete(name, onConfirm) {
  const error = h('p', { class: 'field-error', role: 'alert' });
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => dlg.close() }, 'Cancel');
  const ok = h('button', { type: 'submit', class: 'btn btn-danger' }, icon('trash'), `Delete ${name}`);
  const form = h('form', { class: 'form', onsubmit: async (ev) => {
    ev.preventDefault();
    ok.disabled = true;
    error.textContent = '';
    try {
      await onConfirm();
      dlg.close();
    } catch (e) {
      ok.disabled = false;
      error.textContent = e.message || 'The store could not be deleted.';
    }
  } },
  h('div', { class: 'dialog-head' },
    h('h2', { id: 'delete-title', class: 'dialog-title' }, 'Delete store ', h('span', { class: 'mono' }, `“${name}”`), '?')),
  h('p', { id: 'delete-desc' }, 'The shop, its database and its uploads are removed. Products, orders and customers cannot be recovered.'),
  error,
  h('div', { class: 'dialog-actions' }, cancel, ok));
  const dlg = h('dialog', { class: 'dialog dialog-sm', role: 'alertdialog', 'aria-labelledby': 'delete-title', 'aria-describedby': 'delete-desc' }, form);
  dlg.addEventListener('close', () => dlg.remove());
  document.body.appendChild(dlg);
  dlg.showModal();
  cancel.focus();
  return dlg;
}
