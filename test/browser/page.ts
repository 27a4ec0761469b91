// The page side of the browser run: bundled by esbuild (platform "browser",
// so any Node built-in in the runtime fails the bundle), it compiles the core
// the way a web app would (fetch + WebAssembly.compileStreaming), runs every
// conformance case, and leaves the results on `window` for the driver.
import { openStore, openStoreFromSnapshot } from "../../runtime/store.ts";
import { runCase, type ConformanceHost } from "../conformance/case.ts";
import { engineCases } from "../conformance/engine-cases.ts";
import { miniExpect } from "../conformance/mini-expect.ts";

export interface PageResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

declare global {
  interface Window {
    triremeResults?: PageResult[];
    triremeFatal?: string;
  }
}

async function main(): Promise<void> {
  const core = await WebAssembly.compileStreaming(fetch("/trireme-core.wasm"));
  // The snapshot fixture's image as Node took it (served by engine.test.ts).
  const imageFromNode = new Uint8Array(await (await fetch("/fixture-image.bin")).arrayBuffer());
  const host: ConformanceHost = {
    openStore: (options) => openStore(core, options),
    restoreStore: (image, options) => openStoreFromSnapshot(core, image, options),
    imageFromNode,
    expect: miniExpect,
  };
  const results: PageResult[] = [];
  for (const c of engineCases) {
    const start = performance.now();
    try {
      await runCase(c, host);
      results.push({ name: c.name, ok: true, ms: performance.now() - start });
    } catch (error) {
      const text = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error);
      results.push({ name: c.name, ok: false, error: text, ms: performance.now() - start });
    }
  }
  window.triremeResults = results;
}

main().catch((error: unknown) => {
  window.triremeFatal = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
});
