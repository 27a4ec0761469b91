// Administrative commands: CONFIG, CLIENT, SLOWLOG, LATENCY, MEMORY, DEBUG,
// SHUTDOWN, MONITOR, TIME, LASTSAVE. Their state lives in the engine's Admin
// (runtime/admin/admin.ts); what only a host can do (close a socket, stop the
// process, rewrite the config file) goes through its AdminHost. Replies and
// errors are Redis 7.0's, including the order in which arguments are checked.

import type { CommandContext } from "../context.ts";
import { range, type CommandDef } from "./spec.ts";
import { ErrorReply, Errors, MapReply, NullArray, OK, SetReply, SimpleString, VerbatimReply, type Reply } from "../reply.ts";
import { ascii, lowerAscii, utf8 } from "../bytes.ts";
import { parseI64 } from "../numbers.ts";
import { adminOf, type Admin, type PauseMode, type ShutdownRequest } from "../admin/admin.ts";
import type { Client } from "../client.ts";

const LONG_MAX = 9223372036854775807n;

const helpReply = (lines: readonly string[]): Reply => lines.map((l) => new SimpleString(l));

/** Redis's addReplySubcommandSyntaxError. */
function subcommandSyntaxError(container: string, args: readonly Uint8Array[]): ErrorReply {
  return new ErrorReply(
    `ERR unknown subcommand or wrong number of arguments for '${ascii(args[1]!).slice(0, 128)}'. Try ${container} HELP.`,
  );
}

function needsClient(ctx: CommandContext): ErrorReply {
  return new ErrorReply(`ERR ${ctx.name.split("|")[0]!.toUpperCase()} needs a client connection`);
}

/** Unix time in microseconds (TIME and MONITOR's clock). */
function unixMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

// ============================================================================
// CONFIG
// ============================================================================

const CONFIG_HELP = [
  "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
  "HELP",
  "    Prints this help.",
];

// CONFIG GET parameter [parameter ...]
function configGet(ctx: CommandContext, args: Uint8Array[]): Reply {
  const pairs = adminOf(ctx.engine).config.configGet(args.slice(2));
  return new MapReply(pairs.map(([name, value]) => [latin1(name), latin1(value)]));
}

// CONFIG SET parameter value [parameter value ...]
function configSet(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length % 2 !== 0) return Errors.syntax;
  const pairs: Array<[string, string]> = [];
  for (let i = 2; i < args.length; i += 2) pairs.push([ascii(args[i]!), ascii(args[i + 1]!)]);
  const error = adminOf(ctx.engine).config.configSet(pairs);
  return error === null ? OK : new ErrorReply(`ERR ${error}`);
}

// CONFIG RESETSTAT
function configResetstat(ctx: CommandContext): Reply {
  adminOf(ctx.engine).resetStats();
  return OK;
}

// CONFIG REWRITE
function configRewrite(ctx: CommandContext): Reply {
  const host = adminOf(ctx.engine).host;
  if (host.configRewrite === undefined) return new ErrorReply("ERR The server is running without a config file");
  const error = host.configRewrite();
  return error === null ? OK : new ErrorReply(`ERR ${error}`);
}

function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// ============================================================================
// CLIENT
// ============================================================================

const CLIENT_HELP = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "UNPAUSE",
  "    Stop the current client pause, resuming traffic.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Suspend all, or just write, clients for <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
  "HELP",
  "    Prints this help.",
];

type ClientType = "normal" | "slave" | "master" | "pubsub";

/** Redis's getClientTypeByName. */
function clientTypeByName(name: string): ClientType | null {
  switch (name.toLowerCase()) {
    case "normal": return "normal";
    case "slave": case "replica": return "slave";
    case "pubsub": return "pubsub";
    case "master": return "master";
    default: return null;
  }
}

/** Redis's getClientType: a MONITOR client counts as normal; a subscriber as pubsub. */
export function clientType(client: Client): ClientType {
  return client.subscriptionCount > 0 ? "pubsub" : "normal";
}

