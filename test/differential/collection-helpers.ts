// Helpers for the hash and set differential tests: running a command on the
// engine alone (for membership checks of random replies), and driving a whole
// HSCAN/SSCAN on each side with its own cursors.
import { expect } from "vitest";
import type { Differential } from "./harness.ts";
import { encodeReply, parseValue, type RespValue } from "../../runtime/resp.ts";
import { toBytes, text, type Arg } from "../../runtime/bytes.ts";

/** Runs a command on the engine only; the reply as parsed RESP2. */
export function engineRun(diff: Differential, ...args: Arg[]): RespValue {
  const bytes = encodeReply(diff.engine.execute(diff.session, args.map(toBytes)), 2);
  const parsed = parseValue(bytes);
  if (parsed === "incomplete") throw new Error("incomplete reply");
  return parsed.value;
}

/** The items of an array reply of bulk strings, as text. */
export function bulkTexts(v: RespValue): string[] {
  if (v.type !== "array" || v.value === null) throw new Error(`expected an array, got ${JSON.stringify(v)}`);
  return v.value.map((item) => {
    if (item.type !== "bulk" || item.value === null) throw new Error(`expected a bulk string, got ${JSON.stringify(item)}`);
    return text(item.value);
  });
}

function scanPage(v: RespValue): { cursor: string; items: string[] } {
  if (v.type !== "array" || v.value === null || v.value.length !== 2) throw new Error(`not a scan reply: ${JSON.stringify(v)}`);
  const [cursor, items] = v.value;
  if (cursor!.type !== "bulk" || cursor!.value === null) throw new Error("bad cursor");
  return { cursor: text(cursor!.value), items: bulkTexts(items!) };
}

/** Scans a key to the end on the engine, returning every item (pairs flattened for HSCAN). */
export function engineFullScan(diff: Differential, command: string, key: string, options: string[] = []): string[] {
  const all: string[] = [];
  let cursor = "0";
  for (let calls = 0; calls < 1_000_000; calls++) {
    const page = scanPage(engineRun(diff, command, key, cursor, ...options));
    all.push(...page.items);
    cursor = page.cursor;
    if (cursor === "0") return all;
  }
  throw new Error("scan did not end");
}

export async function redisFullScan(diff: Differential, command: string, key: string, options: string[] = []): Promise<string[]> {
  const all: string[] = [];
  let cursor = "0";
  for (let calls = 0; calls < 1_000_000; calls++) {
    const page = scanPage((await diff.redis.send(command, key, cursor, ...options)).value);
    all.push(...page.items);
    cursor = page.cursor;
    if (cursor === "0") return all;
  }
  throw new Error("scan did not end");
}

/** Groups a flat [field, value, field, value...] list into "field=value" strings. */
export function pairs(flat: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push(JSON.stringify([flat[i], flat[i + 1]]));
  return out;
}

/**
 * A full scan on both sides must return the same distinct elements. (A scan
 * may return an element twice; the distinct sets are what Redis promises.)
 */
export async function expectSameFullScan(
  diff: Differential, command: "HSCAN" | "SSCAN", key: string, options: string[] = [],
): Promise<string[]> {
  const fromRedis = await redisFullScan(diff, command, key, options);
  const ours = engineFullScan(diff, command, key, options);
  const norm = (items: string[]) => [...new Set(command === "HSCAN" ? pairs(items) : items)].sort();
  expect(norm(ours)).toEqual(norm(fromRedis));
  return ours;
}
