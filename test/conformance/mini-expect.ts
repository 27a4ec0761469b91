// A small `expect` for hosts without vitest (the browser page): the subset
// of vitest's assertions declared in case.ts, with deep equality over the
// values the embedded API returns (strings, numbers, bigints, booleans, null,
// Uint8Array, arrays, Map, Set, plain objects).

import type { Assertion, Expect } from "./case.ts";

export class AssertionError extends Error {
  override name = "AssertionError";
}

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return `Uint8Array[${Array.from(value).join(",")}]`;
  if (value instanceof Map) return `Map(${show([...value.entries()])})`;
  if (value instanceof Set) return `Set(${show([...value.values()])})`;
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === "string") return JSON.stringify(value);
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${k}: ${show(v)}`).join(", ")}}`;
  }
  return String(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    // Keys of replies are strings or numbers: look them up directly.
    for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k))) return false;
    return true;
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set && b instanceof Set) || a.size !== b.size) return false;
    const rest = [...b];
    for (const item of a) {
      const i = rest.findIndex((other) => deepEqual(item, other));
      if (i < 0) return false;
      rest.splice(i, 1);
    }
    return true;
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

export const miniExpect: Expect = (actual: unknown, message?: string): Assertion => {
  const fail = (what: string): never => {
    throw new AssertionError(`${message ? `${message}: ` : ""}expected ${show(actual)} ${what}`);
  };
  const compare = (n: number | bigint, ok: (a: number | bigint) => boolean, what: string) => {
    if ((typeof actual !== "number" && typeof actual !== "bigint") || !ok(actual)) fail(`${what} ${show(n)}`);
  };
  return {
    toBe(expected) {
      if (!Object.is(actual, expected)) fail(`to be ${show(expected)}`);
    },
    toEqual(expected) {
      if (!deepEqual(actual, expected)) fail(`to equal ${show(expected)}`);
    },
    toBeNull() {
      if (actual !== null) fail("to be null");
    },
    toBeGreaterThan(n) {
      compare(n, (a) => a > n, "to be greater than");
    },
    toBeGreaterThanOrEqual(n) {
      compare(n, (a) => a >= n, "to be greater than or equal to");
    },
    toBeLessThanOrEqual(n) {
      compare(n, (a) => a <= n, "to be less than or equal to");
    },
    toBeInstanceOf(constructor) {
      if (!(actual instanceof (constructor as unknown as new () => unknown))) fail(`to be an instance of ${constructor.name}`);
    },
  };
};
