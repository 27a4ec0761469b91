// The shape of an engine conformance case, and the runner every host uses.
//
// A case is a named async function. It gets a host: a way to open stores
// over the host's own copy of build/trireme-core.wasm (read from disk on
// Node, a Wasm module import in workerd, fetched by a page in Chromium) and an
// `expect` with the subset of vitest's assertions the cases use. Node and
// workerd pass vitest's own `expect`; the browser page passes mini-expect.ts.
//
// Cases import only the embedded API (runtime/store.ts) and what every host
// has (timers, TextEncoder, WebAssembly): no Node API, no DOM.

import type { Store, StoreOptions } from "../../runtime/store.ts";

/** The assertions cases may use: a subset of vitest's `Assertion`. */
export interface Assertion {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeNull(): void;
  toBeGreaterThan(n: number | bigint): void;
  toBeGreaterThanOrEqual(n: number | bigint): void;
  toBeLessThanOrEqual(n: number | bigint): void;
  toBeInstanceOf(constructor: abstract new (...args: never[]) => unknown): void;
}

export type Expect = (actual: unknown, message?: string) => Assertion;

export interface CaseContext {
  /** Opens a store over the host's core; the runner closes it after the case. */
  open(options?: StoreOptions): Promise<Store>;
  /** Opens a store from a snapshot image over the host's core; the runner closes it after the case. */
  restore(image: Uint8Array, options?: StoreOptions): Promise<Store>;
  /** The snapshot fixture's image (cases/snapshot.ts) as Node took it, handed to this host. */
  imageFromNode: Uint8Array | undefined;
  expect: Expect;
  /** Waits on the host's real clock. */
  sleep(ms: number): Promise<void>;
}

export interface EngineCase {
  /** Unique across the suite: "<family>: <what>". */
  readonly name: string;
  run(t: CaseContext): Promise<void>;
}

/**
 * What a host provides: store factories bound to its compiled core (new, and
 * from a snapshot image), the snapshot fixture's image as Node took it, and
 * an expect.
 */
export interface ConformanceHost {
  openStore(options?: StoreOptions): Promise<Store>;
  restoreStore(image: Uint8Array, options?: StoreOptions): Promise<Store>;
  imageFromNode?: Uint8Array;
  expect: Expect;
}

/** Runs one case against a host, closing every store it opened, even on failure. */
export async function runCase(engineCase: EngineCase, host: ConformanceHost): Promise<void> {
  const opened: Store[] = [];
  const context: CaseContext = {
    async open(options) {
      const store = await host.openStore(options);
      opened.push(store);
      return store;
    },
    async restore(image, options) {
      const store = await host.restoreStore(image, options);
      opened.push(store);
      return store;
    },
    imageFromNode: host.imageFromNode,
    expect: host.expect,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  try {
    await engineCase.run(context);
  } finally {
    for (const store of opened) store.close();
  }
}

/** The error a call throws, or undefined if it returns. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
