// COMMAND: what the server knows about its commands, read from the command
// table (spec.ts, table.ts) and nothing else, in Redis 7.0's reply shapes.
//
// COMMAND INFO describes a command as an array of ten: name, arity, flags
// (status replies), the legacy first key, last key and step, ACL categories
// ('@'-prefixed status replies), tips, key specifications (maps), and the
// same array for each subcommand. COMMAND DOCS describes it as a map:
// summary, since, group, complexity, history, arguments, subcommands. Redis
// orders flags and categories by its own tables, not as declared, so both
// are sorted here by those tables; the categories Redis implies from the
// flags (write -> @write, fast -> @fast, not fast -> @slow, ...) are added the
// way Redis adds them. The legacy key range and the movablekeys flag are
// derived from the key specs exactly as Redis 7.0 derives them.

import type { CommandContext } from "../context.ts";
import { keysOfCall, type ArgSpec, type CommandDef, type CommandFlag, type KeySpec, type KeySpecFlag } from "./spec.ts";
import { ErrorReply, Errors, MapReply, SetReply, SimpleString, type Reply } from "../reply.ts";
import { ascii, isWord, lowerAscii, utf8 } from "../bytes.ts";
import { globMatch } from "../glob.ts";

/** Command flags in the order Redis lists them. may_replicate, sentinel, only_sentinel and protected are hidden, as in Redis. */
const FLAG_ORDER: readonly string[] = [
  "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking", "loading", "stale",
  "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth", "no_mandatory_keys", "no_async_loading",
  "no_multi", "movablekeys", "allow_busy",
];

/** ACL categories in the order of Redis's table (ACL CAT). */
export const ACL_CATEGORIES: readonly string[] = [
  "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo",
  "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
];

const KEY_FLAG_ORDER: readonly KeySpecFlag[] = [
  "RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags",
];

const ARG_FLAG_ORDER = ["optional", "multiple", "multiple_token"] as const;

const status = (names: readonly string[]) => new SetReply(names.map((n) => new SimpleString(n)));
const inOrder = <T extends string>(order: readonly T[], have: readonly string[]) => order.filter((x) => have.includes(x));
const bulk = utf8;

interface LegacyRange {
  first: number;
  last: number;
  step: number;
  movable: boolean;
}

/** Redis's populateCommandLegacyRangeSpec: one first/last/step from the key specs, and whether keys are movable. */
function legacyRange(def: CommandDef): LegacyRange {
  const specs = def.keys;
  const none = (movable: boolean): LegacyRange => ({ first: 0, last: 0, step: 0, movable });
  if (specs.length === 0) return none(false);
  const only = specs[0]!;
  if (specs.length === 1 && only.kind === "range") {
    return { first: only.first, last: only.last, step: only.step, movable: (only.flags ?? []).includes("incomplete") };
  }
  let movable = false;
  let first = Number.MAX_SAFE_INTEGER;
  // Compared as unsigned 32-bit like Redis, so a negative (from the end) last key wins.
  let last = 0;
  let previousLast = 0;
  for (const spec of specs) {
    if (spec.kind !== "range") {
      movable = true;
      continue;
    }
    if (spec.step !== 1 || (previousLast !== 0 && previousLast !== spec.first - 1)) {
      movable = true;
      continue;
    }
    if ((spec.flags ?? []).includes("incomplete")) movable = true;
    first = Math.min(first, spec.first);
    if ((spec.last >>> 0) > (last >>> 0)) last = spec.last;
    previousLast = last;
  }
  if (first === Number.MAX_SAFE_INTEGER) return none(true);
  return { first, last, step: 1, movable };
}

function flagsOf(def: CommandDef, movable: boolean): string[] {
  const flags: string[] = [...def.flags];
  if (movable) flags.push("movablekeys");
  return inOrder(FLAG_ORDER, flags);
}