/** The user a client is authenticated as (ACL users come with the ACL module). */
function userOf(client: Client): string {
  const user = (client as unknown as { user?: unknown }).user;
  if (typeof user === "string") return user;
  if (typeof user === "object" && user !== null && typeof (user as { name?: unknown }).name === "string") {
    return (user as { name: string }).name;
  }
  return "default";
}

/** Redis's catClientInfoString: one CLIENT LIST line, without the newline. */
export function clientInfoLine(admin: Admin, client: Client, nowMs: number): string {
  const info = admin.connectionOf(client);
  let flags = "";
  if (client.isMonitor) flags += "O";
  if (client.subscriptionCount > 0) flags += "P";
  if (client.multi !== null) flags += "x";
  if (client.isBlockedOnKeys) flags += "b";
  if (client.noEvict) flags += "e";
  if (flags === "") flags = "N";
  const qbuf = info?.queryBufferBytes() ?? 0;
  const omem = info?.outputBufferBytes() ?? 0;
  let multiMem = 0;
  if (client.multi !== null) for (const q of client.multi.queue) for (const a of q.args) multiMem += a.length;
  const created = info?.createdAt ?? nowMs;
  const last = info?.lastInteraction ?? nowMs;
  const fields: Array<[string, string | number]> = [
    ["id", client.id],
    ["addr", info?.addr ?? ""],
    ["laddr", info?.laddr ?? ""],
    ["fd", info?.fd ?? -1],
    ["name", client.name],
    ["age", Math.max(0, Math.floor((nowMs - created) / 1000))],
    ["idle", Math.max(0, Math.floor((nowMs - last) / 1000))],
    ["flags", flags],
    ["db", client.session.db],
    ["sub", client.channels.size],
    ["psub", client.patterns.size],
    ["ssub", 0],
    ["multi", client.multi === null ? -1 : client.multi.queue.length],
    ["qbuf", qbuf],
    ["qbuf-free", 0],
    ["argv-mem", 0],
    ["multi-mem", multiMem],
    ["rbs", 0],
    ["rbp", 0],
    ["obl", 0],
    ["oll", omem > 0 ? 1 : 0],
    ["omem", omem],
    ["tot-mem", qbuf + omem + multiMem],
    ["events", omem > 0 ? "rw" : "r"],
    ["cmd", client.lastCommand],
    ["user", userOf(client)],
    ["redir", -1],
    ["resp", client.session.protocol],
  ];
  return fields.map(([k, v]) => `${k}=${v}`).join(" ");
}

function verbatim(text: string): VerbatimReply {
  return new VerbatimReply("txt", utf8(text));
}

function clientId(ctx: CommandContext): Reply {
  return ctx.session.client?.id ?? needsClient(ctx);
}

function clientGetname(ctx: CommandContext): Reply {
  const client = ctx.session.client;
  if (client === undefined) return needsClient(ctx);
  return client.name === "" ? null : latin1(client.name);
}

// CLIENT SETNAME name
function clientSetname(ctx: CommandContext, args: Uint8Array[]): Reply {
  const client = ctx.session.client;
  if (client === undefined) return needsClient(ctx);
  const name = args[2]!;
  for (const b of name) {
    if (b < 0x21 || b > 0x7e) return new ErrorReply("ERR Client names cannot contain spaces, newlines or special characters.");
  }
  client.name = ascii(name);
  return OK;
}

// CLIENT INFO
function clientInfo(ctx: CommandContext): Reply {
  const client = ctx.session.client;
  if (client === undefined) return needsClient(ctx);
  return verbatim(clientInfoLine(adminOf(ctx.engine), client, Date.now()) + "\n");
}

