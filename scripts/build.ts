// Builds what the tests and the server need from source: the Wasm core
// (core-wasm/ -> build/trireme-core.wasm). Skips work whose inputs are older
// than its output, so `npm test` and `npm start` can always call it.
//
// The .wasm gets one custom section, "trireme.build": the SHA-256 of the
// module as asc wrote it. Snapshot images carry it, so an image is only ever
// restored into the build that took it (runtime/snapshot.ts); every host can
// read it from a compiled module (WebAssembly.Module.customSections).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, statSync, mkdirSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const coreDir = join(root, "core-wasm");
const outFile = join(root, "build", "trireme-core.wasm");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

function upToDate(output: string, inputs: number): boolean {
  return existsSync(output) && statSync(output).mtimeMs >= inputs;
}

const force = process.argv.includes("--force");
mkdirSync(join(root, "build"), { recursive: true });
if (force || !upToDate(outFile, Math.max(newestMtime(coreDir), statSync(fileURLToPath(import.meta.url)).mtimeMs))) {
  const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
  execFileSync(process.execPath, [
    asc, join(coreDir, "index.ts"),
    "--runtime", "minimal",
    "--use", "abort=",
    "-O3", "--noAssert",
    "--outFile", outFile,
  ], { stdio: "inherit", cwd: root });
  writeFileSync(outFile, withBuildHash(readFileSync(outFile)));
  console.log(`built ${outFile}`);
}

/** The module with a custom section "trireme.build" holding the SHA-256 of its bytes. */
function withBuildHash(wasm: Buffer): Buffer {
  const name = Buffer.from("trireme.build");
  const hash = createHash("sha256").update(wasm).digest();
  const content = Buffer.concat([leb128(name.length), name, hash]);
  return Buffer.concat([wasm, Buffer.from([0]), leb128(content.length), content]);
}

function leb128(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (n !== 0);
  return Buffer.from(bytes);
}
