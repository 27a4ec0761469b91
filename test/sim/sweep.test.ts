// The seed sweep of the deterministic simulation (simulation.ts): many seeds
// of the protocol under faults, with leases, standbys and clients that keep
// reading from the primary they last used (a deposed one, too), each history
// checked for linearizability and for reads of lost data; plus proof that the
// sweep can fail (broken rules; stale reads from a deposed primary without
// leases). lease-drift.test.ts shows the same stale read with clocks that
// drift beyond the lease's margin (the sweep keeps them within it).
//
//   SIM_SEEDS=20000 npx vitest run test/sim/sweep.test.ts  more seeds (default 8000)
//   SIM_SEED=1234 npx vitest run test/sim/sweep.test.ts    replay one seed, printing its trace
//   SIM_FIRST_SEED=100000                                  where the sweep starts (default 1)
import { describe, expect, it } from "vitest";
import { runSimulation, type SimOptions, type SimResult } from "./simulation.ts";

// 2,500 seeds missed a bug that seed 511,427 found (docs/durability.md): the default is as many as CI affords.
const seeds = Number(process.env.SIM_SEEDS ?? 8000);
const firstSeed = Number(process.env.SIM_FIRST_SEED ?? 1);
const replay = process.env.SIM_SEED === undefined ? undefined : Number(process.env.SIM_SEED);

function report(result: SimResult): string {
  return `SIM_SEED=${result.seed} failed (replay: SIM_SEED=${result.seed} npx vitest run test/sim/sweep.test.ts)\n` +
    `${result.violations.join("\n")}\n--- trace (end) ---\n${result.trace().split("\n").slice(-400).join("\n")}`;
}

if (replay !== undefined) describe("one seed, replayed", () => {
  it(`SIM_SEED=${replay}`, async () => {
    const result = await runSimulation(replay!, { verbose: true });
    console.log(JSON.stringify(result.stats));
    expect(result.violations, report(result)).toEqual([]);
  });
});

