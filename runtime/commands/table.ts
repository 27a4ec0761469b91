// The command table: the union of every family's definitions, by name.
import type { CommandDef } from "./spec.ts";
import { stringCommands } from "./strings.ts";
import { keyCommands } from "./keys.ts";
import { connectionCommands } from "./connection.ts";
import { transactionCommands } from "./transactions.ts";
import { pubsubCommands } from "./pubsub.ts";
import { hyperloglogCommands } from "./hyperloglog.ts";
import { listCommands } from "./lists.ts";
import { blockingCommands } from "./blocking.ts";

export const allCommands: readonly CommandDef[] = [
  ...connectionCommands,
  ...keyCommands,
  ...stringCommands,
  ...transactionCommands,
  ...pubsubCommands,
  ...hyperloglogCommands,
  ...listCommands,
  ...blockingCommands,
];

export const commandTable: ReadonlyMap<string, CommandDef> = new Map(allCommands.map((c) => [c.name, c]));
