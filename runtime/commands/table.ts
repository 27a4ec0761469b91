// The command table: the union of every family's definitions, by name.
import type { CommandDef, KeySpec } from "./spec.ts";
import { REDIS_COMMAND_DOCS } from "./redis-docs.generated.ts";
import { stringCommands } from "./strings.ts";
import { keyCommands } from "./keys.ts";
import { connectionCommands } from "./connection.ts";
import { transactionCommands } from "./transactions.ts";
import { pubsubCommands } from "./pubsub.ts";
import { hyperloglogCommands } from "./hyperloglog.ts";
import { listCommands } from "./lists.ts";
import { blockingCommands } from "./blocking.ts";
import { commandCommands } from "./command.ts";
import { zsetCommands } from "./zsets.ts";
import { hashCommands } from "./hashes.ts";
import { setCommands } from "./sets.ts";
import { securityCommands } from "./security.ts";
import { adminCommands } from "./admin.ts";

const familyCommands: readonly CommandDef[] = [
  ...connectionCommands,
  ...keyCommands,
  ...stringCommands,
  ...transactionCommands,
  ...pubsubCommands,
  ...hyperloglogCommands,
  ...listCommands,
  ...blockingCommands,
  ...commandCommands,
  ...zsetCommands,
  ...hashCommands,
  ...setCommands,
  ...securityCommands,
  ...adminCommands,
];

/**
 * A family's definition with Redis's own documentation laid over it: the
 * texts, history, arguments, tips and key-spec flags come from redis-server
 * (generated), the behaviour (arity, flags, key positions, ACL categories,
 * handler) from the family.
 */
function withRedisDocs(def: CommandDef): CommandDef {
  const docs = REDIS_COMMAND_DOCS[def.name];
  const subcommands = def.subcommands?.map(withRedisDocs);
  if (docs === undefined) return subcommands === undefined ? def : { ...def, subcommands };
  const keySpecs = docs.keySpecs ?? [];
  return {
    ...def,
    summary: docs.summary ?? def.summary,
    since: docs.since ?? def.since,
    group: docs.group ?? def.group,
    complexity: docs.complexity ?? def.complexity,
    docFlags: (docs.docFlags as CommandDef["docFlags"]) ?? def.docFlags,
    deprecatedSince: docs.deprecatedSince ?? def.deprecatedSince,
    replacedBy: docs.replacedBy ?? def.replacedBy,
    history: (docs.history as CommandDef["history"]) ?? def.history,
    arguments: (docs.arguments as CommandDef["arguments"]) ?? def.arguments,
    tips: docs.tips ?? def.tips,
    keys: def.keys.map((spec, i) => {
      const redis = keySpecs[i];
      if (redis === undefined) return spec;
      return { ...spec, flags: (redis.flags ?? spec.flags) as KeySpec["flags"], notes: redis.notes ?? spec.notes };
    }),
    ...(subcommands === undefined ? {} : { subcommands }),
  };
}

export const allCommands: readonly CommandDef[] = familyCommands.map(withRedisDocs);

export const commandTable: ReadonlyMap<string, CommandDef> = new Map(allCommands.map((c) => [c.name, c]));
