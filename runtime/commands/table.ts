// The command table: the union of every family's definitions, by name.
import type { CommandDef } from "./spec.ts";
import { stringCommands } from "./strings.ts";
import { keyCommands } from "./keys.ts";
import { hashCommands } from "./hashes.ts";
import { setCommands } from "./sets.ts";

export const allCommands: readonly CommandDef[] = [
  ...keyCommands,
  ...stringCommands,
  ...hashCommands,
  ...setCommands,
];

export const commandTable: ReadonlyMap<string, CommandDef> = new Map(allCommands.map((c) => [c.name, c]));
