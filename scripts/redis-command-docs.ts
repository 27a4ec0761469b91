// Generates runtime/commands/redis-docs.generated.ts: the documentation part
// of the command table (summary, since, group, complexity, history,
// arguments, tips, key-spec flags and notes, doc flags) for every command
// Trireme implements, read from a real redis-server's COMMAND DOCS and
// COMMAND INFO, the same way Redis generates its table from its command JSON.
// The behaviour part (arity, flags, key positions, ACL categories, handler)
// stays in the family files, and test/differential/command.test.ts checks
// that both together answer COMMAND exactly as redis-server does.
//
//   node scripts/redis-command-docs.ts     (needs redis-server on the PATH)
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startRedis } from "../test/helpers/redis-server.ts";
import { RespClient } from "../test/helpers/resp-client.ts";
import type { RespValue } from "../runtime/resp.ts";
import { allCommands } from "./../runtime/commands/table.ts";

const OUT = fileURLToPath(new URL("../runtime/commands/redis-docs.generated.ts", import.meta.url));
const dec = new TextDecoder();

function str(v: RespValue | undefined): string {
  if (v === undefined) return "";
  if (v.type === "bulk") return v.value === null ? "" : dec.decode(v.value);
  if (v.type === "simple") return v.value;
  if (v.type === "integer") return String(v.value);
  throw new Error(`not a string: ${v.type}`);
}

function list(v: RespValue | undefined): RespValue[] {
  if (v === undefined) return [];
  if (v.type === "array" || v.type === "set") return v.value ?? [];
  throw new Error(`not a list: ${v.type}`);
}

/** A RESP2 flat map (alternating names and values) as entries. */
function entries(v: RespValue): Array<[string, RespValue]> {
  const items = list(v);
  const out: Array<[string, RespValue]> = [];
  for (let i = 0; i + 1 < items.length; i += 2) out.push([str(items[i]), items[i + 1]!]);
  return out;
}

function argument(v: RespValue): Record<string, unknown> {
  const arg: Record<string, unknown> = {};
  for (const [name, value] of entries(v)) {
    switch (name) {
      case "name": arg.name = str(value); break;
      case "type": arg.type = str(value); break;
      case "display_text": arg.displayText = str(value); break;
      case "key_spec_index": arg.keySpecIndex = Number(str(value)); break;
      case "token": arg.token = str(value); break;
      case "summary": arg.summary = str(value); break;
      case "since": arg.since = str(value); break;
      case "deprecated_since": arg.deprecatedSince = str(value); break;
      case "flags": arg.flags = list(value).map(str); break;
      case "arguments": arg.arguments = list(value).map(argument); break;
      default: throw new Error(`unknown argument field ${name}`);
    }
  }
  return arg;
}

async function main(): Promise<void> {
  const redis = await startRedis(30000 + Math.floor(Math.random() * 10000));
  const client = await RespClient.connect(redis.port);
  try {
    const docs = new Map<string, Record<string, unknown>>();
    const collectDocs = (reply: RespValue) => {
      for (const [name, doc] of entries(reply)) {
        const out: Record<string, unknown> = {};
        for (const [field, value] of entries(doc)) {
          switch (field) {
            case "summary": out.summary = str(value); break;
            case "since": out.since = str(value); break;
            case "group": out.group = str(value); break;
            case "complexity": out.complexity = str(value); break;
            case "doc_flags": out.docFlags = list(value).map(str); break;
            case "deprecated_since": out.deprecatedSince = str(value); break;
            case "replaced_by": out.replacedBy = str(value); break;
            case "history": out.history = list(value).map((h) => list(h).map(str)); break;
            case "arguments": out.arguments = list(value).map(argument); break;
            case "subcommands": collectDocs(value); break;
            default: throw new Error(`unknown docs field ${field}`);
          }
        }
        docs.set(name, out);
      }
    };
    collectDocs((await client.send("COMMAND", "DOCS")).value);

    const collectInfo = (info: RespValue) => {
      const [name, , , , , , , tips, keySpecs, subcommands] = list(info);
      const doc = docs.get(str(name));
      if (doc !== undefined) {
        const tipList = list(tips).map(str);
        if (tipList.length > 0) doc.tips = tipList;
        doc.keySpecs = list(keySpecs).map((spec) => {
          const out: Record<string, unknown> = {};
          for (const [field, value] of entries(spec)) {
            if (field === "flags") out.flags = list(value).map(str);
            if (field === "notes") out.notes = str(value);
          }
          return out;
        });
      }
      for (const sub of list(subcommands)) collectInfo(sub);
    };
    for (const info of list((await client.send("COMMAND", "INFO")).value)) collectInfo(info);

    const ours = new Set<string>();
    for (const def of allCommands) {
      ours.add(def.name);
      for (const sub of def.subcommands ?? []) ours.add(sub.name);
    }
    const selected: Record<string, unknown> = {};
    for (const name of [...ours].sort()) {
      const doc = docs.get(name);
      if (doc !== undefined) selected[name] = doc;
    }
    const body = [
      "// GENERATED by scripts/redis-command-docs.ts from redis-server 7.0's COMMAND DOCS",
      "// and COMMAND INFO; do not edit. Regenerate after adding a command.",
      'import type { RedisCommandDocs } from "./spec.ts";',
      "",
      `export const REDIS_COMMAND_DOCS: Readonly<Record<string, RedisCommandDocs>> = ${JSON.stringify(selected, null, 1)};`,
      "",
    ].join("\n");
    writeFileSync(OUT, body);
    console.log(`wrote ${Object.keys(selected).length} commands to ${OUT}`);
  } finally {
    client.close();
    await redis.stop();
  }
}

await main();