// CLIENT LIST [TYPE type] | CLIENT LIST ID id [id ...]
function clientList(ctx: CommandContext, args: Uint8Array[]): Reply {
  const admin = adminOf(ctx.engine);
  const now = Date.now();
  let clients: Client[];
  if (args.length === 4 && lowerAscii(args[2]!) === "type") {
    const type = clientTypeByName(ascii(args[3]!));
    if (type === null) return new ErrorReply(`ERR Unknown client type '${ascii(args[3]!)}'`);
    clients = admin.clients().filter((c) => clientType(c) === type);
  } else if (args.length > 3 && lowerAscii(args[2]!) === "id") {
    clients = [];
    for (let j = 3; j < args.length; j++) {
      const id = parseI64(args[j]!);
      if (id === null) return new ErrorReply("ERR Invalid client ID");
      const c = id > 0n && id <= BigInt(Number.MAX_SAFE_INTEGER) ? admin.clientById(Number(id)) : undefined;
      if (c !== undefined) clients.push(c);
    }
  } else if (args.length !== 2) {
    return Errors.syntax;
  } else {
    clients = admin.clients();
  }
  return verbatim(clients.map((c) => clientInfoLine(admin, c, now) + "\n").join(""));
}

// CLIENT KILL addr:port | CLIENT KILL [ID id] [TYPE type] [ADDR addr] [LADDR addr] [USER user] [SKIPME yes|no]
function clientKill(ctx: CommandContext, args: Uint8Array[]): Reply {
  const self = ctx.session.client;
  const admin = adminOf(ctx.engine);
  let addr: string | undefined;
  let laddr: string | undefined;
  let type: ClientType | undefined;
  let id = 0n;
  let user: string | undefined;
  let skipme = true;
  if (args.length === 3) {
    addr = ascii(args[2]!);
    skipme = false; // with the old form, a client may kill itself
  } else if (args.length > 3 && args.length % 2 === 0) {
    for (let i = 2; i < args.length; i += 2) {
      const opt = lowerAscii(args[i]!);
      const value = args[i + 1]!;
      if (opt === "id") {
        const v = parseI64(value);
        if (v === null || v < 1n || v > LONG_MAX) return new ErrorReply("ERR client-id should be greater than 0");
        id = v;
      } else if (opt === "type") {
        const t = clientTypeByName(ascii(value));
        if (t === null) return new ErrorReply(`ERR Unknown client type '${ascii(value)}'`);
        type = t;
      } else if (opt === "addr") {
        addr = ascii(value);
      } else if (opt === "laddr") {
        laddr = ascii(value);
      } else if (opt === "user") {
        const name = ascii(value);
        if (!knownUser(ctx, name)) return new ErrorReply(`ERR No such user '${name}'`);
        user = name;
      } else if (opt === "skipme") {
        const v = lowerAscii(value);
        if (v === "yes") skipme = true;
        else if (v === "no") skipme = false;
        else return Errors.syntax;
      } else {
        return Errors.syntax;
      }
    }
  } else {
    return Errors.syntax;
  }
  let killed = 0;
  let killSelf = false;
  for (const c of admin.clients()) {
    const info = admin.connectionOf(c);
    if (addr !== undefined && info?.addr !== addr) continue;
    if (laddr !== undefined && info?.laddr !== laddr) continue;
    if (type !== undefined && clientType(c) !== type) continue;
    if (id !== 0n && BigInt(c.id) !== id) continue;
    if (user !== undefined && userOf(c) !== user) continue;
    if (c === self && skipme) continue;
    if (c === self) killSelf = true;
    else info?.kill(false);
    killed++;
  }
  if (killSelf && self !== undefined) admin.connectionOf(self)?.kill(true);
  if (args.length === 3) return killed === 0 ? new ErrorReply("ERR No such client") : OK;
  return killed;
}

/** Whether an ACL user exists: "default" always; others when the ACL module says so. */
function knownUser(ctx: CommandContext, name: string): boolean {
  if (name === "default") return true;
  const acl = (ctx.engine as unknown as { acl?: { hasUser?(name: string): boolean } }).acl;
  return acl?.hasUser?.(name) ?? false;
}

// CLIENT PAUSE timeout [WRITE|ALL]
function clientPause(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length > 4) return subcommandSyntaxError("CLIENT", args);
  const ms = parseI64(args[2]!);
  if (ms === null) return new ErrorReply("ERR timeout is not an integer or out of range");
  if (ms < 0n) return new ErrorReply("ERR timeout is negative");
  const now = Date.now();
  if (ms > LONG_MAX - BigInt(now)) return new ErrorReply("ERR timeout is out of range");
  let mode: PauseMode = "all";
  if (args.length === 4) {
    const m = lowerAscii(args[3]!);
    if (m === "write") mode = "write";
    else if (m !== "all") return new ErrorReply("ERR CLIENT PAUSE mode must be WRITE or ALL");
  }
  adminOf(ctx.engine).pauseClients(mode, now + Number(ms));
  return OK;
}

