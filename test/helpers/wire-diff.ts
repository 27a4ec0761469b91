// Differential testing over the wire: the same commands, on matching
// connections, to the Trireme server and to redis-server; each reply's bytes
// must be equal. Several connections per side model several clients.
import { expect } from "vitest";
import { RespClient } from "./resp-client.ts";
import { text, type Arg } from "../../runtime/bytes.ts";

export class WirePair {
  readonly trireme: RespClient;
  readonly redis: RespClient;

  private constructor(trireme: RespClient, redis: RespClient) {
    this.trireme = trireme;
    this.redis = redis;
  }

  static async open(triremePort: number, redisPort: number): Promise<WirePair> {
    return new WirePair(await RespClient.connect(triremePort), await RespClient.connect(redisPort));
  }

  /** Sends one command to both sides and asserts the replies are the same bytes. */
  async run(...args: Arg[]): Promise<string> {
    const [expected, actual] = await Promise.all([this.redis.send(...args), this.trireme.send(...args)]);
    expect(text(actual.bytes), `reply to ${args.map(String).join(" ")}`).toBe(text(expected.bytes));
    return text(expected.bytes);
  }

  /** Waits for the next unsolicited reply (a pub/sub message) on both sides and compares them. */
  async nextPush(): Promise<string> {
    const [expected, actual] = await Promise.all([this.redis.next(), this.trireme.next()]);
    expect(text(actual.bytes), "pushed message").toBe(text(expected.bytes));
    return text(expected.bytes);
  }

  close(): void {
    this.trireme.close();
    this.redis.close();
  }
}