/** The command's ACL categories, with those Redis implies from its flags, in Redis's order. */
export function aclCategoriesOf(def: CommandDef): string[] {
  const cats = new Set(def.acl);
  const has = (f: CommandFlag) => def.flags.includes(f);
  if (has("write")) cats.add("write");
  if (has("readonly") && !cats.has("scripting")) cats.add("read");
  if (has("admin")) { cats.add("admin"); cats.add("dangerous"); }
  if (has("pubsub")) cats.add("pubsub");
  if (has("fast")) cats.add("fast");
  if (has("blocking")) cats.add("blocking");
  if (!cats.has("fast")) cats.add("slow");
  return inOrder(ACL_CATEGORIES, [...cats]);
}

function keySpecReply(spec: KeySpec): MapReply {
  const entries: Array<[Reply, Reply]> = [];
  if (spec.notes !== undefined) entries.push([bulk("notes"), bulk(spec.notes)]);
  entries.push([bulk("flags"), status(inOrder(KEY_FLAG_ORDER, spec.flags ?? []))]);
  if (spec.kind === "range") {
    entries.push([bulk("begin_search"), new MapReply([
      [bulk("type"), bulk("index")],
      [bulk("spec"), new MapReply([[bulk("index"), spec.first]])],
    ])]);
    entries.push([bulk("find_keys"), new MapReply([
      [bulk("type"), bulk("range")],
      [bulk("spec"), new MapReply([
        // Redis counts a non-negative last key from the first key.
        [bulk("lastkey"), spec.last < 0 ? spec.last : spec.last - spec.first],
        [bulk("keystep"), spec.step],
        [bulk("limit"), 0],
      ])],
    ])]);
  } else {
    entries.push([bulk("begin_search"), new MapReply([
      [bulk("type"), bulk("index")],
      [bulk("spec"), new MapReply([[bulk("index"), spec.index]])],
    ])]);
    entries.push([bulk("find_keys"), new MapReply([
      [bulk("type"), bulk("keynum")],
      [bulk("spec"), new MapReply([
        [bulk("keynumidx"), 0],
        [bulk("firstkey"), spec.firstOffset],
        [bulk("keystep"), spec.step],
      ])],
    ])]);
  }
  return new MapReply(entries);
}

/** One command's COMMAND INFO entry. */
export function commandInfo(def: CommandDef): Reply {
  const legacy = legacyRange(def);
  return [
    bulk(def.name),
    def.arity,
    status(flagsOf(def, legacy.movable)),
    legacy.first,
    legacy.last,
    legacy.step,
    status(aclCategoriesOf(def).map((c) => `@${c}`)),
    new SetReply((def.tips ?? []).map(bulk)),
    new SetReply(def.keys.map(keySpecReply)),
    def.subcommands === undefined ? new SetReply([]) : def.subcommands.map(commandInfo),
  ];
}

function argumentReply(arg: ArgSpec): MapReply {
  const entries: Array<[Reply, Reply]> = [
    [bulk("name"), bulk(arg.name)],
    [bulk("type"), bulk(arg.type)],
  ];
  if (arg.displayText !== undefined) entries.push([bulk("display_text"), bulk(arg.displayText)]);
  if (arg.type === "key") entries.push([bulk("key_spec_index"), arg.keySpecIndex ?? 0]);
  if (arg.token !== undefined) entries.push([bulk("token"), bulk(arg.token)]);
  if (arg.summary !== undefined) entries.push([bulk("summary"), bulk(arg.summary)]);
  if (arg.since !== undefined) entries.push([bulk("since"), bulk(arg.since)]);
  if (arg.deprecatedSince !== undefined) entries.push([bulk("deprecated_since"), bulk(arg.deprecatedSince)]);
  if (arg.flags !== undefined && arg.flags.length > 0) entries.push([bulk("flags"), status(inOrder(ARG_FLAG_ORDER, arg.flags))]);
  if (arg.type === "oneof" || arg.type === "block") {
    entries.push([bulk("arguments"), (arg.arguments ?? []).map(argumentReply)]);
  }
  return new MapReply(entries);
}