// CLIENT UNPAUSE
function clientUnpause(ctx: CommandContext): Reply {
  adminOf(ctx.engine).unpauseClients();
  return OK;
}

// CLIENT UNBLOCK id [TIMEOUT|ERROR]
function clientUnblock(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length > 4) return subcommandSyntaxError("CLIENT", args);
  const id = parseI64(args[2]!);
  if (id === null) return Errors.notInteger;
  let asError = false;
  if (args.length === 4) {
    const reason = lowerAscii(args[3]!);
    if (reason === "error") asError = true;
    else if (reason !== "timeout") return new ErrorReply("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  }
  const target = id > 0n && id <= BigInt(Number.MAX_SAFE_INTEGER) ? adminOf(ctx.engine).clientById(Number(id)) : undefined;
  if (target === undefined) return 0;
  const reply: Reply = asError ? new ErrorReply("UNBLOCKED client unblocked via CLIENT UNBLOCK") : NullArray.instance;
  return target.unblockWith(reply) ? 1 : 0;
}

// CLIENT NO-EVICT on|off
function clientNoEvict(ctx: CommandContext, args: Uint8Array[]): Reply {
  const client = ctx.session.client;
  if (client === undefined) return needsClient(ctx);
  const v = lowerAscii(args[2]!);
  if (v === "on") client.noEvict = true;
  else if (v === "off") client.noEvict = false;
  else return Errors.syntax;
  return OK;
}

// CLIENT REPLY on|off|skip
function clientReply(ctx: CommandContext, args: Uint8Array[]): Reply {
  const client = ctx.session.client;
  if (client === undefined) return needsClient(ctx);
  const v = lowerAscii(args[2]!);
  if (v === "on") {
    client.replyMode = "on";
    return OK;
  }
  if (v === "off") {
    client.replyMode = "off";
  } else if (v === "skip") {
    if (client.replyMode !== "off") client.replyMode = "skip-next";
  } else {
    return Errors.syntax;
  }
  client.repliedItself();
  return null;
}

// CLIENT TRACKING on|off [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
function clientTracking(ctx: CommandContext, args: Uint8Array[]): Reply {
  const admin = adminOf(ctx.engine);
  let redirect = 0n;
  for (let j = 3; j < args.length; j++) {
    const opt = lowerAscii(args[j]!);
    const moreArgs = args.length - 1 - j > 0;
    if (opt === "redirect" && moreArgs) {
      j++;
      if (redirect !== 0n) return new ErrorReply("ERR A client can only redirect to a single other client");
      const v = parseI64(args[j]!);
      if (v === null) return Errors.notInteger;
      redirect = v;
      if (v <= 0n || v > BigInt(Number.MAX_SAFE_INTEGER) || admin.clientById(Number(v)) === undefined) {
        return new ErrorReply("ERR The client ID you want redirect to does not exist");
      }
    } else if (opt === "bcast" || opt === "optin" || opt === "optout" || opt === "noloop") {
      continue;
    } else if (opt === "prefix" && moreArgs) {
      j++;
    } else {
      return Errors.syntax;
    }
  }
  const onOff = lowerAscii(args[2]!);
  if (onOff === "on") {
    return new ErrorReply("ERR Trireme does not support client-side caching: CLIENT TRACKING ON is not available");
  }
  if (onOff !== "off") return Errors.syntax;
  return OK;
}

// CLIENT CACHING yes|no
function clientCaching(): Reply {
  return new ErrorReply(
    "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
  );
}

// CLIENT TRACKINGINFO
function clientTrackinginfo(): Reply {
  return new MapReply([
    [utf8("flags"), new SetReply([utf8("off")])],
    [utf8("redirect"), -1],
    [utf8("prefixes"), []],
  ]);
}

// ============================================================================
// SLOWLOG
// ============================================================================

const SLOWLOG_HELP = [
  "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
  "HELP",
  "    Prints this help.",
];

// SLOWLOG GET [count]
function slowlogGet(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length > 3) return subcommandSyntaxError("SLOWLOG", args);
  let count = 10;
  if (args.length === 3) {
    const v = parseI64(args[2]!);
    if (v === null || v < -1n || v > LONG_MAX) return new ErrorReply("ERR count should be greater than or equal to -1");
    count = v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
  }
  return adminOf(ctx.engine).slowlog.get(count).map((e) => [
    e.id, e.time, e.durationMicros, e.args, latin1(e.peer), latin1(e.name),
  ]);
}

