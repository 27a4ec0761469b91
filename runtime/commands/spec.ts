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
 * Where the keys are, in argument positions counted with the command name at 0.
 * - range: keys at first, first+step, ... up to last (negative counts from the end).
 * - keynum: a count at `index`, then that many keys from index+firstOffset, every `step`.
 */
export type KeySpec =
  | { readonly kind: "range"; readonly first: number; readonly last: number; readonly step: number }
  | { readonly kind: "keynum"; readonly index: number; readonly firstOffset: number; readonly step: number };

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
  /** Present on container commands such as OBJECT; their own handler is not used. */
  readonly subcommands?: readonly CommandDef[];
  readonly handler: Handler;
}

export const range = (first: number, last: number, step = 1): KeySpec => ({ kind: "range", first, last, step });
export const keynum = (index: number, firstOffset = 1, step = 1): KeySpec => ({ kind: "keynum", index, firstOffset, step });

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