/** One command's COMMAND DOCS map. */
export function commandDocs(def: CommandDef): MapReply {
  const entries: Array<[Reply, Reply]> = [
    [bulk("summary"), bulk(def.summary)],
    [bulk("since"), bulk(def.since)],
    [bulk("group"), bulk(def.group)],
  ];
  if (def.complexity !== undefined) entries.push([bulk("complexity"), bulk(def.complexity)]);
  if (def.docFlags !== undefined && def.docFlags.length > 0) entries.push([bulk("doc_flags"), status(def.docFlags)]);
  if (def.deprecatedSince !== undefined) entries.push([bulk("deprecated_since"), bulk(def.deprecatedSince)]);
  if (def.replacedBy !== undefined) entries.push([bulk("replaced_by"), bulk(def.replacedBy)]);
  if (def.history !== undefined && def.history.length > 0) {
    entries.push([bulk("history"), new SetReply(def.history.map(([version, change]) => [bulk(version), bulk(change)]))]);
  }
  if (def.arguments !== undefined && def.arguments.length > 0) {
    entries.push([bulk("arguments"), def.arguments.map(argumentReply)]);
  }
  if (def.subcommands !== undefined) {
    entries.push([bulk("subcommands"), new MapReply(def.subcommands.map((s) => [bulk(s.name), commandDocs(s)]))]);
  }
  return new MapReply(entries);
}

/** Every command name, each container followed by its subcommands, as COMMAND LIST gives them. */
function allNames(commands: Iterable<CommandDef>, keep: (def: CommandDef) => boolean): Uint8Array[] {
  const names: Uint8Array[] = [];
  for (const def of commands) {
    if (keep(def)) names.push(bulk(def.name));
    if (def.subcommands !== undefined) names.push(...allNames(def.subcommands, keep));
  }
  return names;
}

// COMMAND
function commandAll(ctx: CommandContext): Reply {
  return [...ctx.engine.commands.values()].map(commandInfo);
}

// COMMAND INFO [command-name ...]
function commandInfoCommand(ctx: CommandContext, args: Uint8Array[]): Reply {
  if (args.length === 2) return commandAll(ctx);
  const replies: Reply[] = [];
  for (let i = 2; i < args.length; i++) {
    const def = ctx.engine.lookupByName(ascii(args[i]!));
    replies.push(def === undefined ? null : commandInfo(def));
  }
  return replies;
}

// COMMAND DOCS [command-name ...]
function commandDocsCommand(ctx: CommandContext, args: Uint8Array[]): Reply {
  const defs: CommandDef[] = [];
  if (args.length === 2) defs.push(...ctx.engine.commands.values());
  for (let i = 2; i < args.length; i++) {
    const def = ctx.engine.lookupByName(ascii(args[i]!));
    if (def !== undefined) defs.push(def);
  }
  return new MapReply(defs.map((def) => [bulk(def.name), commandDocs(def)]));
}

// COMMAND COUNT
function commandCount(ctx: CommandContext): Reply {
  return ctx.engine.commands.size;
}

// COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]
function commandList(ctx: CommandContext, args: Uint8Array[]): Reply {
  let keep: (def: CommandDef) => boolean = () => true;
  for (let i = 2; i < args.length; i++) {
    const moreArgs = args.length - 1 - i;
    if (!isWord(args[i]!, "filterby") || moreArgs !== 2) return Errors.syntax;
    const type = args[i + 1]!;
    const value = args[i + 2]!;
    if (isWord(type, "module")) {
      // Trireme loads no modules: no command belongs to one.
      keep = () => false;
    } else if (isWord(type, "aclcat")) {
      const category = lowerAscii(value);
      keep = ACL_CATEGORIES.includes(category) ? (def) => aclCategoriesOf(def).includes(category) : () => false;
    } else if (isWord(type, "pattern")) {
      keep = (def) => globMatch(value, bulk(def.name), true);
    } else {
      return Errors.syntax;
    }
    i += 2;
  }
  return allNames(ctx.engine.commands.values(), keep);
}

