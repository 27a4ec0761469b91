// vitest globalSetup for the differential project: one redis-server for the run.
import type { TestProject } from "vitest/node";
import { startRedis, type RunningRedis } from "./redis-server.ts";

let redis: RunningRedis | undefined;

declare module "vitest" {
  export interface ProvidedContext {
    oraclePort: number;
  }
}

export async function setup(project: TestProject): Promise<void> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  redis = await startRedis(port);
  project.provide("oraclePort", port);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}
