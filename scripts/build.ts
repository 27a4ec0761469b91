// Builds what the tests and the server need from source: the Wasm core
// (core-wasm/ -> build/trireme-core.wasm). Skips work whose inputs are older
// than its output, so `npm test` and `npm start` can always call it.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync, mkdirSync, existsSync } from "node:fs";
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
  console.log(`built ${outFile}`);
}
