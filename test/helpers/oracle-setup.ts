// vitest globalSetup for the differential project: one redis-server for the run.
import type { TestProject } from "vitest/node";
import { startPrivateRedis, type RunningRedis } from "./redis-server.ts";

let redis: RunningRedis | undefined;

declare module "vitest" {
  export interface ProvidedContext {
    oraclePort: number;
  }
}

export async function setup(project: TestProject): Promise<void> {
  redis = await startPrivateRedis();
  project.provide("oraclePort", redis.port);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}
