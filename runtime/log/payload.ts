// The payload of a log record: one or more effect records (runtime/effects.ts).
//
// Each effect is written as a RESP array of bulk strings whose first element
// is the database number in decimal and the rest the command's arguments:
//
//   *4\r\n$1\r\n0\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n     (db 0: SET k v)
//
// and a payload is such arrays back to back. RESP costs a few bytes per
// argument, keeps binary values as they are, and lets anyone read a log with
// tools that speak Redis. A payload holds several effects when they must
// commit together: the writes of one MULTI/EXEC (or one script) are one
// record, so recovery applies all of them or none.
//
// The core writes the effects of native commands in this format too (its
// effect region, core-wasm/exec.ts), so that a native run's effects join a
// record's payload as they are.
//
// Decoding checks every length against the payload's end and rejects
// anything else (a payload has already passed its frame's checksum, so a
// malformed one is a bug in the writer, reported as an error, never skipped).

import type { EffectRecord } from "../effects.ts";

const STAR = 42;
const DOLLAR = 36;
const CR = 13;
const LF = 10;

function decimalBytes(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

function writeDecimal(out: Uint8Array, at: number, n: number): number {
  const digits = decimalBytes(n);
  for (let i = digits - 1; i >= 0; i--) {
    out[at + i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + digits;
}

function headerBytes(n: number): number {
  return 1 + decimalBytes(n) + 2;
}

/** Writes "<mark><n>\r\n" at `at`; returns where it ends. */
function writeHeader(out: Uint8Array, at: number, mark: number, n: number): number {
  out[at++] = mark;
  at = writeDecimal(out, at, n);
  out[at++] = CR;
  out[at++] = LF;
  return at;
}

/** Bytes of an effect's array header and its first element, the database. */
function effectStartBytes(argc: number, db: number): number {
  const digits = decimalBytes(db);
  return headerBytes(argc + 1) + headerBytes(digits) + digits + 2;
}

/** Writes an effect's array header (its `argc` arguments and the database) and the database. */
function writeEffectStart(out: Uint8Array, at: number, argc: number, db: number): number {
  at = writeHeader(out, at, STAR, argc + 1);
  at = writeHeader(out, at, DOLLAR, decimalBytes(db));
  at = writeDecimal(out, at, db);
  out[at++] = CR;
  out[at++] = LF;
  return at;
}

/** Bytes the payload of `effects` takes. */
export function effectsPayloadBytes(effects: readonly EffectRecord[]): number {
  let total = 0;
  for (const e of effects) total += effectBytes(e);
  return total;
}

function effectBytes(effect: EffectRecord): number {
  let total = effectStartBytes(effect.args.length, effect.db);
  for (const a of effect.args) total += headerBytes(a.length) + a.length + 2;
  return total;
}

/** Writes one effect at `at` (room: effectBytes); returns where it ends. */
function writeEffect(out: Uint8Array, at: number, effect: EffectRecord): number {
  if (!Number.isInteger(effect.db) || effect.db < 0) throw new RangeError(`bad database number ${effect.db}`);
  at = writeEffectStart(out, at, effect.args.length, effect.db);
  for (const a of effect.args) {
    at = writeHeader(out, at, DOLLAR, a.length);
    out.set(a, at);
    at += a.length;
    out[at++] = CR;
    out[at++] = LF;
  }
  return at;
}

/** The payload of one log record holding `effects` (at least one), in order. */
export function encodeEffects(effects: readonly EffectRecord[]): Uint8Array {
  if (effects.length === 0) throw new RangeError("a log record holds at least one effect");
  const out = new Uint8Array(effectsPayloadBytes(effects));
  let at = 0;
  for (const e of effects) at = writeEffect(out, at, e);
  return out;
}

/** Bytes a PayloadBuilder starts with, and goes back to after a record larger than PAYLOAD_BUILDER_KEEP_BYTES. */
const PAYLOAD_BUILDER_BYTES = 16 * 1024;
const PAYLOAD_BUILDER_KEEP_BYTES = 1024 * 1024;

/**
 * The payload of the record being built (the primary's open log record),
 * effect by effect, in one buffer kept from record to record: the record's
 * frame is its one copy, where a payload of its own per command or native
 * run had been one more allocation and copy (docs/BENCHMARKS.md).
 */
export class PayloadBuilder {
  private out = new Uint8Array(PAYLOAD_BUILDER_BYTES);
  private end = 0;
  /** Effects added since the last clear. */
  count = 0;

  /** Bytes written since the last clear. */
  get length(): number {
    return this.end;
  }

  addEffect(effect: EffectRecord): void {
    this.reserve(effectBytes(effect));
    this.end = writeEffect(this.out, this.end, effect);
    this.count++;
  }

  /** Adds `count` effects already in this format (the core's effect region: core-wasm/exec.ts). */
  addEncoded(effects: Uint8Array, count: number): void {
    this.reserve(effects.length);
    this.out.set(effects, this.end);
    this.end += effects.length;
    this.count += count;
  }

  /** The payload so far: a view, valid until the next add or clear. */
  bytes(): Uint8Array {
    return this.out.subarray(0, this.end);
  }

  clear(): void {
    this.end = 0;
    this.count = 0;
    if (this.out.length > PAYLOAD_BUILDER_KEEP_BYTES) this.out = new Uint8Array(PAYLOAD_BUILDER_BYTES);
  }

  private reserve(bytes: number): void {
    if (this.end + bytes <= this.out.length) return;
    const grown = new Uint8Array(Math.max(this.out.length * 2, this.end + bytes));
    grown.set(this.out.subarray(0, this.end));
    this.out = grown;
  }
}

export class PayloadError extends Error {
  override name = "PayloadError";
}

/** The effects of a payload written by encodeEffects. Arguments are copies. */
export function decodeEffects(payload: Uint8Array): EffectRecord[] {
  const effects: EffectRecord[] = [];
  scanEffects(payload, (effect) => {
    // scanEffects checked every length line and CRLF: only the split is left.
    const bytes = effect.args;
    const args: Uint8Array[] = [];
    let at = 0;
    for (let i = 0; i < effect.argc; i++) {
      at++; // '$'
      let len = 0;
      while (bytes[at] !== CR) len = len * 10 + (bytes[at++]! - 48);
      at += 2;
      args.push(bytes.slice(at, at + len));
      at += len + 2;
    }
    effects.push({ db: effect.db, args });
  });
  return effects;
}

/** One effect of a payload, as scanEffects finds it: views, not copies. */
export interface ScannedEffect {
  readonly db: number;
  /** Arguments of the command, its name included. */
  readonly argc: number;
  /** The command's name. */
  readonly name: Uint8Array;
  /** The arguments as RESP bulk strings ("$3\r\nSET\r\n..."): prefixed with `*argc\r\n` they are the command. */
  readonly args: Uint8Array;
}

/**
 * The effects of a payload written by encodeEffects, without copying (replay
 * runs them as RESP through the engine's batched executor). Checks what
 * decodeEffects checks, and throws the same PayloadError.
 */
export function scanEffects(payload: Uint8Array, visit: (effect: ScannedEffect) => void): number {
  let at = 0;
  const fail = (what: string): never => {
    throw new PayloadError(`malformed log payload at byte ${at}: ${what}`);
  };
  const number = (mark: number): number => {
    if (payload[at] !== mark) fail(`expected '${String.fromCharCode(mark)}'`);
    at++;
    let n = 0;
    const start = at;
    while (at < payload.length && payload[at] !== CR) {
      const c = payload[at]!;
      if (c < 48 || c > 57 || at - start >= 15) fail("bad length");
      n = n * 10 + (c - 48);
      at++;
    }
    if (at === start || payload[at] !== CR || payload[at + 1] !== LF) fail("bad length line");
    at += 2;
    return n;
  };
  /** Skips one bulk string; returns where its bytes start. */
  const bulk = (): number => {
    const len = number(DOLLAR);
    if (at + len + 2 > payload.length) fail("bulk string runs past the end");
    const start = at;
    at += len;
    if (payload[at] !== CR || payload[at + 1] !== LF) fail("bulk string without CRLF");
    at += 2;
    return start;
  };
  let effects = 0;
  while (at < payload.length) {
    const count = number(STAR);
    if (count < 2) fail("an effect needs a database and a command");
    const dbStart = bulk();
    const dbEnd = at - 2;
    let db = 0;
    for (let i = dbStart; i < dbEnd; i++) {
      const c = payload[i]!;
      if (c < 48 || c > 57 || dbEnd - dbStart > 9) fail("bad database number");
      db = db * 10 + (c - 48);
    }
    const argsStart = at;
    const nameStart = bulk();
    const name = payload.subarray(nameStart, at - 2);
    for (let i = 2; i < count; i++) bulk();
    visit({ db, argc: count - 1, name, args: payload.subarray(argsStart, at) });
    effects++;
  }
  if (effects === 0) fail("empty payload");
  return effects;
}
