// Security over the wire: requirepass, AUTH/HELLO, ACL users and their
// permissions, ACL LOG, the ACL file, protected mode — compared byte for
// byte with a real redis-server configured the same way, plus real clients
// (ioredis, node-redis, redis-cli) logging in with passwords and users.
//
// This file starts its own redis-server (with an ACL file) rather than using
// the shared oracle: setting the default user's password on the shared one
// would lock out the other test files running at the same time.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection } from "node:net";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { startTrireme, type RunningTrireme } from "../helpers/trireme-server.ts";
import { startRedis, type RunningRedis } from "../helpers/redis-server.ts";
import { RespClient } from "../helpers/resp-client.ts";
import { text, type Arg } from "../../runtime/bytes.ts";
import { encodeCommand } from "../../runtime/resp.ts";
import { toBytes } from "../../runtime/bytes.ts";
import { sha256Hex } from "../../runtime/sha256.ts";
import { PROTECTED_MODE_DENIED } from "../../server/protected-mode.ts";

const run = promisify(execFile);
const DEFAULT_USER_LINE = "user default on nopass ~* &* +@all\n";

let dir: string;
let redis: RunningRedis;
let trireme: RunningTrireme;
const redisAcl = () => join(dir, "redis.acl");
const triremeAcl = () => join(dir, "trireme.acl");
const open: RespClient[] = [];
/** Opened while the default user had no password, so it stays logged in whatever the tests do. */
let keeper: { r: RespClient; t: RespClient };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trireme-acl-"));
  writeFileSync(redisAcl(), DEFAULT_USER_LINE);
  writeFileSync(triremeAcl(), DEFAULT_USER_LINE);
  [redis, trireme] = await Promise.all([
    startRedis(20000 + Math.floor(Math.random() * 20000), ["--aclfile", redisAcl()]),
    startTrireme(["--aclfile", triremeAcl(), "--http-port", "0"]),
  ]);
  const [r, t] = await Promise.all([RespClient.connect(redis.port), RespClient.connect(trireme.port)]);
  keeper = { r, t };
});

