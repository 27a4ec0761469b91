// One run of the simulation: three log stores, a primary, standbys that
// follow the log and take over when its lease lapses, later primaries, and
// clients, in one World driven by one seed, each process on its own clock
// (drifting a little); faults during the active part (store crashes that lose
// unsynced tails, partitions, primary crashes and takeovers, two primaries
// at once); then an audit: every
// primary is stopped, the stores come back, a fresh primary recovers from them
// and reads every key. The history of client operations, with the audit's
// reads at its end, is checked for linearizability key by key, and every
// value a client saw acknowledged or read must be one the recovered log holds.
// Reads from a following standby (replica reads, stale by design) are not in
// the linearizability check: each must show exactly the key's value in the
// recovered log at the LSN the standby had applied (a committed prefix).

import { loadCrc32c, type Crc32c } from "../../runtime/log/crc32c.ts";
import { decodeFrames } from "../../runtime/log/frame.ts";
import { decodeEffects } from "../../runtime/log/payload.ts";
import { EPOCH_RECORD_COMMAND } from "../../runtime/log/replicator.ts";
import { coreModule } from "../helpers/core-bytes.ts";
import { World, type Prng } from "./world.ts";
import { Network, QUIET_NETWORK, type NetworkFaults } from "./network.ts";
import { SimStore, type DiskFaults } from "./store.ts";
import { SimPrimary, type ApiReply, type PrimarySettings } from "./primary.ts";
import { SimStandby } from "./standby.ts";
import { checkLinearizable, type KeyValue, type Operation, type TimedOperation } from "./linearizability.ts";

export interface SimOptions {
  seed: number;
  /** Simulated ms during which clients issue operations and faults happen. */
  activeMs: number;
  clients: number;
  keys: number;
  /**
   * Where clients send reads. "newest": to the primary that started serving
   * last. "sticky": to the primary the client last used, which may be a
   * deposed one that has not noticed: its lease keeps it from answering a
   * stale read; without leases it can, and the checker flags it.
   */
  reads: "newest" | "sticky";
  /** Share of a primary's commands sent as a RESP client sends them (native runs), not through the HTTP API. */
  nativeRuns: number;
  /** Share of those that pipeline two or three commands (one native run where the core runs them all). */
  pipelines: number;
  /** Share of reads sent to a standby that follows the log (a replica read), when one does. */
  replicaReads: number;
  /** The primaries' lease (ms; 0: none, to show what leases prevent). Drawn per seed (60-300) unless given. */
  leaseMs: number;
  /** Each process's clock runs at 1 ± up to this against simulated time (drawn per process). */
  clockDriftMax: number;
  /** Also start new candidates while the current primary is alive (two primaries at once), not only after it crashed. */
  overlap: boolean;
  /** Primaries and standbys started in one run at most (the first, standbys, restarts, candidates). */
  primariesMax: number;
  /** Mean simulated ms between faults. */
  faultEveryMs: number;
  /** A client's request timeout (simulated ms): its outcome is then unknown. */
  clientTimeoutMs: number;
  network: NetworkFaults;
  disk: DiskFaults;
  commitTimeoutMs: number;
  requestTimeoutMs: number;
  /** Broken rules, to show the checker catches what they cause. */
  breaks: {
    quorum?: number;
    storesLoseAcknowledgedRecords?: boolean;
    /** Tail streams call every record committed, so standbys apply (and show) records that may be lost. */
    tailsClaimCommitted?: boolean;
    /** Native runs' replies leave before their record commits. */
    nativeRepliesEarly?: boolean;
  };
  verbose: boolean;
}

export const DEFAULT_OPTIONS: Omit<SimOptions, "seed"> = {
  activeMs: 1200,
  clients: 4,
  keys: 3,
  reads: "sticky",
  nativeRuns: 0.5,
  pipelines: 0.3,
  replicaReads: 0.2,
  leaseMs: 150,
  // Any two clocks differ in rate by less than 5% (1.024 / 0.976 < 1 / 0.95): within LEASE_DRIFT_MARGIN.
  clockDriftMax: 0.024,
  overlap: true,
  primariesMax: 5,
  faultEveryMs: 120,
  clientTimeoutMs: 600,
  network: {
    delayMinMs: 0.1, delayMaxMs: 2, slowRate: 0.02, slowMaxMs: 300, dropRate: 0.01, duplicateRate: 0.02,
    streamBreakRate: 0.002, streamCutBreakMs: 200,
  },
  disk: { syncMinMs: 0.1, syncMaxMs: 2, slowSyncRate: 0.02, slowSyncMaxMs: 100, unsyncedKeptMax: 4 },
  commitTimeoutMs: 250,
  requestTimeoutMs: 150,
  breaks: {},
  verbose: false,
};

