// The engine conformance suite: every case, in order. Each host (Node,
// workerd, Chromium) runs this same list against the same core build.
//
// A command family adds its cases in cases/<family>.ts and one import plus
// one spread line here.
import type { EngineCase } from "./case.ts";
import { stringCases } from "./cases/strings.ts";
import { keyCases } from "./cases/keys.ts";
import { binaryCases } from "./cases/binary.ts";
import { expiryCases } from "./cases/expiry.ts";
import { memoryCases } from "./cases/memory.ts";
import { effectCases } from "./cases/effects.ts";
import { resp3Cases } from "./cases/resp3.ts";
import { commandCases } from "./cases/command.ts";
import { snapshotCases } from "./cases/snapshot.ts";

export const engineCases: readonly EngineCase[] = [
  ...stringCases,
  ...keyCases,
  ...binaryCases,
  ...expiryCases,
  ...memoryCases,
  ...effectCases,
  ...resp3Cases,
  ...commandCases,
  ...snapshotCases,
];

const names = new Set<string>();
for (const c of engineCases) {
  if (names.has(c.name)) throw new Error(`duplicate conformance case name: ${c.name}`);
  names.add(c.name);
}
