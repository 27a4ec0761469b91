// The engine conformance suite inside workerd (through @cloudflare/vitest-plugin):
// the core comes in as a Wasm module import, compiled by workerd. (The pool
// itself turns on Node compatibility for vitest; that runtime/ needs none of
// it is checked by test/unit/portability.test.ts.)
import { describe, expect, inject, it } from "vitest";
import core from "../../build/trireme-core.wasm";
import { openStore, openStoreFromSnapshot } from "../../runtime/store.ts";
import { runCase, type ConformanceHost } from "../conformance/case.ts";
import { engineCases } from "../conformance/engine-cases.ts";

const host: ConformanceHost = {
  openStore: (options) => openStore(core, options),
  restoreStore: (image, options) => openStoreFromSnapshot(core, image, options),
  // Taken on Node by test/helpers/snapshot-fixture-setup.ts.
  imageFromNode: Uint8Array.from(atob(inject("snapshotImageFromNode")), (c) => c.charCodeAt(0)),
  expect,
};

describe("engine conformance in workerd", () => {
  it("runs in workerd, with the core as a compiled Wasm module", () => {
    const g = globalThis as Record<string, unknown>;
    expect(core).toBeInstanceOf(WebAssembly.Module);
    expect(typeof g.navigator === "object" && (g.navigator as { userAgent?: string }).userAgent).toBe("Cloudflare-Workers");
  });
  for (const c of engineCases) it(c.name, () => runCase(c, host));
});
