// The differential suite over the wire: random command sequences from every
// family (test/helpers/command-generators.ts) go to the Trireme server
// process and to redis-server side by side over TCP, one command at a time
// or pipelined in one write, and every reply must be the same bytes — in
// RESP2, and in RESP3 after HELLO 3 on both (HELLO's own reply differs: it
// carries the connection id).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";
import { startRedis, type RunningRedis } from "../helpers/redis-server.ts";
import { RespClient } from "../helpers/resp-client.ts";
import { commandSequence, type Command } from "../helpers/command-generators.ts";
import { text } from "../../runtime/bytes.ts";

// FLUSHALL between runs: this file has its own oracle so that it cannot
// disturb the files that share the project's.
let server: RunningTrireme;
let oracle: RunningRedis;
beforeAll(async () => {
  [server, oracle] = await Promise.all([startTrireme(), startRedis(20000 + Math.floor(Math.random() * 12000))]);
});
afterAll(async () => { await Promise.all([server.stop(), oracle.stop()]); });

const show = (c: Command) => c.map((a) => JSON.stringify(a)).join(" ");

class Sides {
  readonly history: string[] = [];
  private readonly trireme: RespClient;
  private readonly redis: RespClient;

  private constructor(trireme: RespClient, redis: RespClient) {
    this.trireme = trireme;
    this.redis = redis;
  }

  static async open(protocol: 2 | 3): Promise<Sides> {
    const sides = new Sides(await RespClient.connect(server.port), await RespClient.connect(oracle.port));
    if (protocol === 3) {
      const [t, r] = await Promise.all([sides.trireme.send("HELLO", "3"), sides.redis.send("HELLO", "3")]);
      expect(t.value.type).toBe(r.value.type);
    }
    return sides;
  }

  private check(command: Command, expected: Uint8Array, actual: Uint8Array): void {
    this.history.push(show(command));
    if (Buffer.from(actual).equals(Buffer.from(expected))) return;
    throw new Error(
      `reply differs for ${show(command)}\n  redis:   ${JSON.stringify(text(expected))}\n  trireme: ${JSON.stringify(text(actual))}\n` +
      `history:\n  ${this.history.slice(-30).join("\n  ")}`,
    );
  }

  async one(command: Command): Promise<void> {
    const [expected, actual] = await Promise.all([this.redis.send(...command), this.trireme.send(...command)]);
    this.check(command, expected.bytes, actual.bytes);
  }

  async pipelined(commands: Command[]): Promise<void> {
    const [expected, actual] = await Promise.all([this.redis.pipeline(commands), this.trireme.pipeline(commands)]);
    commands.forEach((c, i) => this.check(c, expected[i]!.bytes, actual[i]!.bytes));
  }

  async reset(): Promise<void> {
    this.history.length = 0;
    await this.one(["FLUSHALL"]);
    await this.one(["SELECT", "0"]);
  }

  close(): void {
    this.trireme.close();
    this.redis.close();
  }
}

describe.each([2, 3] as const)("random sequences of every family over the wire, RESP%i", (protocol) => {
  it("replies the same bytes as redis-server, command by command", async () => {
    const sides = await Sides.open(protocol);
    try {
      await fc.assert(
        fc.asyncProperty(commandSequence(30), async (commands) => {
          await sides.reset();
          for (const c of commands) await sides.one(c);
        }),
        { numRuns: 150 },
      );
    } finally {
      sides.close();
    }
  });

  it("replies the same bytes as redis-server to whole sequences pipelined in one write", async () => {
    const sides = await Sides.open(protocol);
    try {
      await fc.assert(
        fc.asyncProperty(commandSequence(60), async (commands) => {
          await sides.reset();
          await sides.pipelined(commands);
        }),
        { numRuns: 100 },
      );
    } finally {
      sides.close();
    }
  });
});