afterAll(async () => {
  keeper?.r.close();
  keeper?.t.close();
  await Promise.all([redis?.stop(), trireme?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** A connection to each server; commands go to both and their replies are compared. */
class Pair {
  readonly r: RespClient;
  readonly t: RespClient;

  constructor(r: RespClient, t: RespClient) {
    this.r = r;
    this.t = t;
  }

  static async open(): Promise<Pair> {
    const [r, t] = await Promise.all([RespClient.connect(redis.port), RespClient.connect(trireme.port)]);
    open.push(r, t);
    return new Pair(r, t);
  }

  /** Both replies, as text, after `normalize`. */
  async both(args: Arg[], normalize: (s: string) => string = (s) => s): Promise<[string, string]> {
    const [r, t] = await Promise.all([this.r.send(...args), this.t.send(...args)]);
    return [normalize(text(r.bytes)), normalize(text(t.bytes))];
  }

  /** Sends to both and asserts equal replies; returns redis-server's. */
  async run(...args: Arg[]): Promise<string> {
    return this.check(args, (s) => s);
  }

  async check(args: Arg[], normalize: (s: string) => string): Promise<string> {
    const [expected, actual] = await this.both(args, normalize);
    expect(actual, `reply to ${args.map(String).join(" ")}`).toBe(expected);
    return expected;
  }
}

/** ACL LOG entries as both servers can agree on them: without their age and client description. */
const withoutAgeAndClient = (s: string) => s
  .replace(/age-seconds\r\n(?:\$\d+\r\n|,)[^\r]*\r\n/g, "age-seconds\r\nAGE\r\n")
  .replace(/client-info\r\n\$\d+\r\n[^\r]*\r\n/g, "client-info\r\nINFO\r\n");

/** HELLO's reply carries the connection id, which differs between the servers. */
const maskId = (s: string) => s.replace(/\$2\r\nid\r\n:\d+\r\n/, "$2\r\nid\r\n:ID\r\n").replace(/id=\d+/g, "id=ID");

/**
 * Redis describes single-command rules in the order of its command dict,
 * which is seeded at random per process: sort each run of single-command
 * rules (+get +set ...) so that only the order differs, never the rules.
 */
function sortCommandRules(s: string): string {
  return s.replace(/(?:[+-][a-z][a-z|0-9]*)(?: [+-][a-z][a-z|0-9]*)*/g, (run) => run.split(" ").sort().join(" "));
}

async function adminCleanup(): Promise<void> {
  for (const c of [keeper.r, keeper.t]) {
    await c.send("ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all");
    const users = (await c.send("ACL", "USERS")).value;
    const names = users.type === "array" ? (users.value ?? []).map((u) => (u.type === "bulk" && u.value !== null ? text(u.value) : "")) : [];
    const others = names.filter((n) => n !== "default");
    if (others.length > 0) await c.send("ACL", "DELUSER", ...others);
    await c.send("ACL", "LOG", "RESET");
    await c.send("FLUSHALL");
  }
}

afterEach(async () => {
  await adminCleanup();
  for (const c of open.splice(0)) c.close();
});

/** Everything a raw connection receives until the server closes it (or a timeout). */
function untilClosed(port: number, send: Uint8Array, host = "127.0.0.1", timeoutMs = 2000): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let received = "";
    const timer = setTimeout(() => { socket.destroy(); resolve({ received, closed: false }); }, timeoutMs);
    socket.on("data", (d: Buffer) => { received += d.toString("latin1"); });
    // A reset (the server closed with our request unread) is a close too.
    socket.on("error", (e: NodeJS.ErrnoException) => { if (e.code !== "ECONNRESET" && e.code !== "EPIPE") reject(e); });
    socket.on("close", () => { clearTimeout(timer); resolve({ received, closed: true }); });
    socket.on("connect", () => { if (send.length > 0) socket.write(send); });
  });
}

/** Resolves when a RespClient's socket is closed by the server. */
function closedByServer(c: RespClient): Promise<boolean> {
  const socket = (c as unknown as { socket: import("node:net").Socket }).socket;
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve(true);
    const timer = setTimeout(() => resolve(false), 2000);
    socket.once("close", () => { clearTimeout(timer); resolve(true); });
  });
}

