// The shape of the command table. Each family file (strings.ts, keys.ts, ...)
// exports an array of CommandDef: the declarative part (name, arity, flags,
// key positions, ACL categories, docs) as plain data, and its handler. The
// table in table.ts is their union; dispatch, COMMAND, ACL checks, cluster
// slots and the log read this one table and nothing else.

import type { Reply } from "../reply.ts";
import type { CommandContext } from "../context.ts";

export type CommandFlag =
  | "write" | "readonly" | "denyoom" | "admin" | "pubsub" | "noscript" | "blocking"
  | "loading" | "stale" | "skip_monitor" | "skip_slowlog" | "fast" | "no_auth"
  | "may_replicate" | "no_mandatory_keys" | "no_multi" | "movablekeys" | "allow_busy";

/**
 * How a command uses a key, as Redis's key-spec flags: RO/RW/OW/RM (read
 * only, read-write, overwrite, remove), access/update/insert/delete (what
 * happens to the value), not_key, incomplete, variable_flags (the real flags
 * depend on the arguments; see CommandDef.getKeys).
 */
export type KeySpecFlag =
  | "RO" | "RW" | "OW" | "RM" | "access" | "update" | "insert" | "delete"
  | "not_key" | "incomplete" | "variable_flags";

/**
 * Where the keys are, in argument positions counted with the command name at 0.
 * - range: keys at first, first+step, ... up to last (negative counts from the end).
 * - keynum: a count at `index`, then that many keys from index+firstOffset, every `step`.
 * `flags` and `notes` are Redis's for that key spec (COMMAND INFO shows them).
 */
export type KeySpec =
  | {
    readonly kind: "range"; readonly first: number; readonly last: number; readonly step: number;
    readonly flags?: readonly KeySpecFlag[]; readonly notes?: string;
  }
  | {
    readonly kind: "keynum"; readonly index: number; readonly firstOffset: number; readonly step: number;
    readonly flags?: readonly KeySpecFlag[]; readonly notes?: string;
  };

/** One key of one call: its argument position and how the call uses it. */
export interface KeyRef {
  readonly position: number;
  readonly flags: readonly KeySpecFlag[];
}

/** An argument as COMMAND DOCS describes it (Redis's command JSON "arguments"). */
export interface ArgSpec {
  readonly name: string;
  readonly type: "string" | "integer" | "double" | "key" | "pattern" | "unix-time" | "pure-token" | "oneof" | "block";
  readonly displayText?: string;
  readonly keySpecIndex?: number;
  readonly token?: string;
  readonly summary?: string;
  readonly since?: string;
  readonly deprecatedSince?: string;
  readonly flags?: readonly ("optional" | "multiple" | "multiple_token")[];
  /** The alternatives of a oneof, the parts of a block. */
  readonly arguments?: readonly ArgSpec[];
}

/** The documentation part of a command, as generated from redis-server (redis-docs.generated.ts). */
export interface RedisCommandDocs {
  readonly summary?: string;
  readonly since?: string;
  readonly group?: string;
  readonly complexity?: string;
  readonly docFlags?: readonly string[];
  readonly deprecatedSince?: string;
  readonly replacedBy?: string;
  readonly history?: readonly (readonly string[])[];
  readonly arguments?: readonly unknown[];
  readonly tips?: readonly string[];
  readonly keySpecs?: readonly { readonly flags?: readonly string[]; readonly notes?: string }[];
}

export type Handler = (ctx: CommandContext, args: Uint8Array[]) => Reply;

