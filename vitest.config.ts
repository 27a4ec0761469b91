// Test projects, one per concern (see test/README.md):
//   unit          engine and runtime pieces, in-process on Node
//   differential  the engine against a real redis-server started for the run
//   conformance-node  the engine conformance suite (test/conformance) on Node
import { defineConfig } from "vitest/config";

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
          globalSetup: ["test/helpers/oracle-setup.ts"],
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
    ],
  },
});