// ============================================================================
// LATENCY
// ============================================================================

const LATENCY_HELP = [
  "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return a human readable latency analysis report.",
  "GRAPH <event>",
  "    Return an ASCII latency graph for the <event> class.",
  "HISTORY <event>",
  "    Return time-latency samples for the <event> class.",
  "LATEST",
  "    Return the latest latency samples for all events.",
  "RESET [<event> ...]",
  "    Reset latency data of one or more <event> classes.",
  "    (default: reset all data for all event classes)",
  "HISTOGRAM [COMMAND ...]",
  "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
  "    If no commands are specified then all histograms are replied.",
  "HELP",
  "    Prints this help.",
];

function latencyLatest(ctx: CommandContext): Reply {
  return adminOf(ctx.engine).latency.latest().map(([event, time, latency, max]) => [utf8(event), time, latency, max]);
}

function latencyHistory(ctx: CommandContext, args: Uint8Array[]): Reply {
  return adminOf(ctx.engine).latency.history(ascii(args[2]!)).map(([time, latency]) => [time, latency]);
}

function latencyReset(ctx: CommandContext, args: Uint8Array[]): Reply {
  return adminOf(ctx.engine).latency.reset(args.slice(2).map(ascii));
}

function latencyDoctor(ctx: CommandContext): Reply {
  const latency = adminOf(ctx.engine).latency;
  if (latency.thresholdMs === 0) {
    return verbatim(
      "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. " +
      "You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. " +
      "If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n",
    );
  }
  const latest = latency.latest();
  if (latest.length === 0) {
    return verbatim(
      "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. " +
      "I honestly think you ought to sleep tonight.\n",
    );
  }
  let report = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
  let i = 1;
  for (const [event, , , max] of latest) {
    const samples = latency.history(event);
    const avg = samples.reduce((a, [, l]) => a + l, 0) / samples.length;
    report += `${i++}. ${event}: ${samples.length} latency spikes (average ${Math.round(avg)}ms, ` +
      `mean deviation 0ms, period 0 sec). Worst all time event ${max}ms.\n`;
  }
  return verbatim(report);
}

function latencyGraph(ctx: CommandContext, args: Uint8Array[]): Reply {
  const event = ascii(args[2]!);
  const latency = adminOf(ctx.engine).latency;
  const samples = latency.history(event);
  if (samples.length === 0) return new ErrorReply(`ERR No samples available for event '${event}'`);
  const values = samples.map(([, l]) => l);
  const max = Math.max(...values);
  const min = Math.min(...values);
  const allTime = latency.latest().find(([e]) => e === event)?.[3] ?? max;
  let graph = `${event} - high ${max} ms, low ${min} ms (all time high ${allTime} ms)\n`;
  graph += "-".repeat(80) + "\n";
  for (const [time, l] of samples) graph += `${time} ${"#".repeat(Math.max(1, Math.round((l / max) * 40)))} ${l}ms\n`;
  return verbatim(graph);
}

function latencyHistogram(ctx: CommandContext, args: Uint8Array[]): Reply {
  const admin = adminOf(ctx.engine);
  const stats = admin.commandStats;
  let names: string[];
  if (args.length === 2) {
    names = [...stats.entries()].filter(([, s]) => s.calls > 0).map(([n]) => n);
  } else {
    names = [];
    for (let i = 2; i < args.length; i++) {
      const def = ctx.engine.lookupByName(ascii(args[i]!));
      if (def === undefined) continue;
      if ((stats.get(def.name)?.calls ?? 0) > 0) names.push(def.name);
      for (const sub of def.subcommands ?? []) if ((stats.get(sub.name)?.calls ?? 0) > 0) names.push(sub.name);
    }
  }
  return new MapReply(names.map((name) => [utf8(name), new MapReply([
    [utf8("calls"), stats.get(name)!.calls],
    [utf8("histogram_usec"), new MapReply(stats.cumulativeHistogram(name).map(([us, n]) => [us, n] as [Reply, Reply]))],
  ])]));
}

