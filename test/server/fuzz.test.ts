// Malformed and oversized RESP thrown at the running server process, many
// connections at a time (fast-check): bad lengths, wrong prefixes, huge
// declared bulks and multibulks, deep nesting, random bytes, frames cut
// short, inline lines beyond 64 KB without a newline, each possibly after a
// few valid commands. Every connection must end with an error or a close in
// bounded time (a connection left waiting for the rest of a frame is closed
// by the server when the client half-closes); the process never crashes or
// stops answering; the data written before is intact.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import fc from "fast-check";
import { createConnection } from "node:net";
import { startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";
import { RespClient } from "../helpers/resp-client.ts";
import { text } from "../../runtime/bytes.ts";

let server: RunningTrireme;
beforeAll(async () => { server = await startTrireme(); });
afterAll(async () => { await server.stop(); });

/** How long a case may take: the server must have answered or closed by then. */
const CASE_MS_MAX = 3_000;
/** Quiet time after which the client half-closes (the server may be waiting for more of a frame). */
const QUIET_MS = 150;
const KEPT_KEYS = 200;

interface Outcome {
  data: string;
  closedByServer: boolean;
  ms: number;
}

/** Sends the bytes in the given pieces; returns what came back and how the connection ended. */
function attack(pieces: Uint8Array[], port = server.port): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let data = "";
    let halfClosed = false;
    let quiet: ReturnType<typeof setTimeout> | undefined;
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no error and no close within ${CASE_MS_MAX} ms; got ${JSON.stringify(data.slice(0, 200))}`));
    }, CASE_MS_MAX);
    const armQuiet = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => { halfClosed = true; socket.end(); }, QUIET_MS);
    };
    socket.on("data", (d) => { data += d.toString("latin1"); armQuiet(); });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(deadline);
      clearTimeout(quiet);
      resolve({ data, closedByServer: !halfClosed, ms: Date.now() - started });
    });
    socket.on("connect", async () => {
      for (const piece of pieces) {
        if (socket.destroyed) break;
        socket.write(piece);
        await new Promise((r) => setImmediate(r));
      }
      armQuiet();
    });
  });
}

const bytes = (s: string) => Buffer.from(s, "latin1");
const crlf = (...lines: string[]) => lines.map((l) => l + "\r\n").join("");

/** A valid command touching only fuzz: keys, so that the kept: keys must survive everything. */
const validCommand = fc.oneof(
  fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 })).map(([k, v]) =>
    crlf("*3", "$3", "SET", `$${Buffer.byteLength(`fuzz:${k}`)}`, `fuzz:${k}`, `$${Buffer.byteLength(v)}`, v)),
  fc.constant(crlf("*1", "$4", "PING")),
  fc.constant("PING\r\n"),
  fc.string({ maxLength: 10 }).map((k) => `GET fuzz:${k.replace(/[\s"']/g, "")}\r\n`),
);

const malformed: fc.Arbitrary<string> = fc.oneof(
  // bad multibulk and bulk lengths
  fc.constantFrom("*abc", "*-5", "*1x", "*", "*+1", "*99999999999999999999", "*2147483648", "* 1").map((l) => l + "\r\n$4\r\nPING\r\n"),
  fc.constantFrom("$abc", "$-1", "$-2", "$", "$1x", "$99999999999999999999", "$ 4", "$4.0").map((l) => "*1\r\n" + l + "\r\nPING\r\n"),
  // huge declared bulks and multibulks: refused at once, or waited for
  fc.constantFrom("$536870913", "$1099511627776", "$536870912", "$100000000").map((l) => `*2\r\n$3\r\nGET\r\n${l}\r\n`),
  fc.constantFrom("*2147483647", "*1048577", "*100000000").map((l) => l + "\r\n"),
  // wrong prefixes inside a multibulk
  fc.constantFrom("+PING", ":1", "-ERR", "%1", "~1", ">1", "_", "#t", ",1.5", "(1", "=5", "|1", "!3").map((l) => `*1\r\n${l}\r\n`),
  // bulk with the wrong length for its data
  fc.constantFrom("*1\r\n$4\r\nPINGPONG\r\n", "*1\r\n$4\r\nPI\r\n\r\n\r\n", "*1\r\n$0\r\nX\r\n"),
  // deep nesting
  fc.integer({ min: 2, max: 5000 }).map((depth) => "*1\r\n".repeat(depth) + "$4\r\nPING\r\n"),
  // unbalanced quotes and odd inline lines
  fc.constantFrom('SET a "unterminated\r\n', "SET a 'x\r\n", 'GET "a"b\r\n', "\x00\x01\x02\r\n", "\r\n\r\n\r\n", "\n\n"),
  // inline line beyond 64 KB with no newline
  fc.integer({ min: 64 * 1024 + 1, max: 200 * 1024 }).map((n) => "GET " + "x".repeat(n)),
  // random bytes
  fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((b) => Buffer.from(b).toString("latin1")),
  // a valid frame cut short
  fc.tuple(validCommand, fc.nat()).map(([c, at]) => c.slice(0, 1 + (at % Math.max(1, c.length - 1)))),
);

/** A case: some valid commands, then the bad input, sent in random pieces. */
const attackCase = fc.tuple(fc.array(validCommand, { maxLength: 3 }), malformed, fc.array(fc.nat(), { maxLength: 4 }))
  .map(([prefix, bad, cuts]) => {
    const all = bytes(prefix.join("") + bad);
    const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
    const pieces: Uint8Array[] = [];
    let from = 0;
    for (const p of points) {
      pieces.push(all.subarray(from, p));
      from = p;
    }
    pieces.push(all.subarray(from));
    return { description: JSON.stringify((prefix.join("") + bad).slice(0, 120)), pieces: pieces.filter((p) => p.length > 0) };
  });

async function assertAlive(): Promise<void> {
  expect(server.process.exitCode, server.output()).toBeNull();
  const client = await RespClient.connect(server.port);
  try {
    const reply = await Promise.race([
      client.send("PING"),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("PING not answered within 2 s")), 2_000)),
    ]);
    expect(text(reply.bytes)).toBe("+PONG\r\n");
  } finally {
    client.close();
  }
}

