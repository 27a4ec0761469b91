// INFO: the server's state as Redis reports it, section by section, in
// Redis's `field:value` lines, so tools that read INFO (ioredis's ready
// check, redis-cli --stat, monitoring agents) understand it.
import type { Engine } from "../runtime/engine.ts";
import { adminOf } from "../runtime/admin/admin.ts";

export interface InfoSources {
  engine: Engine;
  version: string;
  port: number;
  startedAt: number;
  connectedClients: number;
  maxclients: number;
  totalConnections: number;
  /** INFO persistence lines of a durable server (runtime/log/persistence.ts). */
  persistence?: () => string[];
  /** INFO replication lines (role, a replica's lag, a primary's lease). */
  replication?: () => string[];
}

const DEFAULT_SECTIONS = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace"];

export function renderInfo(src: InfoSources, requested: string[]): string {
  const all = requested.includes("all") || requested.includes("everything");
  const wanted = requested.length === 0 || requested.includes("default") || all
    ? (all ? [...DEFAULT_SECTIONS.slice(0, -1), "commandstats", "keyspace"] : DEFAULT_SECTIONS)
    : requested;
  const blocks: string[] = [];
  for (const section of wanted) {
    const lines = sectionLines(src, section);
    if (lines !== null) blocks.push(`# ${section[0]!.toUpperCase()}${section.slice(1)}\r\n${lines.join("\r\n")}\r\n`);
  }
  return blocks.join("\r\n");
}

function sectionLines(src: InfoSources, section: string): string[] | null {
  const engine = src.engine;
  const uptime = Math.floor((Date.now() - src.startedAt) / 1000);
  switch (section) {
    case "server":
      return [
        `redis_version:${src.version}`, "redis_mode:standalone", "trireme:1", `os:${process.platform} ${process.arch}`,
        `arch_bits:64`, `process_id:${process.pid}`, `tcp_port:${src.port}`, `uptime_in_seconds:${uptime}`,
        `uptime_in_days:${Math.floor(uptime / 86400)}`, "hz:10", `executable:${process.argv[1] ?? ""}`,
      ];
    case "clients":
      return [`connected_clients:${src.connectedClients}`, `maxclients:${src.maxclients}`, "blocked_clients:0"];
    case "memory": {
      const used = engine.usedMemory();
      const rss = process.memoryUsage().rss;
      return [
        `used_memory:${used}`, `used_memory_human:${human(used)}`, `used_memory_rss:${rss}`, `used_memory_rss_human:${human(rss)}`,
        `used_memory_wasm_total:${engine.core.x.mem_total()}`, `maxmemory:${engine.maxmemory}`,
        `maxmemory_human:${human(engine.maxmemory)}`, `maxmemory_policy:${engine.maxmemoryPolicy}`,
      ];
    }
    case "persistence":
      return src.persistence?.() ?? ["loading:0", "durability:none", "rdb_changes_since_last_save:0", "aof_enabled:0"];
    case "stats":
      return [
        `total_connections_received:${src.totalConnections}`, `total_commands_processed:${engine.stats.commands}`,
        `expired_keys:${engine.stats.expiredKeys}`, `evicted_keys:${engine.stats.evictedKeys}`,
      ];
    case "commandstats": {
      // Redis's format: cmdstat_<name>:calls=N,usec=N,usec_per_call=N.NN,rejected_calls=N,failed_calls=N
      const lines: string[] = [];
      for (const [name, st] of adminOf(engine).commandStats.entries()) {
        const perCall = st.calls === 0 ? 0 : st.micros / st.calls;
        lines.push(`cmdstat_${name}:calls=${st.calls},usec=${st.micros},usec_per_call=${perCall.toFixed(2)},` +
          `rejected_calls=${st.rejectedCalls},failed_calls=${st.failedCalls}`);
      }
      return lines;
    }
    case "replication":
      return src.replication?.() ?? ["role:master", "connected_slaves:0"];
    case "cpu": {
      const cpu = process.cpuUsage();
      return [`used_cpu_sys:${(cpu.system / 1e6).toFixed(6)}`, `used_cpu_user:${(cpu.user / 1e6).toFixed(6)}`];
    }
    case "keyspace": {
      const lines: string[] = [];
      for (let db = 0; db < engine.databases; db++) {
        const keys = engine.core.x.ks_dbsize(db);
        if (keys > 0) lines.push(`db${db}:keys=${keys},expires=${engine.core.x.ks_expires_count(db)},avg_ttl=0`);
      }
      return lines;
    }
    default:
      return null;
  }
}

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  const units = ["K", "M", "G", "T"];
  let v = bytes;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)}${units[i]}`;
}