else describe("the simulation", () => {
  it(`${seeds} seeds: every history linearizable, no acknowledged write or read value lost`, async () => {
    const failures: SimResult[] = [];
    const totals = { operations: 0, ok: 0, unknown: 0, primaries: 0, standbysPromoted: 0, replicaReads: 0, deposedReads: 0, nativeOperations: 0, respPerCommand: 0 };
    for (let seed = firstSeed; seed < firstSeed + seeds && failures.length === 0; seed++) {
      let result: SimResult;
      try {
        result = await runSimulation(seed);
      } catch (error) {
        // A crash of the simulation itself names its seed too, so it replays.
        throw new Error(`SIM_SEED=${seed}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      }
      totals.operations += result.stats.operations;
      totals.ok += result.stats.ok;
      totals.unknown += result.stats.unknown;
      totals.primaries += result.stats.primaries;
      totals.standbysPromoted += result.stats.standbysPromoted;
      totals.replicaReads += result.stats.replicaReads;
      totals.deposedReads += result.stats.deposedReads;
      totals.nativeOperations += result.stats.nativeOperations;
      totals.respPerCommand += result.stats.respPerCommand;
      if (result.violations.length > 0) failures.push(result);
    }
    if (failures.length > 0) console.error(report(failures[0]!));
    expect(failures.map((f) => `SIM_SEED=${f.seed}`)).toEqual([]);
    // The runs did something: many operations completed, and takeovers happened.
    expect(totals.ok).toBeGreaterThan(totals.operations / 4);
    expect(totals.primaries).toBeGreaterThan(seeds * 2);
    // Standbys took over, answered replica reads, and deposed primaries were asked to read.
    expect(totals.standbysPromoted).toBeGreaterThan(seeds / 10);
    expect(totals.replicaReads).toBeGreaterThan(seeds);
    expect(totals.deposedReads).toBeGreaterThan(seeds / 50);
    // Half the primaries' commands came as a RESP client's, most of them run as native runs, some
    // (handed back by the core, or arriving while no native run could start) on the per-command path.
    expect(totals.nativeOperations).toBeGreaterThan(totals.ok / 4);
    expect(totals.respPerCommand).toBeGreaterThan(totals.ok / 50);
    console.log(`sim sweep: ${JSON.stringify(totals)}`);
  });

  it("a seed replays exactly: the same trace and history", async () => {
    // Many seeds: real asynchronous work that the world does not wait for (a real timer, say)
    // makes some runs differ, and one seed can miss it (64 of 150 did once, 4242 not).
    for (let seed = 4242; seed < 4272; seed++) {
      const a = await runSimulation(seed);
      const b = await runSimulation(seed);
      expect(b.trace(), `SIM_SEED=${seed}`).toBe(a.trace());
      expect(JSON.stringify(b.history), `SIM_SEED=${seed}`).toBe(JSON.stringify(a.history));
      expect(a.stats.operations).toBeGreaterThan(20);
    }
  });

  /** The first seed (of `limit`) whose run under a broken rule has a violation. */
  async function firstViolation(breaks: SimOptions["breaks"], limit: number): Promise<SimResult | undefined> {
    for (let seed = 1; seed <= limit; seed++) {
      const result = await runSimulation(seed, { breaks });
      if (result.violations.length > 0) return result;
    }
    return undefined;
  }

  it("the sweep can fail: with a quorum of one (a broken rule), acknowledged writes are lost and caught", async () => {
    expect(await firstViolation({ quorum: 1 }, 200), "no violation in 200 seeds with a quorum of one").toBeDefined();
  });

  it("the sweep can fail: stores that lose acknowledged records when they crash (a lying fsync) are caught", async () => {
    const found = await firstViolation({ storesLoseAcknowledgedRecords: true }, 200);
    expect(found, "no violation in 200 seeds with stores that lose acknowledged records").toBeDefined();
  });

  it("the sweep can fail: native runs whose replies leave before their record commits lose acknowledged writes, caught", async () => {
    const found = await firstViolation({ nativeRepliesEarly: true }, 200);
    expect(found, "no violation in 200 seeds with native replies that do not wait").toBeDefined();
    expect(found!.violations.join("\n")).toMatch(/\(native run\)/);
  });

  it("the sweep can fail: standbys that apply records before they are committed show replica reads of lost data, caught", async () => {
    const found = await firstViolation({ tailsClaimCommitted: true }, 400);
    expect(found, "no violation in 400 seeds with tails that call every record committed").toBeDefined();
    expect(found!.violations.join("\n")).toMatch(/replica read/);
  });

  /** The first seed (of `limit`) whose run breaks linearizability with a read a deposed primary answered. */
  async function findStaleRead(overrides: Parameters<typeof runSimulation>[1], limit: number): Promise<SimResult | undefined> {
    for (let seed = 1; seed <= limit; seed++) {
      const result = await runSimulation(seed, overrides);
      if (result.violations.length === 0) continue;
      const violation = result.violations.find((v) => v.includes("not linearizable"));
      expect(violation, result.violations.join("\n")).toBeDefined();
      // The key that cannot be linearized was read from a primary after a newer one had started serving.
      const key = /^key (\S+):/.exec(violation!)![1];
      expect(result.history.some((e) => e.key === key && e.kind === "get" && e.outcome === "ok" && e.deposed === true)).toBe(true);
      return result;
    }
    return undefined;
  }

  it("without leases, a deposed primary that clients still read from serves stale reads: the checker flags them", async () => {
    // The sweep's scenario (reads: "sticky") with no lease: a primary that has
    // not heard of its successor answers reads of keys with nothing pending.
    const found = await findStaleRead({ reads: "sticky", leaseMs: 0 }, 400);
    expect(found, "no stale read in 400 seeds without leases").toBeDefined();
  });
});
