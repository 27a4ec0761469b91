// A canonical text dump of an engine's whole keyspace, read through commands
// the way a user would look at it: every database, every key, its type, its
// value in a canonical order, and its absolute expiry. Two engines hold the
// same data exactly when their dumps are equal.
import type { Engine } from "../../runtime/engine.ts";
import { ErrorReply, MapReply, SetReply, type Reply } from "../../runtime/reply.ts";
import { encodeReply } from "../../runtime/resp.ts";
import { text, utf8, compareBytes } from "../../runtime/bytes.ts";

function run(engine: Engine, db: number, ...args: string[] | Uint8Array[]): Reply {
  const reply = engine.execute({ db, protocol: 2 }, args.map((a) => (typeof a === "string" ? utf8(a) : a)));
  if (reply instanceof ErrorReply) throw new Error(`dump: ${args.map(String).join(" ")}: ${reply.message}`);
  return reply;
}

function show(reply: Reply): string {
  return JSON.stringify(text(encodeReply(reply, 2)));
}

/** The elements of an array or set reply (SMEMBERS is a set reply). */
function items(reply: Reply): Reply[] {
  if (reply instanceof SetReply) return reply.items;
  if (reply instanceof MapReply) return reply.entries.flat();
  return reply as Reply[];
}

function sortedBulks(reply: Reply): Uint8Array[] {
  return (items(reply) as Uint8Array[]).slice().sort(compareBytes);
}

function sortedPairs(reply: Reply): string {
  const flat = items(reply) as Uint8Array[];
  const pairs: Array<[Uint8Array, Uint8Array]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  pairs.sort((a, b) => compareBytes(a[0], b[0]));
  return JSON.stringify(pairs.map(([f, v]) => [text(f), text(v)]));
}

export function dumpKeyspace(engine: Engine): string {
  const lines: string[] = [];
  for (let db = 0; db < engine.databases; db++) {
    const keys = sortedBulks(run(engine, db, "KEYS", "*"));
    for (const key of keys) {
      const type = (run(engine, db, utf8("TYPE"), key) as { value: string }).value;
      let value: string;
      switch (type) {
        case "string": value = show(run(engine, db, utf8("GET"), key)); break;
        case "list": value = show(run(engine, db, utf8("LRANGE"), key, utf8("0"), utf8("-1"))); break;
        case "set": value = JSON.stringify(sortedBulks(run(engine, db, utf8("SMEMBERS"), key)).map(text)); break;
        case "zset": value = show(run(engine, db, utf8("ZRANGE"), key, utf8("0"), utf8("-1"), utf8("WITHSCORES"))); break;
        case "hash": value = sortedPairs(run(engine, db, utf8("HGETALL"), key)); break;
        default: value = `<${type}>`;
      }
      const expireAt = run(engine, db, utf8("PEXPIRETIME"), key);
      lines.push(`${db} ${JSON.stringify(text(key))} ${type} ${value} ${String(expireAt)}`);
    }
  }
  return lines.join("\n");
}