describe("fuzzing the RESP server with malformed and oversized input", () => {
  it("answers with an error or closes every bad connection, stays up, and keeps the data", async () => {
    const writer = await RespClient.connect(server.port);
    const kept: string[][] = [];
    for (let i = 0; i < KEPT_KEYS; i++) kept.push(["SET", `kept:${i}`, `value-${i}-${"v".repeat(i % 37)}`]);
    await writer.pipeline(kept);
    await writer.send("RPUSH", "kept:list", "a", "b", "c");
    writer.close();

    const CONCURRENCY = 8;
    await fc.assert(
      fc.asyncProperty(fc.array(attackCase, { minLength: CONCURRENCY, maxLength: CONCURRENCY }), async (cases) => {
        const outcomes = await Promise.all(cases.map((c) => attack(c.pieces).then(
          (o) => ({ ...o, description: c.description }),
          (e: Error) => { throw new Error(`${c.description}: ${e.message}`); },
        )));
        for (const o of outcomes) {
          // A protocol error is followed by the server closing the connection.
          if (o.data.includes("-ERR Protocol error")) expect(o.closedByServer, o.description).toBe(true);
          expect(o.ms, o.description).toBeLessThan(CASE_MS_MAX);
        }
        await assertAlive();
      }),
      { numRuns: 25 },
    );

    const reader = await RespClient.connect(server.port);
    const replies = await reader.pipeline(kept.map(([, key]) => ["GET", key!]));
    expect(replies.map((r) => text(r.bytes))).toEqual(kept.map(([, , v]) => `$${v!.length}\r\n${v}\r\n`));
    expect(text((await reader.send("LRANGE", "kept:list", "0", "-1")).bytes)).toBe("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    reader.close();
  });

  it("gives redis-server's error for each kind of bad frame, then closes like it", async () => {
    const inputs = [
      "*1\r\n$abc\r\n", "*abc\r\n", "*1\r\n+PING\r\n", "*1\r\n*1\r\n*1\r\n$4\r\nPING\r\n", "*2\r\n$3\r\nGET\r\n$1099511627776\r\n",
      "*2\r\n$3\r\nGET\r\n$536870913\r\n", "*1\r\n$-2\r\n", "*2147483648\r\n", "*1\r\n$4\r\nPINGPONG\r\n",
      "GET " + "x".repeat(70 * 1024), 'SET a "unterminated\r\n', "PING\r\n*1\r\n:1\r\nPING\r\n",
    ];
    for (const input of inputs) {
      const [expected, actual] = await Promise.all([attack([bytes(input)], inject("oraclePort")), attack([bytes(input)])]);
      const shown = JSON.stringify(input.slice(0, 60));
      expect(actual.data, shown).toBe(expected.data);
      expect(actual.closedByServer, shown).toBe(expected.closedByServer);
    }
    await assertAlive();
  });

  it("waits for a declared 100 MB bulk that never comes without holding the server up", async () => {
    const pending = attack([bytes("*2\r\n$3\r\nSET\r\n$100000000\r\n"), bytes("x".repeat(1000))]);
    await assertAlive();
    const o = await pending;
    expect(o.data).toBe("");
  });
});