describe("AUTH and HELLO", () => {
  it("answer like Redis when the default user has no password", async () => {
    const p = await Pair.open();
    for (const c of [["AUTH", "x"], ["AUTH", "a", "b"], ["AUTH", "a", "b", "c"], ["AUTH"], ["auth", "default", "anything"],
      ["HELLO", "4"], ["HELLO", "x"], ["HELLO", "3", "AUTH"], ["HELLO", "3", "AUTH", "a"], ["HELLO", "2", "FOO"],
      ["HELLO", "3", "SETNAME", "a b"], ["ACL", "WHOAMI"]]) await p.check(c, maskId);
    await p.check(["ACL", "LOG"], withoutAgeAndClient);
    // nopass: any password logs in as the default user.
    await p.check(["HELLO", "3", "AUTH", "default", "wrong"], maskId);
    await p.check(["HELLO", "2", "SETNAME", "conn-1"], maskId);
    await p.run("CLIENT", "GETNAME");
    await p.check(["HELLO"], maskId);
  });

  it("require a login for everything but AUTH, HELLO, QUIT and RESET once the default user has a password", async () => {
    const admin = await Pair.open();
    await admin.run("ACL", "SETUSER", "default", "resetpass", ">secret");
    const p = await Pair.open();
    for (const c of [["NOSUCH"], ["GET"], ["GET", "x"], ["PING"], ["MULTI"], ["INFO"], ["CLIENT", "LIST"], ["ACL", "WHOAMI"],
      ["ACL", "NOSUCH"], ["SUBSCRIBE", "ch"], ["HELLO"], ["HELLO", "3"], ["HELLO", "2", "SETNAME", "x"], ["HELLO", "4"],
      ["AUTH"], ["AUTH", "a", "b", "c"], ["AUTH", "wrong"], ["AUTH", "default", "wrong"], ["PING"]]) await p.check(c, maskId);
    // Before logging in, a request may have at most 10 arguments of at most 16 KiB; more is a protocol error.
    for (const request of [
      encodeCommand(Array.from({ length: 11 }, (_, i) => toBytes(i === 0 ? "ECHO" : "x"))),
      encodeCommand([toBytes("ECHO"), new Uint8Array(16385)]),
    ]) {
      const [r, t] = await Promise.all([untilClosed(redis.port, request), untilClosed(trireme.port, request)]);
      expect(t).toEqual(r);
      expect(r.received).toMatch(/^-ERR Protocol error: unauthenticated (multibulk|bulk) length\r\n$/);
      expect(r.closed).toBe(true);
    }
    await p.run("AUTH", "secret");
    await p.run("ECHO", "y".repeat(20000));
    await p.run("MSET", ...Array.from({ length: 12 }, (_, i) => `k${i}`));
    await p.run("PING");
    await p.run("ACL", "WHOAMI");
    // A failed AUTH keeps the login the connection has.
    await p.run("AUTH", "default", "wrong");
    await p.check(["HELLO", "3", "AUTH", "default", "wrong"], maskId);
    await p.run("PING");
    await p.run("RESET");
    await p.run("PING");
    // HELLO AUTH logs in even when SETNAME then fails, and the protocol stays as it was.
    await p.run("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "a b");
    await p.run("CLIENT", "GETNAME");
    await p.check(["HELLO", "3", "AUTH", "default", "secret", "SETNAME", "me"], maskId);
    await p.run("CLIENT", "GETNAME");
    await p.run("GET", "x");
    // A connection opened while there was no password stays logged in.
    await admin.run("PING");
    // Failed logins are in the ACL log (client-info differs: compared without it).
    expect(await p.check(["ACL", "LOG"], withoutAgeAndClient)).toContain("auth");
  });

  it("are refused when the user is off, and a connection that authenticated stays in", async () => {
    const admin = await Pair.open();
    await admin.run("ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*");
    const p = await Pair.open();
    await p.run("AUTH", "u", "pw");
    await p.run("ACL", "WHOAMI");
    await admin.run("ACL", "SETUSER", "u", "off");
    await p.run("PING");
    const q = await Pair.open();
    await q.run("AUTH", "u", "pw");
    await q.run("ACL", "WHOAMI");
  });
});

describe("ACL SETUSER, GETUSER, LIST, USERS", () => {
  it("apply rules and show users the way Redis describes them", async () => {
    const p = await Pair.open();
    const setups: string[][] = [
      ["alice", "on", ">pw", "~k*", "%R~r*", "&ch*", "+get", "+@hyperloglog"],
      ["bob"], ["bob", "reset"],
      ["carol", "on", "nopass", "+@all", "-@dangerous", "allkeys"],
      ["dave", "on", "nopass", "+select|0", "+acl|whoami", "(~x* +get)", "(%W~w*", "+set", "+get)"],
      ["f", "%RW~x", "%R~y", "%W~y", "~z", "%R~z", "%WR~w", "%R~", "%R", "~", "&"],
      ["g", ">a", ">b", ">a", `#${sha256Hex(toBytes("c"))}`, `!${sha256Hex(toBytes("c"))}`, "<b"],
      ["h", "+@all", "-get", "+@read"],
      ["j", "allcommands", "nocommands", "+@ALL", "-@Read"],
      ["k", "ON", ">x", "OFF", "NOPASS", "skip-sanitize-payload"],
      ["m", "on", "nopass", "+@all", "-@write", "~app:*", "resetkeys", "~other:*", "allchannels", "resetchannels", "&news.*"],
    ];
    for (const rules of setups) await p.run("ACL", "SETUSER", ...rules);
    await p.check(["ACL", "LIST"], sortCommandRules);
    await p.run("ACL", "USERS");
    for (const name of ["default", "alice", "bob", "carol", "dave", "f", "g", "h", "j", "k", "m", "nosuch"]) {
      await p.check(["ACL", "GETUSER", name], sortCommandRules);
    }
    await p.check(["HELLO", "3"], maskId);
    await p.check(["ACL", "GETUSER", "dave"], sortCommandRules);
  });

  it("refuse bad rules with Redis's errors, changing nothing", async () => {
    const p = await Pair.open();
    await p.run("ACL", "SETUSER", "e", "on", "~x");
    for (const rule of ["+acl|whoami|x", "+get|x|y", "+get|", "+nosuch", "-get|x", "-nosuch", "+@nosuch", "-@", "&x y",
      "<nope", "!nope", "#abc", `#${"A".repeat(64)}`, "bad", "%X~x", "%~x", "%RR~x", "~a b", "( ~x", "(+nosuch)", "(on)"]) {
      await p.run("ACL", "SETUSER", "e", "+get", rule);
    }
    await p.run("ACL", "SETUSER", "e2", "allkeys", "~x");
    await p.run("ACL", "SETUSER", "e2", "allchannels", "&x");
    await p.run("ACL", "SETUSER", "e2", "(~x");
    await p.run("ACL", "SETUSER", "e2", "on", "(~x", "y");
    await p.run("ACL", "SETUSER", "a b");
    await p.run("ACL", "SETUSER");
    await p.run("ACL", "GETUSER", "e");
    await p.run("ACL", "GETUSER", "e2");
    await p.run("ACL", "USERS");
  });

  it("DELUSER, WHOAMI, CAT, GENPASS, DRYRUN, HELP", async () => {
    const p = await Pair.open();
    await p.run("ACL", "SETUSER", "alice", "on", ">pw", "~k*", "%R~r*", "&ch*", "+get", "+set", "+publish", "+@hyperloglog");
    for (const c of [
      ["ACL", "DELUSER", "default"], ["ACL", "DELUSER", "x", "default"], ["ACL", "DELUSER", "nosuch"], ["ACL", "DELUSER"],
      ["ACL", "WHOAMI"], ["ACL", "WHOAMI", "x"], ["ACL", "CAT"], ["ACL", "CAT", "nosuch"], ["ACL", "CAT", "a", "b"],
      ["ACL", "GENPASS", "0"], ["ACL", "GENPASS", "4097"], ["ACL", "GENPASS", "x"], ["ACL", "GENPASS", "1", "2"],
      ["ACL", "DRYRUN", "alice", "get", "x"], ["ACL", "DRYRUN", "alice", "get", "kx"], ["ACL", "DRYRUN", "alice", "set", "rx", "1"],
      ["ACL", "DRYRUN", "alice", "get", "rx"], ["ACL", "DRYRUN", "alice", "lpush", "k", "1"], ["ACL", "DRYRUN", "alice", "publish", "x", "m"],
      ["ACL", "DRYRUN", "alice", "publish", "ch1", "m"], ["ACL", "DRYRUN", "alice", "pfadd", "k1", "a"], ["ACL", "DRYRUN", "alice", "pfadd", "x", "a"],
      ["ACL", "DRYRUN", "nosuch", "get", "x"], ["ACL", "DRYRUN", "alice", "nosuch"], ["ACL", "DRYRUN", "alice", "get"],
      ["ACL", "DRYRUN", "alice", "acl"], ["ACL", "DRYRUN", "alice", "acl", "nosub"], ["ACL", "DRYRUN", "alice", "acl", "whoami"],
      ["ACL", "DRYRUN", "default", "acl", "whoami"], ["ACL", "HELP"], ["ACL"], ["ACL", "NOSUCH"], ["ACL", "LOG", "x"], ["ACL", "LOG", "-1"],
      ["ACL", "LOG", "1", "2"], ["ACL", "LOG", "RESET"],
    ]) await p.run(...c);
    // Categories list the same commands; Redis's order is its dict's.
    for (const category of ["hyperloglog", "list", "pubsub", "transaction", "connection", "admin", "keyspace"]) {
      const [r, t] = await p.both(["ACL", "CAT", category], (s) => s.split("\r\n").slice(1).join("\n"));
      const names = (s: string) => s.split("\n").filter((l) => !l.startsWith("$") && l !== "").sort();
      // Redis has commands Trireme does not have yet; every one Trireme lists must be in Redis's list.
      for (const name of names(t)) expect(names(r), `${name} in @${category}`).toContain(name);
    }
    const [r, t] = await p.both(["ACL", "CAT", "hyperloglog"]);
    expect(t.split("\r\n").filter((l) => l.startsWith("pf")).sort()).toEqual(r.split("\r\n").filter((l) => l.startsWith("pf") && l !== "pfselftest").sort());
    for (const [args, length] of [[[], 64], [["1"], 1], [["5"], 2], [["256"], 64], [["4096"], 1024]] as const) {
      const reply = await p.t.send("ACL", "GENPASS", ...args);
      const value = reply.value.type === "bulk" && reply.value.value !== null ? text(reply.value.value) : "";
      expect(value).toMatch(new RegExp(`^[0-9a-f]{${length}}$`));
    }
    const one = await p.t.send("ACL", "GENPASS");
    const two = await p.t.send("ACL", "GENPASS");
    expect(text(one.bytes)).not.toBe(text(two.bytes));
    await p.run("ACL", "DELUSER", "alice", "alice", "nosuch");
    await p.run("ACL", "USERS");
  });
});

describe("permissions", () => {
  it("refuse commands, keys and channels with Redis's NOPERM texts", async () => {
    const admin = await Pair.open();
    await admin.run("ACL", "SETUSER", "alice", "on", ">pw", "~k*", "%R~r*", "%W~w*", "&ch*", "+get", "+set", "+publish",
      "+subscribe", "+psubscribe", "+@list", "-lpop", "+ping", "+multi", "+exec", "+discard", "+rename", "+object|encoding",
      "+select|0", "+acl|whoami");
    await admin.run("SET", "rkey", "v");
    const p = await Pair.open();
    await p.run("AUTH", "alice", "pw");
    for (const c of [
      ["GET", "x"], ["GET", "kx"], ["SET", "kx", "1"], ["GET", "kx"], ["GET", "rkey"], ["SET", "rkey", "1"], ["SET", "wkey", "1"],
      ["GET", "wkey"], ["SET", "wkey", "2", "GET"], ["SET", "k", "1", "GET"], ["RENAME", "kx", "wdest"], ["RENAME", "rkey", "kdest"],
      ["LPUSH", "klist", "a", "b"], ["LPOP", "klist"], ["RPOP", "klist"], ["LMOVE", "klist", "x", "LEFT", "LEFT"], ["LMOVE", "klist", "klist2", "LEFT", "LEFT"],
      ["DEL", "kx"], ["OBJECT", "ENCODING", "kx"], ["OBJECT", "FREQ", "kx"], ["SELECT", "0"], ["SELECT", "1"],
      ["ACL", "WHOAMI"], ["ACL", "LIST"], ["PUBLISH", "news", "m"], ["PUBLISH", "ch1", "m"], ["PSUBSCRIBE", "ch*x"], ["PSUBSCRIBE", "ch*"],
      ["PING"],
    ]) await p.run(...c);
    const q = await Pair.open();
    await q.run("AUTH", "alice", "pw");
    await q.run("SUBSCRIBE", "ch1", "news", "ch2");
    await q.run("SUBSCRIBE", "ch1", "ch2");
  });

  it("abort a transaction that queued a refused command, and check queued commands again at EXEC", async () => {
    const admin = await Pair.open();
    await admin.run("ACL", "SETUSER", "bob", "on", ">pw", "~*", "&*", "+@all", "-flushall");
    const p = await Pair.open();
    await p.run("AUTH", "bob", "pw");
    for (const c of [["MULTI"], ["SET", "a", "1"], ["FLUSHALL"], ["EXEC"], ["GET", "a"]]) await p.run(...c);
    for (const c of [["MULTI"], ["SET", "a", "1"], ["INCR", "n"], ["GET", "secret"]]) await p.run(...c);
    await admin.run("ACL", "SETUSER", "bob", "-incr", "resetkeys", "~a", "~n");
    await p.run("EXEC");
    await admin.run("ACL", "SETUSER", "bob", "+incr", "resetkeys", "~a");
    for (const c of [["MULTI"], ["SET", "a", "2"], ["INCR", "n"]]) await p.run(...c);
    await admin.run("ACL", "SETUSER", "bob", "resetkeys", "~n");
    await p.run("EXEC");
    await p.run("GET", "n");
  });

  it("ACL LOG records refusals, groups repeats, and is reset", async () => {
    const admin = await Pair.open();
    await admin.run("ACL", "SETUSER", "carol", "on", ">pw", "~k*", "&ch*", "+get", "+publish", "+multi", "+exec");
    const p = await Pair.open();
    await p.run("AUTH", "carol", "pw");
    for (const c of [["GET", "x"], ["GET", "x"], ["LPUSH", "k", "1"], ["PUBLISH", "x", "m"], ["MULTI"], ["GET", "y"], ["EXEC"], ["AUTH", "carol", "bad"],
      ["auth", "nosuch", "bad"]]) await p.run(...c);
    const strip = withoutAgeAndClient;
    await admin.check(["ACL", "LOG"], strip);
    await admin.check(["ACL", "LOG", "2"], strip);
    await admin.check(["ACL", "LOG", "0"], strip);
    const [, t] = await admin.both(["ACL", "LOG", "1"]);
    expect(t).toMatch(/client-info\r\n\$\d+\r\nid=\d+ addr=127\.0\.0\.1:\d+/);
    await admin.run("ACL", "LOG", "RESET");
    await admin.run("ACL", "LOG");
    // RESP3 shapes: maps, and age-seconds as a double.
    await admin.check(["HELLO", "3"], maskId);
    await p.run("GET", "z");
    await admin.check(["ACL", "LOG"], strip);
  });

  it("disconnect the clients of a deleted user, and subscribers that lose their channels", async () => {
    const admin = await Pair.open();
    await admin.run("ACL", "SETUSER", "dan", "on", ">pw", "~*", "&*", "+@all");
    await admin.run("ACL", "SETUSER", "sub", "on", ">pw", "~*", "&ch*", "&news", "+@all");
    const victim = await Pair.open();
    await victim.run("AUTH", "dan", "pw");
    const self = await Pair.open();
    await self.run("AUTH", "dan", "pw");
    const listener = await Pair.open();
    await listener.run("AUTH", "sub", "pw");
    await listener.run("SUBSCRIBE", "ch1");
    const keeper = await Pair.open();
    await keeper.run("AUTH", "sub", "pw");
    await keeper.run("SUBSCRIBE", "news");
    // Deleting its own user: the reply is written, then the connection closes.
    await self.run("ACL", "DELUSER", "dan");
    expect(await Promise.all([closedByServer(self.r), closedByServer(self.t)])).toEqual([true, true]);
    expect(await Promise.all([closedByServer(victim.r), closedByServer(victim.t)])).toEqual([true, true]);
    await admin.run("ACL", "SETUSER", "sub", "resetchannels", "&news");
    expect(await Promise.all([closedByServer(listener.r), closedByServer(listener.t)])).toEqual([true, true]);
    await admin.run("PUBLISH", "news", "still here");
    await keeper.run("PING");
  });
});

describe("the ACL file", () => {
  it("ACL SAVE writes users as Redis does, ACL LOAD reads them back", async () => {
    const p = await Pair.open();
    await p.run("ACL", "SETUSER", "alice", "on", ">pw", "~k*", "%R~r*", "&ch*", "+@hyperloglog", "+get");
    await p.run("ACL", "SETUSER", "zed", "on", "nopass", "+@all", "-@dangerous", "~*", "(~x* +get)");
    await p.run("ACL", "SETUSER", "bob");
    await p.run("ACL", "SAVE");
    expect(readFileSync(triremeAcl(), "latin1")).toBe(readFileSync(redisAcl(), "latin1"));
    const logged = await Pair.open();
    await logged.run("AUTH", "alice", "pw");
    await p.run("ACL", "SETUSER", "extra", "on");
    await p.run("ACL", "LOAD");
    await p.run("ACL", "USERS");
    await p.run("ACL", "GETUSER", "alice");
    // LOAD replaced every user: connections of the old ones are closed.
    expect(await Promise.all([closedByServer(logged.r), closedByServer(logged.t)])).toEqual([true, true]);
    const again = await Pair.open();
    await again.run("AUTH", "alice", "pw");
    await again.run("ACL", "WHOAMI");
  });

  it("ACL LOAD of a broken file changes nothing and says why", async () => {
    const p = await Pair.open();
    await p.run("ACL", "SETUSER", "keep", "on", "nopass");
    const broken = [
      "user default on nopass ~* &* +@all",
      "",
      "  user spaced on nopass  ",
      "notuser x",
      "user",
      "user dup on",
      "user dup off",
      "user bad on +nosuch ~x %Q~y %Q~z -nosuch",
      "",
    ].join("\n");
    writeFileSync(redisAcl(), broken);
    writeFileSync(triremeAcl(), broken);
    const [r, t] = await p.both(["ACL", "LOAD"]);
    expect(t.replaceAll(triremeAcl(), "FILE")).toBe(r.replaceAll(redisAcl(), "FILE"));
    expect(r).toContain("no change to the previously active ACL rules");
    await p.run("ACL", "USERS");
    rmSync(redisAcl());
    rmSync(triremeAcl());
    const [r2, t2] = await p.both(["ACL", "LOAD"]);
    expect(t2.replaceAll(triremeAcl(), "FILE")).toBe(r2.replaceAll(redisAcl(), "FILE"));
    writeFileSync(redisAcl(), DEFAULT_USER_LINE);
    writeFileSync(triremeAcl(), DEFAULT_USER_LINE);
  });

  it("is loaded at start, and a broken one stops the server from starting", async () => {
    const good = join(dir, "start.acl");
    writeFileSync(good, `user ops on #${sha256Hex(toBytes("opspw"))} ~* &* +@all\nuser default on nopass ~* &* +@all\n`);
    const server = await startTrireme(["--aclfile", good, "--http-port", "0"]);
    try {
      const c = await RespClient.connect(server.port);
      expect(text((await c.send("AUTH", "ops", "opspw")).bytes)).toBe("+OK\r\n");
      expect(text((await c.send("ACL", "WHOAMI")).bytes)).toBe("$3\r\nops\r\n");
      c.close();
    } finally {
      await server.stop();
    }
    const bad = join(dir, "bad.acl");
    writeFileSync(bad, "user x on +nosuch\n");
    await expect(startTrireme(["--aclfile", bad, "--http-port", "0"])).rejects.toThrow(
      `Aborting Redis startup because of ACL errors: ${bad}:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. WARNING: ACL errors detected`);
    await expect(startTrireme(["--aclfile", join(dir, "missing.acl"), "--http-port", "0"])).rejects.toThrow(
      `Error loading ACLs, opening file '${join(dir, "missing.acl")}': No such file or directory`);
    await expect(startTrireme(["--aclfile", good, "--user", "x", "on", "--http-port", "0"])).rejects.toThrow(
      "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid");
  });

  it("ACL LOAD and SAVE without an ACL file", async () => {
    const server = await startTrireme(["--http-port", "0"]);
    try {
      const c = await RespClient.connect(server.port);
      // redis-server 7.0.15's text when it was started without --aclfile.
      for (const sub of ["LOAD", "SAVE"]) {
        expect(text((await c.send("ACL", sub)).bytes)).toBe(
          "-ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.\r\n");
      }
      c.close();
    } finally {
      await server.stop();
    }
  });
});

describe("real clients against a server started with --requirepass and --user", () => {
  let secured: RunningTrireme;
  beforeAll(async () => {
    secured = await startTrireme(["--requirepass", "s3cret", "--user", "app", "on", ">apppw", "~app:*", "+@all", "-@dangerous", "--http-port", "0"]);
  });
  afterAll(async () => { await secured.stop(); });

  it("ioredis logs in with a password, or a username and password", async () => {
    const asDefault = new Redis({ port: secured.port, password: "s3cret", lazyConnect: true });
    await asDefault.connect();
    expect(await asDefault.set("k", "v")).toBe("OK");
    expect(await asDefault.call("ACL", "WHOAMI")).toBe("default");
    asDefault.disconnect();
    const asApp = new Redis({ port: secured.port, username: "app", password: "apppw", lazyConnect: true });
    await asApp.connect();
    expect(await asApp.set("app:1", "x")).toBe("OK");
    await expect(asApp.get("other")).rejects.toThrow("NOPERM this user has no permissions to access one of the keys used as arguments");
    await expect(asApp.flushall()).rejects.toThrow("NOPERM this user has no permissions to run the 'flushall' command");
    asApp.disconnect();
    const wrong = new Redis({ port: secured.port, password: "nope", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    const errors: string[] = [];
    wrong.on("error", (e: Error) => errors.push(e.message));
    await wrong.connect().catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).toContain("WRONGPASS invalid username-password pair or user is disabled.");
    wrong.disconnect();
    // Without a password ioredis's first command is refused, as by redis-server: it reports NOAUTH and gives up.
    const none = new Redis({ port: secured.port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    const noneErrors: string[] = [];
    none.on("error", (e: Error) => noneErrors.push(e.message));
    await none.connect().then(() => none.get("k")).catch(() => {});
    expect(noneErrors.some((m) => m.startsWith("NOAUTH"))).toBe(true);
    none.disconnect();
  });

  it("node-redis logs in with HELLO/AUTH and its username", async () => {
    const client = createClient({ socket: { port: secured.port }, username: "app", password: "apppw" });
    await client.connect();
    expect(await client.sendCommand(["ACL", "WHOAMI"])).toBe("app");
    expect(await client.set("app:2", "y")).toBe("OK");
    await expect(client.get("nope")).rejects.toThrow("NOPERM");
    await client.quit();
    const resp3 = createClient({ socket: { port: secured.port }, password: "s3cret", RESP: 3 });
    await resp3.connect();
    expect(await resp3.get("k")).toBe("v");
    await resp3.quit();
    const bad = createClient({ socket: { port: secured.port, reconnectStrategy: false }, username: "app", password: "bad" });
    bad.on("error", () => {});
    await expect(bad.connect()).rejects.toThrow("WRONGPASS");
  });

  it("redis-cli logs in with -a and with --user/--pass", async () => {
    const port = String(secured.port);
    const env = { ...process.env, REDISCLI_AUTH: undefined };
    expect((await run("redis-cli", ["-p", port, "-a", "s3cret", "--no-auth-warning", "GET", "k"], { env })).stdout).toBe("v\n");
    expect((await run("redis-cli", ["-p", port, "--user", "app", "--pass", "apppw", "--no-auth-warning", "ACL", "WHOAMI"], { env })).stdout).toBe("app\n");
    const wrong = await run("redis-cli", ["-p", port, "-a", "nope", "--no-auth-warning", "PING"], { env }).catch((e: { stdout: string; stderr: string }) => e);
    expect(wrong.stdout + wrong.stderr).toContain("AUTH failed: WRONGPASS invalid username-password pair or user is disabled.");
    expect((await run("redis-cli", ["-p", port, "PING"], { env })).stdout.trim()).toBe("NOAUTH Authentication required.");
  });
});

describe("protected mode", () => {
  it("does not refuse loopback clients (IPv4 and IPv6) while the default user has no password", async () => {
    const server = await startTrireme(["--bind", "127.0.0.1", "::1", "--protected-mode", "yes", "--http-port", "0"]);
    try {
      for (const host of ["127.0.0.1", "::1"]) {
        const pingQuit = new Uint8Array([...encodeCommand([toBytes("PING")]), ...encodeCommand([toBytes("QUIT")])]);
        const { received } = await untilClosed(server.port, pingQuit, host);
        expect(received).toBe("+PONG\r\n+OK\r\n");
        expect(received).not.toContain(PROTECTED_MODE_DENIED.slice(0, 20));
      }
    } finally {
      await server.stop();
    }
  });
});
