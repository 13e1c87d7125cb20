// What a Store resource (storeplatform.dev/v1alpha1) means to a person:
// its phase as a badge, the current step, step durations, times in words.

export const NAME_MAX = 30; // SP_NAME_MAX in orchestrator/src/store.h (namespace store-<name>, host)
export const NAME_RULE =
  `Lowercase letters, digits and hyphens; start and end with a letter or digit; at most ${NAME_MAX} characters.`;
const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// The rule the name breaks, in words, or '' when it is a valid DNS-1123 label.
// Reserved words are the API's to judge (its answer names the rule).
export function nameProblem(name) {
  if (name === '') return 'Enter a name.';
  if (name.length > NAME_MAX) return `Too long: ${name.length} characters, at most ${NAME_MAX}.`;
  if (/[A-Z]/.test(name)) return 'Use lowercase letters only.';
  if (/[^a-z0-9-]/.test(name)) return 'Only lowercase letters, digits and hyphens are allowed.';
  if (!NAME_RE.test(name)) return 'Start and end with a letter or digit, not a hyphen.';
  return '';
}

export const STEPS = [
  { type: 'NamespaceReady', label: 'Namespace' , detail: 'An isolated namespace with quota and network policy' },
  { type: 'CredentialsReady', label: 'Credentials', detail: 'Database and admin passwords generated' },
  { type: 'ReleaseDeployed', label: 'Deploy', detail: 'Database, WordPress and WooCommerce installed' },
  { type: 'WorkloadsReady', label: 'Start', detail: 'Database and web server running, shop set up' },
  { type: 'StorefrontReady', label: 'Storefront', detail: 'The shop answers on its address' },
];

export const phaseOf = (s) => {
  if (s?.metadata?.deletionTimestamp) return 'Deleting';
  return s?.status?.phase || 'Pending';
};

const ms = (t) => (t ? Date.parse(t) : NaN);

function cond(s, type) {
  return (s.status?.conditions || []).find((c) => c.type === type);
}

// One entry per step: state done | current | failed | degraded | waiting, with the
// time the step took (or has taken so far) in milliseconds when known. A Degraded
// store was set up: the step its health check found broken (WorkloadsReady, say) is
// degraded, with the reason, not "not started".
export function steps(s, now = Date.now()) {
  const phase = phaseOf(s);
  const start = ms(s.status?.provisioningStartedAt) || ms(s.metadata?.creationTimestamp);
  // A step's duration is the time since the previous step finished, so it is
  // known only while every earlier step has its lastTransitionTime.
  let prevEnd = start;
  let blocked = false;
  return STEPS.map((st) => {
    const c = cond(s, st.type);
    const at = ms(c?.lastTransitionTime);
    let state;
    let took = null;
    if (!blocked && c?.status === 'True') {
      state = 'done';
      if (!Number.isNaN(at) && !Number.isNaN(prevEnd)) took = Math.max(0, at - prevEnd);
      prevEnd = at;
    } else if (!blocked) {
      blocked = true;
      if (phase === 'Failed') state = 'failed';
      else if (phase === 'Degraded') state = 'degraded';
      else if (phase === 'Provisioning') state = 'current';
      else state = 'waiting';
      if (state === 'current' && !Number.isNaN(prevEnd)) took = Math.max(0, now - prevEnd);
      if (state === 'failed') {
        const failedAt = ms(s.status?.failedAt);
        if (!Number.isNaN(failedAt) && !Number.isNaN(prevEnd)) took = Math.max(0, failedAt - prevEnd);
      }
    } else {
      state = 'waiting';
    }
    return { ...st, state, took, reason: c?.reason || '', message: c?.message || '', status: c?.status || 'Unknown' };
  });
}

// The step a provisioning store is on, e.g. "Deploy (3 of 5)".
export function currentStep(s) {
  const list = steps(s);
  const i = list.findIndex((x) => x.state !== 'done');
  if (i < 0) return null;
  return { ...list[i], index: i + 1, total: list.length };
}

const rtf = typeof Intl !== 'undefined' && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat('en', { numeric: 'auto' }) : null;

export function relative(t, now = Date.now()) {
  const at = ms(t);
  if (Number.isNaN(at)) return '';
  const d = (at - now) / 1000;
  const a = Math.abs(d);
  if (a < 45) return 'just now';
  const units = [
    [60, 'second', 1],
    [3600, 'minute', 60],
    [86400, 'hour', 3600],
    [86400 * 30, 'day', 86400],
    [86400 * 365, 'month', 86400 * 30],
    [Infinity, 'year', 86400 * 365],
  ];
  for (const [limit, unit, div] of units) {
    if (a < limit) return rtf ? rtf.format(Math.round(d / div), unit) : `${Math.round(a / div)} ${unit}s ago`;
  }
  return '';
}

export function exact(t) {
  const at = ms(t);
  if (Number.isNaN(at)) return '';
  return new Date(at).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  });
}

export function duration(msec) {
  if (msec === null || msec === undefined || Number.isNaN(msec)) return '';
  const s = Math.round(msec / 1000);
  if (s < 1) return 'under 1 s';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60 ? `${s % 60} s` : ''}`.trim();
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// Newest first, for the list.
export function byCreated(a, b) {
  return (ms(b.metadata?.creationTimestamp) || 0) - (ms(a.metadata?.creationTimestamp) || 0) ||
    String(a.metadata?.name).localeCompare(String(b.metadata?.name));
}
