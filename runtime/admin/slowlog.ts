// SLOWLOG: the commands that took longer than slowlog-log-slower-than
// microseconds, newest first, at most slowlog-max-len of them (Redis's
// slowlog.c). Each entry keeps a copy of at most 32 arguments of at most 128
// bytes each, with Redis's "... (N more ...)" markers, so a huge command
// cannot make the log hold huge memory.

const SLOWLOG_ENTRY_MAX_ARGC = 32;
const SLOWLOG_ENTRY_MAX_STRING = 128;

export interface SlowLogEntry {
  id: number;
  /** Unix time in seconds when the command ran. */
  time: number;
  durationMicros: number;
  args: Uint8Array[];
  peer: string;
  name: string;
}

const encoder = new TextEncoder();

/** The arguments as the slow log keeps them: truncated in count and in length. */
export function slowlogArgs(args: readonly Uint8Array[]): Uint8Array[] {
  const argc = Math.min(args.length, SLOWLOG_ENTRY_MAX_ARGC);
  const out: Uint8Array[] = [];
  for (let j = 0; j < argc; j++) {
    if (argc !== args.length && j === argc - 1) {
      out.push(encoder.encode(`... (${args.length - argc + 1} more arguments)`));
      break;
    }
    const a = args[j]!;
    if (a.length > SLOWLOG_ENTRY_MAX_STRING) {
      const more = encoder.encode(`... (${a.length - SLOWLOG_ENTRY_MAX_STRING} more bytes)`);
      const cut = new Uint8Array(SLOWLOG_ENTRY_MAX_STRING + more.length);
      cut.set(a.subarray(0, SLOWLOG_ENTRY_MAX_STRING));
      cut.set(more, SLOWLOG_ENTRY_MAX_STRING);
      out.push(cut);
    } else {
      out.push(a.slice());
    }
  }
  return out;
}

export class SlowLog {
  /** Newest first. */
  private entries: SlowLogEntry[] = [];
  private nextId = 0;
  /** slowlog-log-slower-than, microseconds; negative disables the log. */
  thresholdMicros = 10000;
  /** slowlog-max-len. */
  maxLength = 128;

  /** Logs a command if it was slow enough. */
  record(durationMicros: number, args: readonly Uint8Array[], peer: string, name: string, nowMs: number): void {
    if (this.thresholdMicros < 0 || durationMicros < this.thresholdMicros) return;
    this.entries.unshift({
      id: this.nextId++, time: Math.floor(nowMs / 1000), durationMicros: Math.floor(durationMicros),
      args: slowlogArgs(args), peer, name,
    });
    this.trim();
  }

  trim(): void {
    if (this.entries.length > this.maxLength) this.entries.length = this.maxLength;
  }

  /** The newest `count` entries (all when count is -1). */
  get(count: number): readonly SlowLogEntry[] {
    return count < 0 ? this.entries : this.entries.slice(0, count);
  }

  get length(): number {
    return this.entries.length;
  }

  /** SLOWLOG RESET: drops the entries; ids go on counting, as in Redis. */
  reset(): void {
    this.entries = [];
  }
}
