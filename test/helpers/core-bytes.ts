// The built Wasm core, for tests that run on Node.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CORE_WASM_PATH = fileURLToPath(new URL("../../build/trireme-core.wasm", import.meta.url));

let cached: WebAssembly.Module | undefined;

/** The compiled core module (compiled once per test file). */
export function coreModule(): WebAssembly.Module {
  cached ??= new WebAssembly.Module(readFileSync(CORE_WASM_PATH));
  return cached;
}