export interface HistoryEntry {
  readonly id: number;
  readonly client: string;
  readonly primary: string;
  readonly key: string;
  readonly kind: "set" | "get" | "incr";
  /** SET's value. */
  readonly value?: string;
  readonly call: number;
  ret: number;
  outcome: "pending" | "ok" | "failed" | "unknown";
  result?: KeyValue | number;
  /** Why it failed or is unknown. */
  note?: string;
  /** A read answered by a primary after a newer one had started serving (only without leases may it be stale). */
  deposed?: boolean;
  /** A read answered by a following standby: the LSN it had applied the log up to. */
  replicaApplied?: number;
  /** Sent as a RESP client sends it (the RESP server's path), not through the HTTP API. */
  resp?: boolean;
  /** Answered by a native run (sent as a RESP client sends it, and the core ran it). */
  native?: boolean;
}

export interface SimResult {
  seed: number;
  violations: string[];
  history: HistoryEntry[];
  /** Final values the audit read. */
  finalValues: Map<string, KeyValue>;
  stats: {
    operations: number; ok: number; failed: number; unknown: number; primaries: number; events: number; simulatedMs: number;
    /** Standbys that took over as the primary. */
    standbysPromoted: number;
    /** Reads a following standby answered. */
    replicaReads: number;
    /** Reads a primary answered (data or error) after a newer one had started serving. */
    deposedReads: number;
    /** Operations a primary answered with a native run (sent as a RESP client sends them). */
    nativeOperations: number;
    /** Operations a RESP client sent that took the per-command path (handed back by the core, or no native run could start). */
    respPerCommand: number;
  };
  trace(): string;
}

let crc32cLoaded: Crc32c | undefined;

