// Test projects, one per concern (see test/README.md):
//   unit          engine and runtime pieces, in-process on Node
//   differential  the engine against a real redis-server started for the run
//   server        the server process with real clients, and over the wire against redis-server
//   server-durable  the same files with every server durable (TEST_DURABILITY=quorum: three local log stores)
//   logstore      the log store: CRC32C, frames, backends (one conformance suite), the process
//   durability    a durable primary over real log-store processes, under faults (kill -9, SIGSTOP)
//   sim           the deterministic simulation of the log protocol (test/sim): seeds, checker
//   conformance-node  the engine conformance suite (test/conformance) on Node
//   workers       the same suite inside workerd (@cloudflare/vitest-plugin)
//   browser       the same suite in headless Chromium (esbuild bundle, playwright-core)
import { defineConfig } from "vitest/config";
import type { Plugin } from "vite";
import { cloudflareTest } from "@cloudflare/vitest-plugin";

/**
 * Lets workerd itself load `.wasm` imports in the workers project. The
 * Cloudflare plugin inlines every module through Vite, and Vite 8 turns a
 * `.wasm` import into glue that reads the file with node:fs; workerd instead
 * compiles a natively imported .wasm to a WebAssembly.Module (and forbids
 * compiling Wasm from bytes at run time). So .wasm files are externalized:
 * the module runner imports them natively, and the plugin's module fallback
 * serves them as CompiledWasm.
 */
function workerdWasmImports(): Plugin {
  return {
    name: "trireme:workerd-wasm-imports",
    config(config) {
      const deps = ((config.test ??= {}).server ??= {}).deps ??= {};
      deps.inline = [/^(?!.*\.wasm$)/];
      deps.external = [/\.wasm$/];
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "differential",
          include: ["test/differential/**/*.test.ts"],
          testTimeout: 300_000,
        },
      },
      {
        test: {
          name: "server",
          include: ["test/server/**/*.test.ts"],
          globalSetup: ["test/helpers/oracle-setup.ts"],
          // The files share one redis-server oracle and flush it: one file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "server-durable",
          include: ["test/server/**/*.test.ts"],
          globalSetup: ["test/helpers/oracle-setup.ts"],
          fileParallelism: false,
          testTimeout: 120_000,
          // Reply gating and native runs on a durable server must change no reply a client sees.
          env: { TEST_DURABILITY: "quorum" },
        },
      },
      {
        test: {
          name: "logstore",
          include: ["test/logstore/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "durability",
          include: ["test/durability/**/*.test.ts"],
          // Real processes (stores, primaries) killed and restarted: one file at a time.
          fileParallelism: false,
          testTimeout: 90_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "sim",
          include: ["test/sim/**/*.test.ts"],
          // The seed sweep takes most of a minute on two cores: bounded by SIM_SEEDS.
          testTimeout: 300_000,
        },
      },
      {
        test: {
          name: "conformance-node",
          include: ["test/conformance/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            miniflare: { compatibilityDate: "2025-09-01", compatibilityFlags: [] },
          }),
          workerdWasmImports(),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: ["test/helpers/snapshot-fixture-setup.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
