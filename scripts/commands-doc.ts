// Writes docs/COMMANDS.md, the compatibility table, from the command table
// itself, so the documentation lists exactly what the engine dispatches.
// `node scripts/commands-doc.ts --check` exits 1 if the file is out of date
// (a unit test runs that check).
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { allCommands } from "../runtime/commands/table.ts";
import type { CommandDef } from "../runtime/commands/spec.ts";

export const COMMANDS_DOC_PATH = fileURLToPath(new URL("../docs/COMMANDS.md", import.meta.url));

function row(c: CommandDef): string {
  const arity = c.arity >= 0 ? String(c.arity) : `≥${-c.arity}`;
  return `| \`${c.name.toUpperCase()}\` | ${arity} | ${c.flags.join(", ")} | ${c.summary} |`;
}

export function renderCommandsDoc(): string {
  const groups = new Map<string, CommandDef[]>();
  for (const c of allCommands) {
    const list = groups.get(c.group) ?? [];
    list.push(c);
    for (const sub of c.subcommands ?? []) list.push(sub);
    groups.set(c.group, list);
  }
  const lines = [
    "# Command compatibility",
    "",
    "Generated from the command table by `node scripts/commands-doc.ts`; do not edit by hand.",
    "Every command listed here is implemented with Redis 7.0's semantics, replies and error",
    "texts, and is covered by differential tests against a real `redis-server`. Commands",
    "not listed reply `ERR unknown command`.",
    "",
    `${allCommands.length} commands.`,
    "",
  ];
  for (const group of [...groups.keys()].sort()) {
    lines.push(`## ${group}`, "", "| command | arity | flags | summary |", "|---|---|---|---|");
    for (const c of groups.get(group)!.sort((a, b) => a.name.localeCompare(b.name))) lines.push(row(c));
    lines.push("");
  }
  return lines.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = renderCommandsDoc();
  if (process.argv.includes("--check")) {
    const current = existsSync(COMMANDS_DOC_PATH) ? readFileSync(COMMANDS_DOC_PATH, "utf8") : "";
    if (current !== text) {
      process.stderr.write("docs/COMMANDS.md is out of date: run node scripts/commands-doc.ts\n");
      process.exit(1);
    }
  } else {
    writeFileSync(COMMANDS_DOC_PATH, text);
  }
}