// ============================================================================
// MEMORY
// ============================================================================

const MEMORY_HELP = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
  "HELP",
  "    Prints this help.",
];

interface MemoryExports {
  mem_key_usage(e: number, samples: number): number;
}

// MEMORY USAGE key [SAMPLES count]
function memoryUsage(ctx: CommandContext, args: Uint8Array[]): Reply {
  let samples = 5;
  for (let j = 3; j < args.length; j++) {
    if (lowerAscii(args[j]!) === "samples" && j + 1 < args.length) {
      const v = parseI64(args[j + 1]!);
      if (v === null) return Errors.notInteger;
      if (v < 0n) return Errors.syntax;
      samples = v === 0n || v > 0xffffffffn ? 0 : Number(v);
      j++;
    } else {
      return Errors.syntax;
    }
  }
  const e = ctx.findNoTouch(args[2]!);
  if (e === 0) return null;
  return (ctx.core.x as unknown as MemoryExports).mem_key_usage(e, samples);
}

// MEMORY STATS
function memoryStats(ctx: CommandContext): Reply {
  const engine = ctx.engine;
  const x = engine.core.x;
  const used = x.mem_used();
  let keys = 0;
  const dbs: Array<[Reply, Reply]> = [];
  for (let db = 0; db < engine.databases; db++) {
    const n = x.ks_dbsize(db);
    keys += n;
    if (n > 0) dbs.push([utf8(`db.${db}`), new MapReply([[utf8("keys"), n], [utf8("expires"), x.ks_expires_count(db)]])]);
  }
  return new MapReply([
    [utf8("total.allocated"), used],
    [utf8("wasm.memory"), x.mem_total()],
    [utf8("clients.normal"), adminOf(engine).connectedClients],
    ...dbs,
    [utf8("keys.count"), keys],
    [utf8("keys.bytes-per-key"), keys === 0 ? 0 : Math.floor(used / keys)],
    [utf8("dataset.bytes"), used],
  ]);
}

// MEMORY DOCTOR
function memoryDoctor(ctx: CommandContext): Reply {
  const used = ctx.engine.core.x.mem_used();
  if (used < 1024 * 1024 * 5) {
    return verbatim(
      "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. " +
      "Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n",
    );
  }
  return verbatim("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n");
}

// ============================================================================
// DEBUG
// ============================================================================

const DEBUG_DISABLED = new ErrorReply(
  "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, " +
  "otherwise you need to set this option in the configuration file, and then restart the server.",
);

const DEBUG_HELP = [
  "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not accessed (otherwise the Redis behavior). Setting it to 1 reenables back the default.",
  "HELP",
  "    Prints this help.",
];

/** Blocks the whole engine for `ms`, as Redis's DEBUG SLEEP blocks its event loop. */
function sleepSync(ms: number): void {
  if (ms <= 0) return;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  } catch {
    const until = performance.now() + ms;
    while (performance.now() < until) { /* a host that cannot wait on the main thread spins */ }
  }
}

function debug(ctx: CommandContext, args: Uint8Array[]): Reply {
  const admin = adminOf(ctx.engine);
  const allowed = admin.config.get("enable-debug-command");
  const client = ctx.session.client;
  if (allowed === "no") return DEBUG_DISABLED;
  if (allowed === "local" && client !== undefined && admin.connectionOf(client)?.isLocal === false) return DEBUG_DISABLED;
  const sub = lowerAscii(args[1]!);
  if (sub === "help" && args.length === 2) return helpReply(DEBUG_HELP);
  if (sub === "sleep" && args.length === 3) {
    // strtod: a number prefix, anything else sleeps 0.
    const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(ascii(args[2]!));
    sleepSync(m === null ? 0 : Math.floor(Number(m[0]) * 1e6) / 1000);
    return OK;
  }
  if (sub === "set-active-expire" && args.length === 3) {
    admin.activeExpireEnabled = ascii(args[2]!) !== "0";
    return OK;
  }
  return subcommandSyntaxError("DEBUG", args);
}

