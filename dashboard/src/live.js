// Live updates: the API's Server-Sent Events stream GET /api/v1/events, read
// with fetch() so the bearer token travels in the Authorization header (an
// EventSource cannot send headers, and a token in the URL ends up in logs).
// Reconnects with Last-Event-ID and a growing delay; while the stream is down
// the list is polled instead, so the page never needs a reload.

import { BASE, token } from './api.js';

const POLL_MS = 4000;
const IDLE_MS = 45000; // no byte (not even a heartbeat) for this long: reconnect

export function startLive({ onEvent, onState, poll, onUnauthorized }) {
  let stopped = false;
  let ctrl = null;
  let lastId = '';
  let delay = 1000;
  let pollTimer = 0;
  let retryTimer = 0;
  let idleTimer = 0;

  const setState = (s) => onState && onState(s);

  function startPolling() {
    if (pollTimer || stopped) return;
    const tick = async () => {
      try {
        await poll();
      } catch {
        /* the next tick tries again */
      }
    };
    pollTimer = setInterval(tick, POLL_MS);
    tick();
  }
  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = 0;
  }

  function armIdle() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => ctrl && ctrl.abort(), IDLE_MS);
  }

  function dispatch(ev) {
    if (ev.id) lastId = ev.id;
    if (!ev.data && !ev.event) return;
    let data = null;
    try {
      data = ev.data ? JSON.parse(ev.data) : null;
    } catch {
      data = ev.data;
    }
    onEvent(ev.event || 'message', data, ev.id);
  }

  async function connect() {
    if (stopped) return;
    ctrl = new AbortController();
    const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${token.get()}` };
    if (lastId) headers['Last-Event-ID'] = lastId;
    try {
      const res = await fetch(`${BASE}/events`, { headers, signal: ctrl.signal, cache: 'no-store', credentials: 'omit' });
      if (res.status === 401) {
        onUnauthorized && onUnauthorized();
        return;
      }
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      stopPolling();
      setState('live');
      delay = 1000;
      armIdle();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      let ev = { data: '' };
      let dataLines = [];
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        armIdle();
        buf += value;
        let nl;
        while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
          if (line === '') {
            ev.data = dataLines.join('\n');
            dispatch(ev);
            ev = { data: '' };
            dataLines = [];
            continue;
          }
          if (line.startsWith(':')) continue; // comment / heartbeat
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          let val = i < 0 ? '' : line.slice(i + 1);
          if (val.startsWith(' ')) val = val.slice(1);
          if (field === 'data') dataLines.push(val);
          else if (field === 'event') ev.event = val;
          else if (field === 'id') ev.id = val;
          else if (field === 'retry' && /^\d+$/.test(val)) delay = Math.max(500, Number(val));
        }
      }
      throw new Error('stream ended');
    } catch {
      if (stopped) return;
      clearTimeout(idleTimer);
      setState('polling');
      startPolling();
      retryTimer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    }
  }

  connect();
  return {
    stop() {
      stopped = true;
      stopPolling();
      clearTimeout(retryTimer);
      clearTimeout(idleTimer);
      if (ctrl) ctrl.abort();
    },
  };
}
