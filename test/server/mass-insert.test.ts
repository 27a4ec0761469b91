// Mass insertion the way Redis documents it: `redis-cli --pipe` reading a
// file of RESP commands (100,000 SETs), then DBSIZE and a sample of the
// values read back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";
import { RespClient } from "../helpers/resp-client.ts";
import { encodeCommand } from "../../runtime/resp.ts";
import { text, utf8 } from "../../runtime/bytes.ts";

const KEYS = 100_000;

let server: RunningTrireme;
beforeAll(async () => { server = await startTrireme(); });
afterAll(async () => { await server.stop(); });

function valueOf(i: number): string {
  return `value:${i}:${(i * 2654435761) % 1000003}${i % 7 === 0 ? " with spaces\r\nand a CRLF" : ""}`;
}

describe("redis-cli --pipe", () => {
  it("inserts 100,000 keys, all of them readable afterwards", async () => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < KEYS; i++) parts.push(encodeCommand([utf8("SET"), utf8(`key:${i}`), utf8(valueOf(i))]));
    const input = Buffer.concat(parts);
    const r = spawnSync("redis-cli", ["-p", String(server.port), "--pipe"], { input, encoding: "utf8", timeout: 50_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`errors: 0, replies: ${KEYS}`);

    const client = await RespClient.connect(server.port);
    try {
      expect(text((await client.send("DBSIZE")).bytes)).toBe(`:${KEYS}\r\n`);
      const sample = Array.from({ length: 1000 }, (_, j) => (j * 7919) % KEYS).concat([0, KEYS - 1]);
      const replies = await client.pipeline(sample.map((i) => ["GET", `key:${i}`]));
      expect(replies.map((reply) => text(reply.bytes))).toEqual(sample.map((i) => {
        const v = valueOf(i);
        return `$${Buffer.byteLength(v)}\r\n${v}\r\n`;
      }));
      expect(text((await client.send("GET", `key:${KEYS}`)).bytes)).toBe("$-1\r\n");
    } finally {
      client.close();
    }
  });
});
