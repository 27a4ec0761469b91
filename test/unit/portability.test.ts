// runtime/ and core-wasm/ must run unchanged on Node, in workerd and in
// browsers, so they may use nothing that only Node has: no node: imports, no
// bare Node built-ins, no process, Buffer, require, __dirname, __filename,
// global. This scans every source file and names each use by file and line.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findNodeApis } from "../helpers/node-api-scan.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PLATFORM_NEUTRAL_DIRS = ["runtime", "core-wasm"];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((name) => /\.[cm]?[jt]s$/.test(name))
    .map((name) => join(ROOT, dir, name))
    .sort();
}

describe("platform-neutral sources use no Node API", () => {
  for (const dir of PLATFORM_NEUTRAL_DIRS) {
    it(`${dir}/ imports nothing from Node and uses no Node global`, () => {
      const files = sourceFiles(dir);
      expect(files.length).toBeGreaterThan(0);
      const violations: string[] = [];
      for (const file of files) {
        for (const f of findNodeApis(readFileSync(file, "utf8"))) {
          violations.push(`${relative(ROOT, file)}:${f.line}: ${f.what}`);
        }
      }
      expect(violations, `Node-only APIs in ${dir}/:\n${violations.join("\n")}`).toEqual([]);
    });
  }
});

describe("the Node API scanner", () => {
  it("finds node: imports, bare built-ins, dynamic imports and re-exports", () => {
    const source = [
      'import { readFileSync } from "node:fs";',
      "import path from 'path';",
      'import "fs/promises";',
      'const os = await import("node:os");',
      'export * from "crypto";',
      'export { x } from "./local.ts";',
      'import { y } from "some-package";',
    ].join("\n");
    expect(findNodeApis(source)).toEqual([
      { line: 1, what: 'imports "node:fs"' },
      { line: 2, what: 'imports "path"' },
      { line: 3, what: 'imports "fs/promises"' },
      { line: 4, what: 'imports "node:os"' },
      { line: 5, what: 'imports "crypto"' },
    ]);
  });

  it("finds Node globals in code, including inside template expressions", () => {
    const source = [
      "const env = process.env.HOME;",
      "const b = Buffer.from(x);",
      "const m = require('x');",
      "const here = __dirname + __filename;",
      "global.x = 1;",
      "const t = `home: ${process.cwd()}`;",
    ].join("\n");
    expect(findNodeApis(source)).toEqual([
      { line: 1, what: "uses process" },
      { line: 2, what: "uses Buffer" },
      { line: 3, what: "uses require" },
      { line: 4, what: "uses __dirname" },
      { line: 4, what: "uses __filename" },
      { line: 5, what: "uses global" },
      { line: 6, what: "uses process" },
    ]);
  });

  it("ignores comments, string contents, regexes, properties and longer names", () => {
    const source = [
      "// Node's Buffer#latin1Slice is faster, and process.env is not here.",
      "/* import fs from 'node:fs'; require('x') */",
      'const text = "do not process this; from \\"node:fs\\"";',
      "const t = `a Buffer of ${n} bytes, from 'fs'`;",
      "const r = /process|Buffer/g;",
      "this.process(x); engine.global = 1;",
      "const processed = globalThis.queueMicrotask; const BufferSource = 1;",
      "const y = a / b; const z = c / d; // process",
    ].join("\n");
    expect(findNodeApis(source)).toEqual([]);
  });
});
