// The log's foundation: every write yields a deterministic effect record, so
// replaying the records of a workload into a fresh engine rebuilds the same
// keyspace — including writes whose outcome depended on randomness, on the
// clock (relative expiries) or on float arithmetic.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Engine } from "../../runtime/engine.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import { utf8 } from "../../runtime/bytes.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { dumpKeyspace } from "../helpers/keyspace-dump.ts";
import { templates, step, instantiate } from "../helpers/workload.ts";

describe("effect records", () => {
  it("replaying a random workload's effects into a fresh engine gives an identical keyspace", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 120 }), fc.integer(), async (steps, seed) => {
        let now = 1_700_000_000_000;
        const clock = () => now;
        const effects: EffectRecord[] = [];
        const original = await Engine.create(coreModule(), { clock, seed, onEffect: (r) => effects.push(r) });
        const session = original.newSession();
        for (const s of steps) {
          now += s.advanceMs;
          session.db = s.db;
          original.execute(session, instantiate(templates[s.template]!, s.picks).map(utf8));
        }
        const replica = await Engine.create(coreModule(), { clock, seed: seed ^ 0x5bd1e995 });
        for (const record of effects) replica.apply(record);
        expect(dumpKeyspace(replica)).toBe(dumpKeyspace(original));
      }),
      { numRuns: 150 },
    );
  });
});
