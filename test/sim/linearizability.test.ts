// The simulation's linearizability checker (linearizability.ts) on hand-made
// histories, linearizable and not, with unknown outcomes; and against a
// brute-force search over every order on many small random histories.
import { describe, expect, it } from "vitest";
import { checkLinearizable, step, type KeyValue, type Operation, type TimedOperation } from "./linearizability.ts";
import { Prng } from "./world.ts";

const U = Infinity; // an unknown outcome: no return
let ids = 0;
const op = (operation: Operation, call: number, ret: number): TimedOperation => ({ id: ++ids, op: operation, call, ret });
const set = (value: string, call: number, ret: number) => op({ kind: "set", value }, call, ret);
const get = (result: KeyValue, call: number, ret: number) => op({ kind: "get", result }, call, ret);
const incr = (result: number | undefined, call: number, ret: number) => op({ kind: "incr", result }, call, ret);
const linearizable = (history: TimedOperation[]) => checkLinearizable(history).ok;

describe("registers", () => {
  it("a sequential history that reads what was written is linearizable", () => {
    expect(linearizable([get(null, 1, 2), set("5", 3, 4), get("5", 5, 6), set("7", 7, 8), get("7", 9, 10)])).toBe(true);
  });

  it("a read that overlaps a write may see the old or the new value", () => {
    expect(linearizable([set("1", 1, 2), set("2", 3, 10), get("1", 4, 5), get("2", 6, 7)])).toBe(true);
    expect(linearizable([set("1", 1, 2), set("2", 3, 10), get("2", 4, 5)])).toBe(true);
  });

  it("but once a read saw the new value, a later read cannot see the old one", () => {
    expect(linearizable([set("1", 1, 2), set("2", 3, 10), get("2", 4, 5), get("1", 6, 7)])).toBe(false);
  });

  it("a stale read (the old value after a write completed) is not linearizable", () => {
    expect(linearizable([set("1", 1, 2), set("2", 3, 4), get("1", 5, 6)])).toBe(false);
  });

  it("a read of a value nobody wrote is not linearizable", () => {
    expect(linearizable([set("1", 1, 2), get("9", 3, 4)])).toBe(false);
  });

  it("an acknowledged write that the final read does not show was lost", () => {
    expect(linearizable([set("1", 1, 2), get(null, 10, 11)])).toBe(false);
  });
});

describe("counters", () => {
  it("concurrent INCRs return distinct values in some order", () => {
    expect(linearizable([incr(2, 1, 10), incr(1, 2, 9), get("2", 11, 12)])).toBe(true);
    expect(linearizable([incr(1, 1, 10), incr(1, 2, 9)])).toBe(false);
  });

  it("INCR continues from a SET", () => {
    expect(linearizable([set("5000000", 1, 2), incr(5000001, 3, 4), get("5000001", 5, 6)])).toBe(true);
    expect(linearizable([set("5000000", 1, 2), incr(1, 3, 4)])).toBe(false);
  });
});

describe("unknown outcomes", () => {
  it("an unknown write may have taken effect: a later read of its value is fine", () => {
    expect(linearizable([set("1", 1, 2), set("2", 3, U), get("2", 10, 11)])).toBe(true);
  });

  it("or not: a later read of the old value is fine too", () => {
    expect(linearizable([set("1", 1, 2), set("2", 3, U), get("1", 10, 11)])).toBe(true);
  });

  it("but not both, in that order: once seen, its effect cannot go away", () => {
    expect(linearizable([set("1", 1, 2), set("2", 3, U), get("2", 10, 11), get("1", 12, 13)])).toBe(false);
  });

  it("an unknown write cannot take effect before it was called", () => {
    expect(linearizable([get("2", 1, 2), set("2", 3, U)])).toBe(false);
  });

  it("an unknown INCR explains a count one higher, and only once", () => {
    expect(linearizable([incr(1, 1, 2), incr(undefined, 3, U), get("2", 5, 6)])).toBe(true);
    expect(linearizable([incr(1, 1, 2), incr(undefined, 3, U), get("3", 5, 6)])).toBe(false);
    expect(linearizable([incr(1, 1, 2), incr(undefined, 3, U), incr(undefined, 4, U), get("3", 5, 6)])).toBe(true);
  });

  it("a lost acknowledged INCR is caught by the final read even with unknown ones around", () => {
    expect(linearizable([incr(1, 1, 2), incr(2, 3, 4), incr(undefined, 5, U), get("1", 10, 11)])).toBe(false);
  });
});

describe("against a brute-force search", () => {
  /** Tries every order that respects real time, letting unknown operations never happen. */
  function bruteForce(history: TimedOperation[], state: KeyValue = null): boolean {
    if (history.every((o) => o.ret === Infinity)) return true;
    for (const candidate of history) {
      if (history.some((o) => o.ret < candidate.call)) continue; // something else had to come first
      const { ok, next } = step(state, candidate.op);
      if (ok && bruteForce(history.filter((o) => o !== candidate), next)) return true;
    }
    return false;
  }

  it("agrees on 3,000 small random histories", () => {
    const random = new Prng(20261125);
    let linearizableCount = 0;
    for (let n = 0; n < 3000; n++) {
      const size = random.between(1, 6);
      const history: TimedOperation[] = [];
      for (let i = 0; i < size; i++) {
        const call = random.between(0, 12);
        const ret = random.chance(0.2) ? Infinity : call + random.between(1, 6);
        const r = random.int(3);
        const value = random.pick(["1", "2", "3"]);
        const operation: Operation = r === 0 ? { kind: "set", value }
          : r === 1 ? { kind: "get", result: random.chance(0.2) ? null : value }
          : { kind: "incr", result: ret === Infinity ? undefined : random.between(1, 4) };
        if (operation.kind === "get" && ret === Infinity) continue;
        history.push({ id: i + 1, op: operation, call, ret });
      }
      const expected = bruteForce(history);
      if (expected) linearizableCount++;
      expect(checkLinearizable(history).ok, JSON.stringify(history)).toBe(expected);
    }
    // Both verdicts occur often enough for the comparison to mean something.
    expect(linearizableCount).toBeGreaterThan(300);
    expect(linearizableCount).toBeLessThan(2700);
  });
});
