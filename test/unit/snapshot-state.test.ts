// The rule that makes a memory image the whole core (core-wasm/state.ts): no
// mutable state outside linear memory. A module-level `let` in the core, or a
// `const` computed when the module starts (`const p = alloc(n)`), becomes a
// mutable Wasm global, which a snapshot would not carry. These tests fail as
// soon as one appears, naming it.
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import asc from "assemblyscript/asc";
import binaryen from "binaryen";
import { CORE_WASM_PATH } from "../helpers/core-bytes.ts";

const CORE_DIR = fileURLToPath(new URL("../../core-wasm/", import.meta.url));
// AssemblyScript's TLSF root pointer: set once, on the first allocation, to a
// constant of the build; snapshot_restored checks it after a restore.
const ALLOWED_MUTABLE_GLOBALS = ["~lib/rt/tlsf/ROOT"];

/** The core compiled as the build does, unoptimized and with names, as text. */
async function namedCoreText(): Promise<string> {
  let text: string | undefined;
  const { error, stderr } = await asc.main(
    [`${CORE_DIR}index.ts`, "--runtime", "minimal", "--use", "abort=", "-O0", "--noAssert", "--textFile", "core.wat"],
    {
      writeFile(name: string, contents: string | Uint8Array) {
        if (name.endsWith("core.wat")) text = typeof contents === "string" ? contents : new TextDecoder().decode(contents);
      },
    },
  );
  if (error !== null) throw new Error(`asc failed: ${String(error)}\n${String(stderr)}`);
  if (text === undefined) throw new Error("asc wrote no text file");
  return text;
}

describe("no mutable state outside linear memory", () => {
  it("the only mutable Wasm global of the core is the allocator's root pointer", async () => {
    const text = await namedCoreText();
    const globals = [...text.matchAll(/^\s*\(global \$(\S+) \(mut /gm)].map((m) => m[1]!);
    expect(globals, "move these into the state block (core-wasm/state.ts) or static memory").toEqual(ALLOWED_MUTABLE_GLOBALS);
  });

  it("the built core (as the hosts load it) has exactly one mutable global", () => {
    const module = binaryen.readBinary(readFileSync(CORE_WASM_PATH));
    try {
      let mutable = 0;
      for (let i = 0; i < module.getNumGlobals(); i++) {
        if (binaryen.getGlobalInfo(module.getGlobalByIndex(i)).mutable) mutable++;
      }
      expect(mutable).toBe(ALLOWED_MUTABLE_GLOBALS.length);
    } finally {
      module.dispose();
    }
  });

  it("no core source declares a module-level let or var", () => {
    const found: string[] = [];
    for (const name of readdirSync(CORE_DIR)) {
      if (!name.endsWith(".ts")) continue;
      const lines = readFileSync(CORE_DIR + name, "utf8").split("\n");
      lines.forEach((line, i) => {
        if (/^(export\s+)?(let|var)\s/.test(line)) found.push(`core-wasm/${name}:${i + 1}: ${line}`);
      });
    }
    expect(found).toEqual([]);
  });
});
