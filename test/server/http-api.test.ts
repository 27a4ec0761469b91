// The HTTP API through the real @upstash/redis client, and by hand.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "@upstash/redis";
import { freePortGuess, startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";

const TOKEN = "test-token-123";
let server: RunningTrireme;
let httpPort: number;

beforeAll(async () => {
  // Above the ephemeral range, where no outgoing connection can hold it.
  httpPort = freePortGuess();
  server = await startTrireme(["--http-port", String(httpPort), "--http-token", TOKEN]);
  // The RESP port answering does not mean the HTTP one does yet.
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});
afterAll(async () => { await server.stop(); });

const url = () => `http://127.0.0.1:${httpPort}`;

describe("HTTP API", () => {
  it("works with @upstash/redis unchanged: commands, pipelines, transactions", async () => {
    const redis = new Redis({ url: url(), token: TOKEN });
    expect(await redis.set("user:1", "ada")).toBe("OK");
    expect(await redis.get("user:1")).toBe("ada");
    expect(await redis.set("bin", "zero\u0000byte")).toBe("OK");
    expect(await redis.get("bin")).toBe("zero\u0000byte");
    expect(await redis.rpush("list", "a", "b", "c")).toBe(3);
    expect(await redis.lrange("list", 0, -1)).toEqual(["a", "b", "c"]);
    const p = redis.pipeline();
    p.set("counter", "1");
    p.get("counter");
    p.del("counter");
    expect(await p.exec()).toEqual(["OK", 1, 1]);
    const tx = redis.multi();
    tx.set("a", "1");
    tx.get("a");
    expect(await tx.exec()).toEqual(["OK", 1]);
    await expect(redis.lpush("user:1", "x")).rejects.toThrow(/WRONGTYPE/);
  });

  it("answers the path form, refuses a wrong token, and reports health and metrics", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect(await (await fetch(`${url()}/set/path-key/path%20value`, { headers: auth })).json()).toEqual({ result: "OK" });
    expect(await (await fetch(`${url()}/get/path-key`, { headers: auth })).json()).toEqual({ result: "path value" });
    const denied = await fetch(`${url()}/get/path-key`, { headers: { authorization: "Bearer nope" } });
    expect(denied.status).toBe(401);
    const bad = await fetch(url(), { method: "POST", headers: auth, body: '["NOSUCH"]' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^ERR unknown command 'NOSUCH'/);
    expect(await (await fetch(`${url()}/healthz`, { headers: auth })).json()).toEqual({ status: "ok" });
    const metrics = await (await fetch(`${url()}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/^trireme_commands_processed_total \d+$/m);
    expect(metrics).toMatch(/^trireme_keys\{db="0"\} \d+$/m);
  });
});