// COMMAND GETKEYS command [arg ...] / COMMAND GETKEYSANDFLAGS command [arg ...]
function getKeys(ctx: CommandContext, args: Uint8Array[], withFlags: boolean): Reply {
  const call = args.slice(2);
  const def = ctx.engine.lookup(call);
  if (def === undefined) return new ErrorReply("ERR Invalid command specified");
  const hasKeys = def.getKeys !== undefined || def.keys.some((k) => !(k.flags ?? []).includes("not_key"));
  if (!hasKeys) return new ErrorReply("ERR The command has no key arguments");
  if ((def.arity > 0 && def.arity !== call.length) || call.length < -def.arity) {
    return new ErrorReply("ERR Invalid number of arguments specified for command");
  }
  const keys = keysOfCall(def, call);
  if (keys === null || keys.length === 0) {
    return def.flags.includes("no_mandatory_keys") ? [] : new ErrorReply("ERR Invalid arguments specified for command");
  }
  return keys.map((k) => withFlags ? [call[k.position]!, status(inOrder(KEY_FLAG_ORDER, k.flags))] : call[k.position]!);
}

const HELP_LINES = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
  "HELP",
  "    Prints this help.",
];

// COMMAND HELP
function commandHelp(): Reply {
  return HELP_LINES.map((line) => new SimpleString(line));
}

const COMMAND_FLAGS: readonly CommandFlag[] = ["loading", "stale"];
const COMMAND_ACL = ["slow", "connection"];
const COMMAND_NAME_ARGUMENT: ArgSpec[] = [{ name: "command-name", type: "string", flags: ["optional", "multiple"] }];

const sub = (def: Omit<CommandDef, "flags" | "keys" | "acl" | "group">): CommandDef =>
  ({ flags: COMMAND_FLAGS, keys: [], acl: COMMAND_ACL, group: "server", ...def });

// Subcommands in the order Redis 7.0.15 happened to list them in one run;
// Redis itself does not fix this order (its dict is seeded at start).
export const commandCommands: CommandDef[] = [
  {
    name: "command", arity: -1, flags: COMMAND_FLAGS, keys: [], acl: COMMAND_ACL, group: "server",
    since: "2.8.13", complexity: "O(N) where N is the total number of Redis commands",
    summary: "Get array of Redis command details", tips: ["nondeterministic_output_order"],
    handler: commandAll,
    subcommands: [
      sub({
        name: "command|info", arity: -2, since: "2.8.13", complexity: "O(N) where N is the number of commands to look up",
        summary: "Get array of specific Redis command details, or all when no argument is given.",
        tips: ["nondeterministic_output_order"],
        history: [["7.0.0", "Allowed to be called with no argument to get info on all commands."]],
        arguments: COMMAND_NAME_ARGUMENT,
        handler: commandInfoCommand,
      }),
      sub({
        name: "command|help", arity: 2, since: "5.0.0", complexity: "O(1)",
        summary: "Show helpful text about the different subcommands",
        handler: commandHelp,
      }),
      sub({
        name: "command|list", arity: -2, since: "7.0.0", complexity: "O(N) where N is the total number of Redis commands",
        summary: "Get an array of Redis command names", tips: ["nondeterministic_output_order"],
        arguments: [{
          name: "filterby", type: "oneof", token: "FILTERBY", flags: ["optional"], arguments: [
            { name: "module-name", type: "string", token: "MODULE" },
            { name: "category", type: "string", token: "ACLCAT" },
            { name: "pattern", type: "pattern", token: "PATTERN" },
          ],
        }],
        handler: commandList,
      }),
      sub({
        name: "command|getkeys", arity: -4, since: "2.8.13", complexity: "O(N) where N is the number of arguments to the command",
        summary: "Extract keys given a full Redis command",
        handler: (ctx, args) => getKeys(ctx, args, false),
      }),
      sub({
        name: "command|getkeysandflags", arity: -4, since: "7.0.0", complexity: "O(N) where N is the number of arguments to the command",
        summary: "Extract keys and access flags given a full Redis command",
        handler: (ctx, args) => getKeys(ctx, args, true),
      }),
      sub({
        name: "command|docs", arity: -2, since: "7.0.0", complexity: "O(N) where N is the number of commands to look up",
        summary: "Get array of specific Redis command documentation", tips: ["nondeterministic_output_order"],
        arguments: COMMAND_NAME_ARGUMENT,
        handler: commandDocsCommand,
      }),
      sub({
        name: "command|count", arity: 2, since: "2.8.13", complexity: "O(1)",
        summary: "Get total number of Redis commands",
        handler: commandCount,
      }),
    ],
  },
];
