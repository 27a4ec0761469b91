// The server process as a Redis client sees it: redis-cli, raw RESP,
// inline commands, pipelining, and bad input.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { execFileSync } from "node:child_process";
import { rawExchange } from "../helpers/raw-socket.ts";
import { startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";
import { RespClient } from "../helpers/resp-client.ts";
import { text } from "../../runtime/bytes.ts";

let server: RunningTrireme;
beforeAll(async () => { server = await startTrireme(); });
afterAll(async () => { await server.stop(); });

function cli(...args: string[]): string {
  return execFileSync("redis-cli", ["-p", String(server.port), ...args], { encoding: "utf8" }).trim();
}

/** Sends raw bytes to the Trireme server (or another port); see rawExchange. */
function raw(bytes: string, port = server.port, quietMs = 300): Promise<{ data: string; closed: boolean }> {
  return rawExchange(port, bytes, quietMs);
}

describe("RESP server", () => {
  it("answers redis-cli", () => {
    expect(cli("PING")).toBe("PONG");
    expect(cli("SET", "greeting", "hello world")).toBe("OK");
    expect(cli("GET", "greeting")).toBe("hello world");
    expect(cli("DBSIZE")).toBe("1");
  });

  it("takes inline commands with quotes, as telnet sends them", async () => {
    const r = await raw('SET inline "a b\\x41"\r\nGET inline\r\nPING\r\n');
    expect(r.data).toBe("+OK\r\n$4\r\na bA\r\n+PONG\r\n");
  });

  it("answers pipelined commands in order, binary-safe", async () => {
    const client = await RespClient.connect(server.port);
    const value = new Uint8Array([0, 13, 10, 255, 0]);
    const replies = await client.pipeline([
      ["SET", "bin", value], ["GET", "bin"], ["SELECT", "2"], ["GET", "bin"], ["SELECT", "0"], ["GET", "bin"],
    ]);
    client.close();
    expect(replies.map((r) => text(r.bytes))).toEqual([
      "+OK\r\n", "$5\r\n\u0000\r\n\ufffd\u0000\r\n", "+OK\r\n", "$-1\r\n", "+OK\r\n", "$5\r\n\u0000\r\n\ufffd\u0000\r\n",
    ]);
    expect(replies[1]!.value).toEqual({ type: "bulk", value: value });
  });

  it("speaks RESP3 after HELLO 3", async () => {
    const r = await raw("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n");
    expect(r.data.startsWith("%7\r\n")).toBe(true);
    expect(r.data.endsWith("_\r\n")).toBe(true);
  });

  it("answers bad input exactly as redis-server does, closing only that connection", async () => {
    cli("SET", "survivor", "still here");
    const inputs = [
      "*1\r\n$abc\r\n", "*1\r\n+PING\r\n", 'SET a "unterminated\r\n', "*abc\r\n", "*-5\r\nPING\r\n",
      "*1\r\n$-1\r\n", "QUIT\r\nPING\r\n", "PING a b\r\n", "\r\n\r\nPING\r\n", "SET k 'it''s'\r\n",
      "ECHO \"\\x41\\n\"\r\n",
    ];
    for (const input of inputs) {
      const expected = await raw(input, inject("oraclePort"));
      const actual = await raw(input);
      expect({ input, ...actual }).toEqual({ input, ...expected });
    }
    expect(cli("GET", "survivor")).toBe("still here");
  });
});