// ============================================================================
// SHUTDOWN, MONITOR, TIME, LASTSAVE
// ============================================================================

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
function shutdown(ctx: CommandContext, args: Uint8Array[]): Reply {
  const request: ShutdownRequest = { save: "default", now: false, force: false };
  let abort = false;
  let nosave = false, save = false;
  for (let i = 1; i < args.length; i++) {
    const opt = lowerAscii(args[i]!);
    if (opt === "nosave") nosave = true;
    else if (opt === "save") save = true;
    else if (opt === "now") request.now = true;
    else if (opt === "force") request.force = true;
    else if (opt === "abort") abort = true;
    else return Errors.syntax;
  }
  const anyFlag = nosave || save || request.now || request.force;
  if ((abort && anyFlag) || (nosave && save)) return Errors.syntax;
  // Trireme's shutdown is immediate: there is never one in progress to abort.
  if (abort) return new ErrorReply("ERR No shutdown in progress.");
  const client = ctx.session.client;
  if (!request.now && client?.inExec === true) {
    return new ErrorReply("ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client");
  }
  request.save = nosave ? "nosave" : save ? "save" : "default";
  const host = adminOf(ctx.engine).host;
  if (host.shutdown === undefined) return new ErrorReply("ERR SHUTDOWN is not available in this host");
  const error = host.shutdown(request);
  if (error !== null) return new ErrorReply(`ERR ${error}`);
  // The connection closes without a reply, as Redis's does when it exits.
  client?.repliedItself();
  return null;
}

// MONITOR
function monitor(ctx: CommandContext): Reply {
  const client = ctx.session.client;
  if (client === undefined) return needsClient(ctx);
  if (client.inExec) return new ErrorReply("ERR MONITOR isn't allowed for DENY BLOCKING client");
  const admin = adminOf(ctx.engine);
  // Already monitoring: ignored, without a reply, as in Redis.
  if (admin.monitors.has(client)) {
    client.repliedItself();
    return null;
  }
  admin.monitors.add(client);
  return OK;
}

// TIME
function time(): Reply {
  const us = unixMicros();
  return [utf8(String(Math.floor(us / 1e6))), utf8(String(us % 1e6))];
}

// LASTSAVE
function lastsave(ctx: CommandContext): Reply {
  const admin = adminOf(ctx.engine);
  return admin.host.lastSave?.() ?? Math.floor(admin.startedAt / 1000);
}

// ============================================================================
// definitions
// ============================================================================

const ADMIN = ["admin", "noscript", "loading", "stale"] as const;
const CONN = ["noscript", "loading", "stale"] as const;
const HELP_FLAGS = ["loading", "stale"] as const;

function sub(
  container: string, name: string, arity: number, flags: readonly CommandDef["flags"][number][], acl: readonly string[],
  handler: CommandDef["handler"], extra: Partial<CommandDef> = {},
): CommandDef {
  return {
    name: `${container}|${name}`, arity, flags, keys: [], acl, group: "server", since: "", summary: "", handler, ...extra,
  };
}

function container(name: string, group: string, subcommands: CommandDef[]): CommandDef {
  return {
    name, arity: -2, flags: [], keys: [], acl: ["slow"], group, since: "", summary: "",
    handler: () => null, subcommands,
  };
}