export interface CommandDef {
  /** Lower case, as Redis reports it ("get", or "object|encoding" for a subcommand). */
  readonly name: string;
  /** Argument count including the name; negative means "at least -arity". */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  readonly keys: readonly KeySpec[];
  /** ACL categories without '@': "read", "string", "fast", ... */
  readonly acl: readonly string[];
  readonly group: string;
  readonly summary: string;
  readonly since: string;
  readonly complexity?: string;
  /** Hints for clients and proxies, as in COMMAND INFO: "nondeterministic_output", "request_policy:all_shards", ... */
  readonly tips?: readonly string[];
  /** COMMAND DOCS "history": [version, what changed], oldest first. */
  readonly history?: readonly (readonly [string, string])[];
  readonly docFlags?: readonly ("deprecated" | "syscmd")[];
  readonly deprecatedSince?: string;
  readonly replacedBy?: string;
  /** The arguments after the name (after the subcommand name for a subcommand), as COMMAND DOCS shows them. */
  readonly arguments?: readonly ArgSpec[];
  /**
   * The keys of a call when the key specs cannot say (their flags depend on
   * the arguments: "variable_flags"); null if the arguments are invalid.
   */
  readonly getKeys?: (args: readonly Uint8Array[]) => KeyRef[] | null;
  /**
   * Present on container commands such as OBJECT or COMMAND: the dispatcher
   * runs the subcommand named by the second argument; the container's own
   * handler runs only when it is called with no subcommand (COMMAND alone).
   */
  readonly subcommands?: readonly CommandDef[];
  readonly handler: Handler;
}

export const range = (first: number, last: number, step = 1, flags: readonly KeySpecFlag[] = [], notes?: string): KeySpec =>
  ({ kind: "range", first, last, step, flags, notes });
export const keynum = (index: number, firstOffset = 1, step = 1, flags: readonly KeySpecFlag[] = [], notes?: string): KeySpec =>
  ({ kind: "keynum", index, firstOffset, step, flags, notes });

/** The subcommand of a container command by its own name in lower case ("encoding" of OBJECT), if any. */
export function findSubcommand(container: CommandDef, lowerName: string): CommandDef | undefined {
  const fullName = `${container.name}|${lowerName}`;
  return container.subcommands?.find((s) => s.name === fullName);
}

/** Argument positions of the keys of one call, per the command's key specs. */
export function keyPositions(def: CommandDef, argc: number, args: readonly Uint8Array[]): number[] {
  const positions: number[] = [];
  for (const spec of def.keys) {
    if (spec.kind === "range") {
      const last = spec.last < 0 ? argc + spec.last : spec.last;
      for (let i = spec.first; i <= last && i < argc; i += spec.step) positions.push(i);
    } else {
      const countArg = args[spec.index];
      if (countArg === undefined) continue;
      const count = Number(new TextDecoder().decode(countArg));
      if (!Number.isInteger(count) || count < 0) continue;
      const first = spec.index + spec.firstOffset;
      for (let k = 0; k < count; k++) {
        const i = first + k * spec.step;
        if (i < argc) positions.push(i);
      }
    }
  }
  return positions;
}

/**
 * The keys of one call and their flags, found the way Redis does it: through
 * the command's getKeys when it has one, else through its key specs. Returns
 * null when the arguments do not fit the specs (a count that is not a
 * non-negative integer, a range past the end): Redis then finds no keys.
 */
export function keysOfCall(def: CommandDef, args: readonly Uint8Array[]): KeyRef[] | null {
  if (def.getKeys !== undefined) return def.getKeys(args);
  const argc = args.length;
  const keys: KeyRef[] = [];
  for (const spec of def.keys) {
    const flags = spec.flags ?? [];
    if (flags.includes("not_key")) continue;
    let first: number, last: number;
    if (spec.kind === "range") {
      first = spec.first;
      last = spec.last >= 0 ? spec.last : argc + spec.last;
    } else {
      if (spec.index >= argc) return null;
      const count = parseCount(args[spec.index]!);
      if (count === null) return null;
      first = spec.index + spec.firstOffset;
      last = first + count - 1;
    }
    // Out of bounds, or a count of 0: Redis calls the spec invalid.
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += spec.step) keys.push({ position: i, flags });
  }
  return keys;
}

function parseCount(bytes: Uint8Array): number | null {
  const text = new TextDecoder().decode(bytes);
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
