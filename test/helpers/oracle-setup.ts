// vitest globalSetup for the server projects: one redis-server per project for the run.
import type { TestProject } from "vitest/node";
import { startPrivateRedis, type RunningRedis } from "./redis-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    oraclePort: number;
  }
}

/** Starts the project's oracle; the function returned stops it (each project that lists this file gets its own). */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis: RunningRedis = await startPrivateRedis();
  project.provide("oraclePort", redis.port);
  return async () => {
    await redis.stop();
  };
}