export const adminCommands: CommandDef[] = [
  container("config", "server", [
    sub("config", "get", -3, ADMIN, [], configGet),
    sub("config", "set", -4, ADMIN, [], configSet),
    sub("config", "resetstat", 2, ADMIN, [], configResetstat),
    sub("config", "rewrite", 2, ADMIN, [], configRewrite),
    sub("config", "help", 2, HELP_FLAGS, [], () => helpReply(CONFIG_HELP)),
  ]),
  container("client", "connection", [
    sub("client", "id", 2, CONN, ["connection"], clientId),
    sub("client", "getname", 2, CONN, ["connection"], clientGetname),
    sub("client", "setname", 3, CONN, ["connection"], clientSetname),
    sub("client", "info", 2, CONN, ["connection"], clientInfo),
    sub("client", "list", -2, ADMIN, ["connection"], clientList),
    sub("client", "kill", -3, ADMIN, ["connection"], clientKill),
    sub("client", "pause", -3, ADMIN, ["connection"], clientPause),
    sub("client", "unpause", 2, ADMIN, ["connection"], clientUnpause),
    sub("client", "unblock", -3, ADMIN, ["connection"], clientUnblock),
    sub("client", "no-evict", 3, ADMIN, ["connection"], clientNoEvict),
    sub("client", "reply", 3, CONN, ["connection"], clientReply),
    sub("client", "tracking", -3, CONN, ["connection"], clientTracking),
    sub("client", "caching", 3, CONN, ["connection"], clientCaching),
    sub("client", "getredir", 2, CONN, ["connection"], () => -1),
    sub("client", "trackinginfo", 2, CONN, ["connection"], clientTrackinginfo),
    sub("client", "help", 2, HELP_FLAGS, ["connection"], () => helpReply(CLIENT_HELP)),
  ]),
  container("slowlog", "server", [
    sub("slowlog", "get", -2, ["admin", "loading", "stale"], [], slowlogGet),
    sub("slowlog", "len", 2, ["admin", "loading", "stale"], [], (ctx) => adminOf(ctx.engine).slowlog.length),
    sub("slowlog", "reset", 2, ["admin", "loading", "stale"], [], (ctx) => { adminOf(ctx.engine).slowlog.reset(); return OK; }),
    sub("slowlog", "help", 2, HELP_FLAGS, [], () => helpReply(SLOWLOG_HELP)),
  ]),
  container("latency", "server", [
    sub("latency", "latest", 2, ADMIN, [], latencyLatest),
    sub("latency", "history", 3, ADMIN, [], latencyHistory),
    sub("latency", "reset", -2, ADMIN, [], latencyReset),
    sub("latency", "doctor", 2, ADMIN, [], latencyDoctor),
    sub("latency", "graph", 3, ADMIN, [], latencyGraph),
    sub("latency", "histogram", -2, ADMIN, [], latencyHistogram),
    sub("latency", "help", 2, HELP_FLAGS, [], () => helpReply(LATENCY_HELP)),
  ]),
  container("memory", "server", [
    sub("memory", "usage", -3, ["readonly"], ["read"], memoryUsage, { keys: [range(2, 2, 1, ["RO"])] }),
    sub("memory", "stats", 2, [], [], memoryStats),
    sub("memory", "doctor", 2, [], [], memoryDoctor),
    sub("memory", "purge", 2, [], [], () => OK),
    sub("memory", "malloc-stats", 2, [], [], () => verbatim("Stats not supported for the current allocator")),
    sub("memory", "help", 2, HELP_FLAGS, [], () => helpReply(MEMORY_HELP)),
  ]),
  {
    name: "debug", arity: -2, flags: [...ADMIN], keys: [], acl: [], group: "server", since: "1.0.0", summary: "",
    handler: debug,
  },
  {
    name: "shutdown", arity: -1, flags: [...ADMIN, "no_multi", "allow_busy"], keys: [], acl: [], group: "server",
    since: "1.0.0", summary: "", handler: shutdown,
  },
  {
    name: "monitor", arity: 1, flags: [...ADMIN], keys: [], acl: [], group: "server", since: "1.0.0", summary: "",
    handler: monitor,
  },
  {
    name: "time", arity: 1, flags: ["loading", "stale", "fast"], keys: [], acl: [], group: "server", since: "2.6.0",
    summary: "", handler: time,
  },
  {
    name: "lastsave", arity: 1, flags: ["loading", "stale", "fast"], keys: [], acl: ["admin", "dangerous"], group: "server",
    since: "1.0.0", summary: "", handler: lastsave,
  },
];
