// RESP3 shapes of the hash and set replies (maps, sets, nested pairs), against
// a RESP3 connection to redis-server. One-element collections make the
// replies deterministic, so they are compared byte for byte.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RespClient } from "../helpers/resp-client.ts";
import { startPrivateRedis, type RunningRedis } from "../helpers/redis-server.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { Engine } from "../../runtime/engine.ts";
import { encodeReply } from "../../runtime/resp.ts";
import { text, toBytes } from "../../runtime/bytes.ts";

let oracle: RunningRedis;
let redis: RespClient;
beforeAll(async () => {
  oracle = await startPrivateRedis();
  redis = await RespClient.connect(oracle.port);
  await redis.send("HELLO", "3");
  await redis.send("SELECT", "9");
  await redis.send("FLUSHDB");
});
afterAll(async () => {
  redis.close();
  await oracle.stop();
});

describe("RESP3 replies of hashes and sets", () => {
  it("match redis-server byte for byte", async () => {
    const engine = await Engine.create(coreModule());
    const session = engine.newSession();
    session.protocol = 3;
    session.db = 9;
    const commands = [
      ["HSET", "h", "f", "v"],
      ["SADD", "s", "m"],
      ["HGETALL", "h"],
      ["HGETALL", "nokey"],
      ["HKEYS", "h"],
      ["HKEYS", "nokey"],
      ["HVALS", "h"],
      ["HMGET", "h", "f", "x"],
      ["HGET", "h", "x"],
      ["HEXISTS", "h", "f"],
      ["HRANDFIELD", "h"],
      ["HRANDFIELD", "nokey"],
      ["HRANDFIELD", "h", "3"],
      ["HRANDFIELD", "h", "3", "WITHVALUES"],
      ["HRANDFIELD", "h", "-2", "WITHVALUES"],
      ["HRANDFIELD", "nokey", "3", "WITHVALUES"],
      ["HINCRBYFLOAT", "h", "n", "1.5"],
      ["HDEL", "h", "n"],
      ["HSCAN", "h", "0"],
      ["HSCAN", "nokey", "0"],
      ["SMEMBERS", "s"],
      ["SMEMBERS", "nokey"],
      ["SISMEMBER", "s", "m"],
      ["SMISMEMBER", "s", "m", "x"],
      ["SINTER", "s", "s"],
      ["SINTER", "s", "nokey"],
      ["SUNION", "s", "nokey"],
      ["SDIFF", "s", "nokey"],
      ["SINTERCARD", "1", "s"],
      ["SRANDMEMBER", "s"],
      ["SRANDMEMBER", "nokey"],
      ["SRANDMEMBER", "s", "5"],
      ["SRANDMEMBER", "s", "-2"],
      ["SRANDMEMBER", "nokey", "5"],
      ["SSCAN", "s", "0"],
      ["SPOP", "nokey"],
      ["SPOP", "nokey", "2"],
      ["SPOP", "s", "0"],
      ["SPOP", "s", "5"],
      ["SADD", "s", "m"],
      ["SPOP", "s"],
    ];
    for (const args of commands) {
      const expected = text((await redis.send(...args)).bytes);
      const actual = text(encodeReply(engine.execute(session, args.map(toBytes)), 3));
      expect({ args, reply: actual }).toEqual({ args, reply: expected });
    }
  });
});
