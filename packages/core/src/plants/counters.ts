// Lifetime energy counters turned into interval energy. A meter or an
// inverter reports how much it has counted since it was made (a template
// signal with `counter: true`); Helio stores energy per interval (the `Wh`
// readings of the monitoring domain are energy since the previous reading).
//
// The delta between two counter readings is the energy of the interval that
// starts at the earlier one, stored as a reading at the earlier timestamp.
// The last counter reading seen per (sub-device, field) is kept on the plant
// (plants.counters, written in the transaction that stores the energy, so a
// redelivered message changes nothing):
//
// - the first reading ever only sets the state;
// - a later reading closes the interval since the state: energy = delta;
// - a counter that went backwards was reset (replaced meter, firmware):
//   no energy for that interval, the state restarts from the new value;
// - a reading at the state's time is a redelivery: nothing;
// - a reading older than the state (history sent late, out of order) is
//   ignored: the interval that spans it already carries its energy, so the
//   total is never lost, only spread more coarsely.
//
// A gap (the device offline for hours) becomes one interval at the gap's
// start holding all the energy counted during the gap.
//
// A state belongs to what produced its value: the template (id and version)
// and the signal (key and scale) it was decoded through, and the plant's
// provisioning (the last 'provision' transition). When a reading comes from
// another source (the template was edited, say its scale fixed from 1 to
// 1000; the plant got another template; it was provisioned again, perhaps as
// a replaced device) the two values cannot be subtracted: the state starts
// again from the new reading, with no energy for that interval, as after a
// reset. Any edit of the template bumps its version, so even one that did not
// touch the signal costs that one interval (never a wrong one).

/** What produced a counter value: compared whole, any difference restarts the state. */
export interface CounterSource {
  /** The template the value was decoded through. */
  template: string | null;
  /** Its version then. */
  version: number | null;
  /** The signal's key in the message. */
  signal: string;
  /** The factor the device's number was multiplied by. */
  scale: number;
  /** The plant's last provisioning (its 'provision' transition's id), null before any. */
  provision: string | null;
}

/** The last counter reading of one (sub-device, field): ms since the epoch, the value (in the field's unit) and its source. */
export interface CounterState extends CounterSource {
  t: number;
  v: number;
}

/** plants.counters: per `counterKey`, the last reading. */
export type CounterStates = Record<string, CounterState>;

/** The key of a counter in plants.counters: the sub-device's nodeId ('' for the plant itself) and the field. */
export function counterKey(device: string | null, field: string): string {
  return `${device ?? ''}|${field}`;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const stringOrNull = (x: unknown): x is string | null => x === null || typeof x === 'string';

/**
 * plants.counters as read from the database, keeping only well-formed states
 * (a state without its source, as an older Helio wrote it, is dropped: the
 * next reading starts again).
 */
export function parseCounterStates(raw: unknown): CounterStates {
  const states: CounterStates = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return states;
  for (const [key, s] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof s !== 'object' || s === null) continue;
    const { t, v, template, version, signal, scale, provision } = s as Record<string, unknown>;
    if (!finite(t) || !finite(v) || !finite(scale) || typeof signal !== 'string') continue;
    if (!stringOrNull(template) || !stringOrNull(provision) || !(version === null || finite(version))) continue;
    states[key] = { t, v, template, version, signal, scale, provision };
  }
  return states;
}

/** Whether two sources are the same (values from them may be subtracted). */
export function sameSource(a: CounterSource, b: CounterSource): boolean {
  return (
    a.template === b.template && a.version === b.version && a.signal === b.signal && a.scale === b.scale && a.provision === b.provision
  );
}

/** Energy deltas are rounded to this many decimals: a float subtraction of two large counters leaves noise below it. */
const DECIMALS = 1e6;

export interface CounterStep {
  /** The interval energy this reading closes: a reading at `ts` (the interval's start) of `value`. */
  energy: { ts: number; value: number } | null;
  /** The state after it (the same object when unchanged). */
  state: CounterState;
  /** Why no energy came of it, when none did. */
  note?: 'first' | 'reset' | 'repeat' | 'late' | 'new-source';
}

/** Applies one counter reading (`t` ms, `v`, from `source`) to the last one seen. */
export function advanceCounter(last: CounterState | undefined, t: number, v: number, source: CounterSource): CounterStep {
  const state = (): CounterState => ({ t, v, ...pick(source) });
  if (!last) return { energy: null, state: state(), note: 'first' };
  if (t === last.t) return { energy: null, state: last, note: 'repeat' };
  if (t < last.t) return { energy: null, state: last, note: 'late' };
  if (!sameSource(last, source)) return { energy: null, state: state(), note: 'new-source' };
  if (v < last.v) return { energy: null, state: state(), note: 'reset' };
  return { energy: { ts: last.t, value: Math.round((v - last.v) * DECIMALS) / DECIMALS }, state: state() };
}

function pick(s: CounterSource): CounterSource {
  return { template: s.template, version: s.version, signal: s.signal, scale: s.scale, provision: s.provision };
}
