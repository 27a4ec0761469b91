// Test projects, one per concern (see test/README.md):
//   unit          engine and runtime pieces, in-process on Node
//   differential  the engine against a real redis-server started for the run
//   server        the server process with real clients
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
          name: "server",
          include: ["test/server/**/*.test.ts"],
          globalSetup: ["test/helpers/oracle-setup.ts"],
          testTimeout: 120_000,
        },
      },
    ],
  },
});
