// The command table: the union of every family's definitions, by name.
import type { CommandDef } from "./spec.ts";
import { stringCommands } from "./strings.ts";
import { keyCommands } from "./keys.ts";
import { zsetCommands } from "./zsets.ts";

export const allCommands: readonly CommandDef[] = [
  ...keyCommands,
  ...stringCommands,
  ...zsetCommands,
];

export const commandTable: ReadonlyMap<string, CommandDef> = new Map(allCommands.map((c) => [c.name, c]));
