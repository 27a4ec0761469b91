// A linearizability checker for the simulation's histories, in the manner of
// Knossos and Porcupine: Wing & Gong's search with Lowe's memoization. The
// model is one Redis string key used as a register and a counter (SET, GET,
// INCR); keys are independent, so a history is checked key by key
// (P-compositionality).
//
// An operation has the tick of its call and of its return. One whose outcome
// is unknown (a timeout, NOTDURABLE for a write that ran, a crash of the
// primary) has no return: it may take effect at any point after its call, or
// never (taking effect after everything else is the same as never). A failed
// operation (refused before it ran) is left out of the history by the caller;
// so is a read that got no value.
//
// The search walks the history in tick order, keeping a linearization of a
// prefix of the calls: at a call it tries to linearize that operation now
// (its result must match the model), at a return of an operation not yet
// linearized it backtracks. A (set of linearized operations, model state)
// pair that failed once is not tried again, which keeps the search small.

/** The value of a key: null (missing) or its string. */
export type KeyValue = string | null;

export type Operation =
  | { kind: "set"; value: string }
  | { kind: "get"; result: KeyValue }
  /** result undefined: the outcome is unknown (the new value was never seen). */
  | { kind: "incr"; result: number | undefined };

export interface TimedOperation {
  readonly id: number;
  readonly op: Operation;
  readonly call: number;
  /** Infinity: the outcome is unknown. */
  readonly ret: number;
}

/** The model: the key's value after `op`, or null when `op`'s result cannot be observed in `state`. */
export function step(state: KeyValue, op: Operation): { ok: boolean; next: KeyValue } {
  switch (op.kind) {
    case "set":
      return { ok: true, next: op.value };
    case "get":
      return { ok: op.result === state, next: state };
    case "incr": {
      const current = state === null ? 0 : Number(state);
      if (state !== null && !/^-?\d+$/.test(state)) return { ok: false, next: state };
      const next = current + 1;
      return { ok: op.result === undefined || op.result === next, next: String(next) };
    }
  }
}

const isUnknownIncr = (t: TimedOperation): boolean => t.ret === Infinity && t.op.kind === "incr";

/** Whether an unknown INCR's call comes before `entry` in the (remaining) history. */
function unknownIncrBefore(head: Entry, entry: Entry): boolean {
  for (let e = head.next; e !== null && e !== entry; e = e.next) if (e.call && isUnknownIncr(e.op)) return true;
  return false;
}

interface Entry {
  readonly call: boolean;
  readonly op: TimedOperation;
  readonly index: number;
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

export interface CheckResult {
  ok: boolean;
  /** When not ok: the longest prefix of calls that could be linearized, as operation ids in order. */
  longestLinearized?: number[];
  /** When not ok: the first return the search could not get past. */
  stuckAt?: TimedOperation;
}

/** Search steps one key's history may take; a history that needs more is reported as an error, not as a verdict. */
const SEARCH_STEPS_MAX = 5_000_000;

/**
 * Leaves out unknown SETs that cannot matter: if no known result is the
 * value a SET wrote or a value INCRs could make of it, then any
 * linearization that applies it can apply it last instead (what would
 * follow it sees a value nobody saw), so it might as well never happen.
 */
function withoutUnobservedSets(history: readonly TimedOperation[]): readonly TimedOperation[] {
  const observed: Array<string | null> = [];
  let incrs = 0;
  for (const { op } of history) {
    if (op.kind === "get") observed.push(op.result);
    if (op.kind === "incr") {
      incrs++;
      if (op.result !== undefined) observed.push(String(op.result));
    }
  }
  const seen = (value: string): boolean => {
    const base = /^-?\d+$/.test(value) ? Number(value) : null;
    return observed.some((o) => o === value || (base !== null && o !== null && /^-?\d+$/.test(o) && Number(o) > base && Number(o) <= base + incrs));
  };
  return history.filter((t) => !(t.ret === Infinity && t.op.kind === "set" && !seen(t.op.value)));
}

/** Checks one key's history, starting from `initial`. */
export function checkLinearizable(fullHistory: readonly TimedOperation[], initial: KeyValue = null): CheckResult {
  const history = withoutUnobservedSets(fullHistory);
  // Entries in tick order; at equal ticks calls before returns (they overlap: the weaker order).
  const raw: Array<{ tick: number; call: boolean; op: TimedOperation }> = [];
  for (const op of history) {
    if (!(op.ret > op.call)) throw new RangeError(`operation ${op.id} returns (${op.ret}) before its call (${op.call})`);
    raw.push({ tick: op.call, call: true, op }, { tick: op.ret, call: false, op });
  }
  raw.sort((a, b) => a.tick - b.tick || (a.call === b.call ? a.op.id - b.op.id : a.call ? -1 : 1));
  const head: Entry = { call: false, op: null as unknown as TimedOperation, index: -1, match: null, prev: null, next: null };
  let last = head;
  const calls = new Map<number, Entry>();
  let index = 0;
  for (const r of raw) {
    const entry: Entry = { call: r.call, op: r.op, index: r.call ? index++ : -1, match: null, prev: last, next: null };
    last.next = entry;
    last = entry;
    if (r.call) calls.set(r.op.id, entry);
    else {
      const call = calls.get(r.op.id)!;
      call.match = entry;
      entry.match = call;
    }
  }
  const lift = (call: Entry): void => {
    call.prev!.next = call.next;
    if (call.next !== null) call.next.prev = call.prev;
    const ret = call.match!;
    ret.prev!.next = ret.next;
    if (ret.next !== null) ret.next.prev = ret.prev;
  };
  const unlift = (call: Entry): void => {
    const ret = call.match!;
    ret.prev!.next = ret;
    if (ret.next !== null) ret.next.prev = ret;
    call.prev!.next = call;
    if (call.next !== null) call.next.prev = call;
  };

  let linearized = 0n;
  let state: KeyValue = initial;
  const tried = new Set<string>();
  const stack: Array<{ entry: Entry; state: KeyValue }> = [];
  let longest: number[] = [];
  let stuckAt: TimedOperation | undefined;
  let entry = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > SEARCH_STEPS_MAX) throw new Error(`linearizability search gave up after ${SEARCH_STEPS_MAX} steps`);
    if (entry === null) throw new Error("linearizability search ran off the end of the history"); // every call has its return after it
    if (entry.call && isUnknownIncr(entry.op) && unknownIncrBefore(head, entry)) {
      // Unknown INCRs that are all called are interchangeable: only the first is tried.
      entry = entry.next;
      continue;
    }
    if (entry.call) {
      const { ok, next } = step(state, entry.op.op);
      if (ok) {
        const bits = linearized | (1n << BigInt(entry.index));
        const key = `${next === null ? "\u0000" : next}|${bits.toString(36)}`;
        if (!tried.has(key)) {
          tried.add(key);
          stack.push({ entry, state });
          state = next;
          linearized = bits;
          lift(entry);
          if (stack.length > longest.length) longest = stack.map((s) => s.entry.op.id);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
    } else {
      if (stack.length === 0) return { ok: false, longestLinearized: longest, stuckAt: stuckAt ?? entry.op };
      if (stuckAt === undefined || longest.length === stack.length) stuckAt = entry.op;
      const top = stack.pop()!;
      state = top.state;
      linearized &= ~(1n << BigInt(top.entry.index));
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { ok: true };
}
