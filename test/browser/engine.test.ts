// The engine conformance suite in headless Chromium. This Node-side test
// bundles test/browser/page.ts with esbuild, serves it with the core from a
// local HTTP server on 127.0.0.1 (random port), drives Debian's Chromium with
// playwright-core, waits until the page has run every case, and reports each
// case as its own test.
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORE_WASM_PATH, coreModule } from "../helpers/core-bytes.ts";
import { openStore } from "../../runtime/store.ts";
import { takeFixtureImage } from "../conformance/cases/snapshot.ts";
import { engineCases } from "../conformance/engine-cases.ts";
import type { PageResult } from "./page.ts";

const CHROMIUM_PATH = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const PAGE_TIMEOUT_MS = 90_000;

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>Trireme engine conformance</title></head>
<body><script type="module" src="/page.js"></script></body></html>`;

let server: Server | undefined;
let browser: Browser | undefined;
let userAgent = "";
const results = new Map<string, PageResult>();
const pageErrors: string[] = [];

async function bundlePage(): Promise<Uint8Array> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL("./page.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  });
  return out.outputFiles[0]!.contents;
}

function serve(files: Record<string, { type: string; body: Uint8Array | string }>): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((req, res) => {
      const file = files[new URL(req.url ?? "/", "http://x").pathname];
      if (file === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(file.body);
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

beforeAll(async () => {
  const bundle = await bundlePage();
  server = await serve({
    "/": { type: "text/html; charset=utf-8", body: INDEX_HTML },
    "/page.js": { type: "text/javascript; charset=utf-8", body: bundle },
    "/trireme-core.wasm": { type: "application/wasm", body: readFileSync(CORE_WASM_PATH) },
    // Taken on Node, restored by the page (test/conformance/cases/snapshot.ts).
    "/fixture-image.bin": {
      type: "application/octet-stream",
      body: await takeFixtureImage((options) => openStore(coreModule(), options)),
    },
  });
  const { port } = server.address() as AddressInfo;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => window.triremeResults !== undefined || window.triremeFatal !== undefined, undefined, {
    timeout: PAGE_TIMEOUT_MS,
  });
  const fatal = await page.evaluate(() => window.triremeFatal);
  if (fatal !== undefined) throw new Error(`the page failed before running the cases: ${fatal}`);
  userAgent = await page.evaluate(() => navigator.userAgent);
  for (const r of (await page.evaluate(() => window.triremeResults))!) results.set(r.name, r);
}, PAGE_TIMEOUT_MS + 30_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

describe("engine conformance in Chromium", () => {
  it("ran in Chromium, every case, with no uncaught page errors", () => {
    expect(userAgent).toMatch(/Chrome\//);
    expect([...results.keys()]).toEqual(engineCases.map((c) => c.name));
    expect(pageErrors).toEqual([]);
  });

  for (const c of engineCases) {
    it(c.name, () => {
      const r = results.get(c.name);
      expect(r, `case "${c.name}" did not report`).toBeDefined();
      if (!r!.ok) throw new Error(`case "${c.name}" failed in Chromium:\n${r!.error}`);
    });
  }
});
