// Serves the runtime's HTTP API (runtime/http-api.ts) on Node.
import { serve } from "@hono/node-server";
import type { Engine } from "../runtime/engine.ts";
import { createHttpApi } from "../runtime/http-api.ts";
import { ConfigError, type ServerConfig } from "./config.ts";
import type { CommitGate } from "../runtime/log/gate.ts";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Starts the HTTP API on every bind address; refuses to run without a token
 * beyond loopback. `durability` is a durable server's gate, or a follower's
 * (writes refused while `readOnly` says so; the gate once promoted).
 */
export async function startHttpApi(
  engine: Engine, config: ServerConfig,
  durability: { gate?: CommitGate | (() => CommitGate | undefined); readOnly?: () => boolean } = {},
): Promise<string[]> {
  if (config.httpToken === undefined && config.bind.some((h) => !LOOPBACK.has(h))) {
    throw new ConfigError("the HTTP API is bound beyond loopback: set --http-token (or --http-port 0 to disable it)");
  }
  const app = createHttpApi(engine, {
    ...(config.httpToken === undefined ? {} : { token: config.httpToken }),
    ...(durability.gate === undefined ? {} : { gate: durability.gate }),
    ...(durability.readOnly === undefined ? {} : { readOnly: durability.readOnly }),
  });
  const addresses: string[] = [];
  for (const hostname of config.bind) {
    try {
      await new Promise<void>((resolve, reject) => {
        const server = serve({ fetch: app.fetch, port: config.httpPort, hostname }, () => resolve());
        server.once("error", reject);
      });
      addresses.push(hostname.includes(":") ? `[${hostname}]:${config.httpPort}` : `${hostname}:${config.httpPort}`);
    } catch (error) {
      if (hostname === "::1" && addresses.length > 0) continue;
      throw error;
    }
  }
  return addresses;
}
