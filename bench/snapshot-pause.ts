// The pause a background snapshot costs clients of a durable server: starts
// `trireme --durability quorum` (three local log stores in a temporary
// folder), loads BENCH_PAUSE_KEYS string keys (MSET, 1,000 keys per command,
// 16-byte values), then takes BENCH_PAUSE_ROUNDS BGSAVEs while a probe client
// sends PING after PING, and reports the engine's own measure
// (INFO rdb_worst_pause_ms: how long the engine stopped to copy its memory),
// the longest PING round trip seen during the snapshots (what a client
// feels), and how long each snapshot took to be stored on a quorum.
//
//   npm run build && npx node bench/snapshot-pause.ts
//   BENCH_PAUSE_KEYS=100000 npx node bench/snapshot-pause.ts
//   BENCH_PAUSE_COMMAND=SAVE npx node bench/snapshot-pause.ts
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createConnection, type Socket } from "node:net";
import { encodeCommand, parseValue, type RespValue } from "../runtime/resp.ts";

const KEYS = Number(process.env.BENCH_PAUSE_KEYS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_PAUSE_ROUNDS ?? 3);
/** BGSAVE, or SAVE (which answers once the image is stored). */
const COMMAND = (process.env.BENCH_PAUSE_COMMAND ?? "BGSAVE").toUpperCase();
const CLI = fileURLToPath(new URL("../server/cli.ts", import.meta.url));
const te = new TextEncoder();
const td = new TextDecoder();

class Client {
  private buffer = new Uint8Array(0);
  private readonly waiting: Array<(v: RespValue) => void> = [];
  private readonly socket: Socket;
  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      const merged = new Uint8Array(this.buffer.length + chunk.length);
      merged.set(this.buffer);
      merged.set(chunk, this.buffer.length);
      this.buffer = merged;
      while (this.waiting.length > 0) {
        const r = parseValue(this.buffer, 0);
        if (r === "incomplete") break;
        this.buffer = this.buffer.subarray(r.consumed);
        this.waiting.shift()!(r.value);
      }
    });
  }
  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = createConnection({ host: "127.0.0.1", port }, () => resolve(new Client(s)));
      s.once("error", reject);
    });
  }
  send(...args: string[]): Promise<RespValue> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(encodeCommand(args.map((a) => te.encode(a))));
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

const dir = mkdtempSync(join(tmpdir(), "trireme-pause-"));
const port = 20000 + Math.floor(Math.random() * 20000);
const child = spawn(process.execPath, [CLI, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--durability", process.env.BENCH_PAUSE_DURABILITY ?? "quorum",
  "--http-port", "0", "--save", "", "--snapshot-log-bytes", "0"], { stdio: ["ignore", "pipe", "pipe"] });
let out = "";
child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
const stop = () => { child.kill("SIGKILL"); setTimeout(() => rmSync(dir, { recursive: true, force: true }), 500); };
try {
  const deadline = Date.now() + 30_000;
  while (!/ready: RESP/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`trireme did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const loader = await Client.connect(port);
  const loadStart = performance.now();
  const pending: Promise<RespValue>[] = [];
  for (let i = 0; i < KEYS; i += 1000) {
    const args = ["MSET"];
    for (let k = i; k < Math.min(KEYS, i + 1000); k++) args.push(`key:${k}`, `v${String(k).padStart(15, "0")}`);
    pending.push(loader.send(...args));
    if (pending.length >= 32) await pending.shift();
  }
  await Promise.all(pending);
  const loadMs = performance.now() - loadStart;
  const info = async (): Promise<Map<string, string>> => {
    const v = await loader.send("INFO", "persistence");
    const text = v.type === "bulk" && v.value !== null ? td.decode(v.value) : "";
    return new Map(text.split("\r\n").filter((l) => l.includes(":")).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]));
  };
  const probe = await Client.connect(port);
  const writer = await Client.connect(port);
  let worstSet = 0;
  const rows: string[] = [];
  let worstRtt = 0;
  // The same probe for a second without a snapshot: what the machine costs anyway.
  let baseline = 0;
  for (const until = performance.now() + 1000; performance.now() < until;) {
    const t = performance.now();
    await probe.send("PING");
    baseline = Math.max(baseline, performance.now() - t);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    let probing = true;
    let roundWorst = 0;
    let roundWorstSet = 0;
    const probeLoop = (async () => {
      while (probing) {
        const t = performance.now();
        await probe.send("PING");
        roundWorst = Math.max(roundWorst, performance.now() - t);
      }
    })();
    const writeLoop = (async () => {
      for (let i = 0; probing; i++) {
        const t = performance.now();
        await writer.send("SET", "probe", String(i));
        roundWorstSet = Math.max(roundWorstSet, performance.now() - t);
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    await loader.send(COMMAND);
    let state = await info();
    while (state.get("rdb_bgsave_in_progress") === "1") {
      await new Promise((r) => setTimeout(r, 50));
      state = await info();
    }
    await new Promise((r) => setTimeout(r, 200));
    probing = false;
    await probeLoop;
    await writeLoop;
    worstRtt = Math.max(worstRtt, roundWorst);
    worstSet = Math.max(worstSet, roundWorstSet);
    rows.push(`| ${round} | ${state.get("rdb_last_bgsave_status")} | ${state.get("rdb_last_save_ms")} | ${roundWorst.toFixed(1)} | ${roundWorstSet.toFixed(1)} | ` +
      `${(Number(state.get("rdb_last_snapshot_bytes")) / 1024 / 1024).toFixed(1)} |`);
  }
  const final = await info();
  console.log(`${KEYS} keys loaded in ${(loadMs / 1000).toFixed(1)} s; ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"})\n`);
  console.log(`| ${COMMAND} | status | stored on the stores after (ms) | longest PING meanwhile (ms) | longest durable SET meanwhile (ms) | image (MiB) |`);
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  if (process.env.BENCH_PAUSE_SHOW_OUTPUT) console.log(out.split("\n").filter((l) => l.includes("ELD") || l.includes("snapshot")).join("\n"));
  console.log(`\nworst engine pause (INFO rdb_worst_pause_ms): ${final.get("rdb_worst_pause_ms")} ms; longest PING round trip: ${worstRtt.toFixed(1)} ms, longest SET: ${worstSet.toFixed(1)} ms ` +
    `(${baseline.toFixed(1)} ms in a second without a snapshot)`);
  loader.close();
  probe.close();
  writer.close();
} finally {
  stop();
}