/** Runs one seed. Deterministic: the same options give the same trace and history. */
export async function runSimulation(seed: number, overrides: Partial<Omit<SimOptions, "seed">> = {}): Promise<SimResult> {
  const options: SimOptions = { ...DEFAULT_OPTIONS, ...overrides, seed };
  const module = coreModule();
  crc32cLoaded ??= await loadCrc32c(module);
  const crc32c = crc32cLoaded;
  const world = new World(seed);
  world.verbose = options.verbose;
  const random = world.random;
  // Swarm testing: unless a test fixes them, each seed draws its own fault rates, from calm to harsh.
  if (overrides.network === undefined) options.network = swarmNetwork(random);
  if (overrides.disk === undefined) options.disk = swarmDisk(random);
  if (overrides.faultEveryMs === undefined) options.faultEveryMs = random.between(40, 250);
  if (overrides.leaseMs === undefined) options.leaseMs = random.between(60, 300);
  // lease-drift.test.ts shows what a drift beyond the margin does.
  const clockRate = (): number => 1 + (2 * random.next() - 1) * options.clockDriftMax;
  const net = new Network(world, options.network);
  const stores = ["store-a", "store-b", "store-c"].map((name) => new SimStore(world, crc32c, name, options.disk, clockRate()));
  for (const store of stores) {
    store.losesAcknowledgedRecords = options.breaks.storesLoseAcknowledgedRecords === true;
    store.tailsClaimCommitted = options.breaks.tailsClaimCommitted === true;
  }
  const settings: PrimarySettings = {
    quorum: options.breaks.quorum ?? 2, commitTimeoutMs: options.commitTimeoutMs, requestTimeoutMs: options.requestTimeoutMs,
    leaseMs: options.leaseMs, nativeRepliesEarly: options.breaks.nativeRepliesEarly === true,
  };
  world.trace(`lease ${options.leaseMs} ms; store clock rates ${stores.map((s) => s.clockRate.toFixed(4)).join(", ")}`);
  /** Every primary and standby started, in order. */
  const primaries: SimNode[] = [];
  const violations: string[] = [];

  /** The highest LSN each primary committed, with its epoch: the recovered log must hold that record. */
  const commits = new Map<SimNode, number>();
  const startNode = (name: string, kind: "primary" | "standby"): SimNode => {
    const rate = clockRate();
    const node = kind === "primary"
      ? new SimPrimary(world, net, stores, crc32c, module, name, settings, rate)
      : new SimStandby(world, net, stores, crc32c, module, name, settings, rate);
    world.trace(`${name}: clock rate ${rate.toFixed(4)}`);
    primaries.push(node);
    node.start().then(() => {
      node.replicator.onCommit((lsn) => { if (node.incarnation.alive) commits.set(node, lsn); });
    }, (error: unknown) => {
      // A start that fails exits the process (server/cli.ts); a standby may be started again.
      world.trace(`${name}: start failed: ${error instanceof Error ? error.message : String(error)}`);
      node.crash();
    });
    return node;
  };
  const startPrimary = (name: string): SimNode => startNode(name, "primary");
  const newest = (): SimNode => primaries[primaries.length - 1]!;
  /**
   * Where a client without a primary sends its commands: the one that started
   * serving last and does not know it was deposed (the newest started, before any serves).
   */
  const leader = (): SimNode => {
    let best: SimNode | undefined;
    for (const p of primaries) {
      if (p.state !== "serving" || p.replicator.state === "fenced") continue;
      if (best === undefined || p.servingSince! > best.servingSince!) best = p;
    }
    return best ?? newest();
  };
  const following = (): SimStandby[] => primaries.filter((p): p is SimStandby => p instanceof SimStandby && p.state === "following");

  // ---- clients ----

  const history: HistoryEntry[] = [];
  const keys = Array.from({ length: options.keys }, (_, i) => `k${i}`);
  interface Client { name: string; sticky: SimNode | null }
  const clients: Client[] = Array.from({ length: options.clients }, (_, i) => ({ name: `client-${i}`, sticky: null }));
  let pendingOps = 0;

  const settle = (entry: HistoryEntry, outcome: HistoryEntry["outcome"], note?: string, result?: KeyValue | number): void => {
    if (entry.outcome !== "pending") return;
    entry.outcome = outcome;
    entry.ret = outcome === "unknown" ? Infinity : world.steps;
    if (note !== undefined) entry.note = note;
    if (result !== undefined) entry.result = result;
    pendingOps--;
    world.trace(`${entry.client}: #${entry.id} ${describe(entry)}`);
  };

  const classify = (entry: HistoryEntry, reply: ApiReply): void => {
    const error = reply.body.error;
    if (reply.status === 200 && error === undefined) {
      const result = reply.body.result;
      if (entry.kind === "set" && result !== "OK") violations.push(`#${entry.id}: SET answered ${JSON.stringify(result)}`);
      if (entry.kind === "get" && result !== null && typeof result !== "string") violations.push(`#${entry.id}: GET answered ${JSON.stringify(result)}`);
      if (entry.kind === "incr" && typeof result !== "number") violations.push(`#${entry.id}: INCR answered ${JSON.stringify(result)}`);
      settle(entry, "ok", undefined, entry.kind === "set" ? undefined : (result as KeyValue | number));
      return;
    }
    const message = error ?? `HTTP ${reply.status}`;
    if (message.startsWith("NOTDURABLE writes are refused")) settle(entry, "failed", message);
    else if (message.startsWith("NOTDURABLE")) settle(entry, entry.kind === "get" ? "failed" : "unknown", message);
    else {
      violations.push(`#${entry.id} (${entry.kind} ${entry.key}): unexpected error ${message}`);
      settle(entry, "unknown", message);
    }
  };

  /** A random operation's key and kind. */
  const draw = (): { key: string; kind: HistoryEntry["kind"] } => {
    const key = random.pick(keys);
    const r = random.next();
    return { key, kind: r < 0.4 ? "get" : r < 0.7 ? "set" : "incr" };
  };

  const issue = (client: Client): void => {
    if (world.now >= options.activeMs) return;
    const first = draw();
    const replicas = first.kind === "get" ? following() : [];
    if (replicas.length > 0 && random.chance(options.replicaReads)) {
      replicaRead(client, first.key, random.pick(replicas));
      return;
    }
    const target = first.kind === "get" && options.reads === "newest" ? leader() : (client.sticky ?? leader());
    client.sticky = target;
    // A RESP client (the server's native runs) sometimes pipelines two or three commands.
    const resp = random.chance(options.nativeRuns);
    const ops = [first];
    if (resp && random.chance(options.pipelines)) for (let n = random.int(2) + 1; n > 0; n--) ops.push(draw());
    const entries: HistoryEntry[] = [];
    const commands: string[][] = [];
    for (const op of ops) {
      const id = history.length + 1;
      const entry: HistoryEntry = {
        id, client: client.name, primary: target.name, key: op.key, kind: op.kind, call: world.steps, ret: Infinity, outcome: "pending",
        ...(op.kind === "set" ? { value: String(id * 1_000_000) } : {}), ...(resp ? { resp } : {}),
      };
      history.push(entry);
      entries.push(entry);
      pendingOps++;
      // SET with an expiry (far beyond the run) is a command the core hands back: the rest of the pipeline takes the per-command path.
      commands.push(op.kind === "set" ? ["SET", op.key, entry.value!, ...(resp && random.chance(0.2) ? ["PX", "600000"] : [])] : [op.kind.toUpperCase(), op.key]);
    }
    world.trace(`${client.name}: ${entries.map((e, i) => `#${e.id} ${commands[i]!.join(" ")}`).join("; ")} -> ${target.name}${resp ? " (RESP)" : ""}`);
    let answered = false;
    const next = (): void => {
      world.at(random.next() * 20, null, () => issue(client));
    };
    world.at(options.clientTimeoutMs, null, () => {
      if (answered) return;
      answered = true;
      for (const entry of entries) settle(entry, entry.kind === "get" ? "failed" : "unknown", "timed out");
      client.sticky = null;
      next();
    });
    net.send(client.name, target.name, () => {
      const at = target.incarnation;
      if (target.state !== "serving") {
        // Connection refused (or a standby's: not the primary yet): the commands never ran.
        net.send(target.name, client.name, () => {
          if (answered) return;
          answered = true;
          for (const entry of entries) settle(entry, "failed", `${target.name} is not serving`);
          client.sticky = null;
          next();
        });
        return;
      }
      const replies = resp ? target.respCommands(commands) : target.command(commands[0]!).then((reply) => [reply]);
      void replies.then((replies) => {
        if (!at.alive) return;
        const deposed = primaries.some((p) => p.servingSince !== undefined && p.replicator.epoch > target.replicator.epoch);
        for (const entry of entries) if (entry.kind === "get" && deposed) entry.deposed = true;
        net.send(target.name, client.name, () => {
          if (answered) return;
          answered = true;
          entries.forEach((entry, i) => {
            const reply = replies[i]!;
            if (reply.native === true) entry.native = true;
            classify(entry, reply);
            if (reply.body.error?.includes("deposed") === true) client.sticky = null;
          });
          next();
        });
      });
    });
  };

  /** A read from a following standby: its committed data, perhaps stale (checked against the recovered log below). */
  const replicaRead = (client: Client, key: string, target: SimStandby): void => {
    const id = history.length + 1;
    const entry: HistoryEntry = {
      id, client: client.name, primary: target.name, key, kind: "get", call: world.steps, ret: Infinity, outcome: "pending",
    };
    history.push(entry);
    pendingOps++;
    world.trace(`${client.name}: #${id} GET ${key} -> ${target.name} (replica read)`);
    const next = (): void => {
      world.at(random.next() * 20, null, () => issue(client));
    };
    world.at(options.clientTimeoutMs, null, () => {
      if (entry.outcome !== "pending") return;
      settle(entry, "failed", "timed out");
      next();
    });
    net.send(client.name, target.name, () => {
      const at = target.incarnation;
      if (target.state !== "following") {
        net.send(target.name, client.name, () => {
          if (entry.outcome !== "pending") return;
          settle(entry, "failed", `${target.name} is not following`);
          next();
        });
        return;
      }
      void target.read(["GET", key]).then(({ reply, applied }) => {
        if (!at.alive) return;
        net.send(target.name, client.name, () => {
          if (entry.outcome !== "pending") return;
          entry.replicaApplied = applied;
          classify(entry, reply);
          next();
        });
      });
    });
  };

  // ---- faults ----

  let standbys = 0;
  /** Set when the audit begins: no process of the run starts after that. */
  let auditing = false;
  const fault = (): void => {
    if (world.now >= options.activeMs) return;
    world.at(random.next() * 2 * options.faultEveryMs, null, fault);
    const choice = random.int(11);
    const alive = primaries.filter((p) => p.state !== "dead");
    if (choice <= 2) {
      const store = random.pick(stores);
      if (!store.up) return;
      store.crash();
      world.at(random.between(5, 400), null, () => store.restart());
    } else if (choice <= 5) {
      if (alive.length === 0) return;
      const primary = random.pick(alive);
      const store = random.pick(stores);
      net.cut(primary.name, store.name);
      world.at(random.between(5, 500), null, () => net.heal(primary.name, store.name));
    } else if (choice === 6) {
      if (alive.length === 0) return;
      const primary = random.pick(alive);
      const client = random.pick(clients);
      net.cut(primary.name, client.name);
      world.at(random.between(5, 300), null, () => net.heal(primary.name, client.name));
    } else if (choice === 10) {
      // SAVE on the newest primary: a snapshot at its last LSN, stored once that is committed.
      const current = leader();
      if (current.state === "serving") void current.persistence!.save();
    } else if (primaries.length < options.primariesMax) {
      const current = leader();
      if (current.state !== "serving") {
        // A takeover is under way, unless every process has died (a supervisor starts one).
        if (primaries.every((p) => p.state === "dead")) startNode(`restarted-${++standbys}`, "primary");
        return;
      }
      const overlap = options.overlap && choice === 8;
      if (choice === 9) {
        // A standby joins: it follows the log, answers replica reads, and waits for the lease.
        startNode(`standby-${++standbys}`, "standby");
      } else if (!overlap) {
        // Killed, or stopped cleanly (its lease released, so a successor need not wait).
        if (current instanceof SimPrimary && random.chance(0.5)) void current.stop();
        else current.crash();
        // A following standby takes over once the lease lapses; without one, a process is started to.
        if (following().length === 0) {
          const kind = random.chance(0.5) ? "standby" : "primary";
          world.at(random.between(1, 200), null, () => {
            if (!auditing) startNode(`${kind === "standby" ? "standby" : "restarted"}-${++standbys}`, kind);
          });
        }
      } else {
        // A second candidate while the first lives, perhaps cut off from some stores.
        if (random.chance(0.5)) {
          for (const store of stores) {
            if (random.chance(0.6)) {
              net.cut(current.name, store.name);
              world.at(random.between(50, 800), null, () => net.heal(current.name, store.name));
            }
          }
        }
        startPrimary(`candidate-${++standbys}`);
      }
    }
  };

  // ---- the run ----

  // A primary whose start fails exits (a lost recovery read, say); it is started again, as a supervisor would.
  for (let attempt = 1; attempt <= 3 && primaries.every((p) => p.state !== "serving"); attempt++) {
    const first = startPrimary(attempt === 1 ? "primary" : `primary-${attempt}`);
    await world.run(world.now + 600_000, () => first.state !== "starting");
  }
  if (random.chance(0.5)) startNode(`standby-${++standbys}`, "standby");
  if (leader().state !== "serving") violations.push("no primary could start");
  const activeFrom = world.now;
  options.activeMs += activeFrom;
  for (const client of clients) world.at(random.next() * 5, null, () => issue(client));
  world.at(random.next() * options.faultEveryMs, null, fault);
  await world.run(options.activeMs + options.clientTimeoutMs + 50, () => world.now >= options.activeMs && pendingOps === 0);
  if (pendingOps !== 0) violations.push(`${pendingOps} operation(s) never settled`);

  // ---- the audit: every primary stops, the stores come back, a fresh primary recovers ----

  auditing = true;
  for (const p of primaries) p.crash();
  net.healAll();
  net.faults = QUIET_NETWORK;
  for (const store of stores) store.restart();
  world.trace("audit: every primary stopped, stores up, network healed");
  const auditor = startPrimary("auditor");
  await world.run(world.now + 600_000, () => auditor.state !== "starting");
  const finalValues = new Map<string, KeyValue>();
  const logValues = new Map<string, Set<KeyValue>>();
  /** Each key's values in the recovered log, with the LSN of the record that wrote each. */
  const changes = new Map<string, Array<{ lsn: number; value: string }>>();
  /** Where the recovered log ends (the auditor's epoch record is its last record). */
  let logEnd = 0;
  if (auditor.state !== "serving") {
    violations.push("the audit primary could not recover from the stores");
  } else {
    for (const key of keys) {
      const reply = await drive(world, auditor.command(["GET", key]));
      const value = reply.body.result;
      if (reply.status !== 200 || (value !== null && typeof value !== "string")) {
        violations.push(`audit: GET ${key} answered ${JSON.stringify(reply.body)}`);
        continue;
      }
      finalValues.set(key, value);
    }
    const rep = auditor.replicator;
    logEnd = rep.lastLsn;
    const values = new Map<string, KeyValue>();
    const epochs: number[] = [];
    for (const key of keys) changes.set(key, []);
    for (const key of keys) logValues.set(key, new Set([null]));
    // The prefix the stores trimmed (below snapshots) is read from what they dropped.
    const trimmed = new Map<number, { lsn: number; epoch: number; payload: Uint8Array }>();
    for (const store of stores) {
      for (const [lsn, record] of store.trimmed) {
        if (!trimmed.has(lsn)) trimmed.set(lsn, decodeFrames(record.frame, crc32c).records[0]!);
      }
    }
    let readFrom = 1;
    while (trimmed.has(readFrom)) readFrom++;
    const replay = (records: Iterable<{ lsn: number; epoch: number; payload: Uint8Array }>): void => {
      for (const record of records) {
        epochs[record.lsn] = record.epoch;
        for (const effect of decodeEffects(record.payload)) {
          const args = effect.args.map((a) => new TextDecoder().decode(a));
          const name = args[0]!.toUpperCase();
          if (name === EPOCH_RECORD_COMMAND) continue;
          const key = args[1]!;
          const before = values.get(key) ?? null;
          const after = name === "SET" ? args[2]! : name === "INCR" ? String(Number(before ?? "0") + 1) : undefined;
          if (after === undefined) {
            violations.push(`log record ${record.lsn}: unexpected effect ${args.join(" ")}`);
            continue;
          }
          values.set(key, after);
          logValues.get(key)?.add(after);
          changes.get(key)?.push({ lsn: record.lsn, value: after });
        }
      }
    };
    replay([...trimmed.values()].filter((r) => r.lsn < readFrom).sort((a, b) => a.lsn - b.lsn));
    if (readFrom <= rep.lastLsn) {
      await drive(world, rep.readLog(readFrom, rep.lastLsn, (frames) => replay(decodeFrames(frames, crc32c).records)));
    }
    // Everything a primary counted as committed is in the recovered log: the same record (LSN and
    // epoch; a serving primary's commit LSN is at or after its epoch record, so the record is of its epoch).
    for (const [primary, lsn] of commits) {
      const epoch = primary.replicator.epoch;
      if (primary === auditor || lsn === 0 || epochs[lsn] === epoch) continue;
      violations.push(`${primary.name} (epoch ${epoch}) committed up to LSN ${lsn}, but the recovered log ` +
        `holds ${epochs[lsn] === undefined ? "no record" : `a record of epoch ${epochs[lsn]}`} there (lost)`);
    }
  }

  // ---- the checks ----

  const auditCall = world.steps + 1;
  let nextId = history.length + 1;
  for (const key of keys) {
    const ops: TimedOperation[] = [];
    for (const e of history) {
      if (e.key !== key || e.replicaApplied !== undefined) continue;
      const op = asOperation(e);
      if (op !== null) ops.push({ id: e.id, op, call: e.call, ret: e.outcome === "ok" ? e.ret : Infinity });
    }
    const final = finalValues.get(key);
    if (final !== undefined) ops.push({ id: nextId++, op: { kind: "get", result: final }, call: auditCall, ret: auditCall + 1 });
    const verdict = checkLinearizable(ops);
    if (!verdict.ok) {
      violations.push(`key ${key}: not linearizable (final value ${JSON.stringify(final)}); ` +
        `stuck at #${verdict.stuckAt?.id}; its history:\n${history.filter((e) => e.key === key).map((e) => `  ${describe(e)}`).join("\n")}`);
    }
    const held = logValues.get(key);
    if (held === undefined) continue;
    // A replica read shows the committed log up to what the standby applied: the key's value there.
    const keyChanges = changes.get(key) ?? [];
    for (const e of history) {
      if (e.key !== key || e.outcome !== "ok" || e.replicaApplied === undefined) continue;
      let expected: KeyValue = null;
      for (const c of keyChanges) if (c.lsn <= e.replicaApplied) expected = c.value;
      if (e.replicaApplied >= logEnd) {
        violations.push(`#${e.id} ${describe(e)}: the standby had applied the log up to LSN ${e.replicaApplied}, ` +
          `but the recovered log ends before it (at ${logEnd - 1}, then the audit's epoch record)`);
      } else if (e.result !== expected) {
        violations.push(`#${e.id} ${describe(e)}: a replica read at applied LSN ${e.replicaApplied} showed ` +
          `${JSON.stringify(e.result)}, but the recovered log has ${JSON.stringify(expected)} there`);
      }
    }
    for (const e of history) {
      if (e.key !== key || e.outcome !== "ok") continue;
      const seen = e.kind === "set" ? e.value! : e.kind === "incr" ? String(e.result) : (e.result as KeyValue);
      if (!held.has(seen)) {
        violations.push(`#${e.id} ${describe(e)}: the value ${JSON.stringify(seen)} is not in the recovered log (lost)`);
      }
    }
  }

  const count = (o: HistoryEntry["outcome"]) => history.filter((e) => e.outcome === o).length;
  return {
    seed, violations, history, finalValues,
    stats: {
      operations: history.length, ok: count("ok"), failed: count("failed"), unknown: count("unknown"),
      primaries: primaries.length, events: world.steps, simulatedMs: Math.round(world.now),
      standbysPromoted: primaries.filter((p) => p instanceof SimStandby && p.servingSince !== undefined).length,
      replicaReads: history.filter((e) => e.outcome === "ok" && e.replicaApplied !== undefined).length,
      deposedReads: history.filter((e) => e.deposed === true).length,
      nativeOperations: history.filter((e) => e.outcome === "ok" && e.native === true).length,
      respPerCommand: history.filter((e) => e.outcome === "ok" && e.resp === true && e.native !== true).length,
    },
    trace: () => world.traceText(),
  };
}

function swarmNetwork(random: Prng): NetworkFaults {
  return {
    delayMinMs: 0.05 + random.next() * 0.5,
    delayMaxMs: 1 + random.next() * 4,
    slowRate: random.next() * 0.08,
    slowMaxMs: random.between(50, 500),
    dropRate: random.next() * 0.04,
    duplicateRate: random.next() * 0.1,
    streamBreakRate: random.next() * 0.01,
    streamCutBreakMs: random.between(50, 1000),
  };
}

function swarmDisk(random: Prng): DiskFaults {
  return {
    syncMinMs: 0.05 + random.next() * 0.5,
    syncMaxMs: 1 + random.next() * 3,
    slowSyncRate: random.next() * 0.08,
    slowSyncMaxMs: random.between(20, 300),
    unsyncedKeptMax: random.int(12),
  };
}

/** Runs the world until `promise` settles (bounded in simulated time). */
async function drive<T>(world: World, promise: Promise<T>, limitMs = 120_000): Promise<T> {
  let settled = false;
  let value: T | undefined;
  let failure: unknown;
  promise.then((v) => { settled = true; value = v; }, (e: unknown) => { settled = true; failure = e ?? new Error("rejected"); });
  await world.run(world.now + limitMs, () => settled);
  if (!settled) throw new Error(`the simulation did not settle within ${limitMs} simulated ms`);
  if (failure !== undefined) throw failure;
  return value as T;
}

function asOperation(e: HistoryEntry): Operation | null {
  if (e.outcome === "failed" || e.outcome === "pending") return null;
  switch (e.kind) {
    case "set":
      return { kind: "set", value: e.value! };
    case "get":
      return e.outcome === "ok" ? { kind: "get", result: e.result as KeyValue } : null;
    case "incr":
      return { kind: "incr", result: e.outcome === "ok" ? (e.result as number) : undefined };
  }
}

type SimNode = SimPrimary | SimStandby;

export function describe(e: HistoryEntry): string {
  const what = e.kind === "set" ? `SET ${e.key} ${e.value}` : `${e.kind.toUpperCase()} ${e.key}`;
  const result = e.outcome === "ok" && e.kind !== "set" ? ` = ${JSON.stringify(e.result)}` : "";
  const ret = e.ret === Infinity ? "∞" : String(e.ret);
  const replica = e.replicaApplied === undefined ? "" : ` (replica read, applied ${e.replicaApplied})`;
  const native = e.native === true ? " (native run)" : "";
  return `[${e.call}..${ret}] ${e.client}@${e.primary}${replica}${native} ${what}: ${e.outcome}${result}${e.note === undefined ? "" : ` (${e.note})`}`;
}
