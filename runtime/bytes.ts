// Byte-string helpers. Keys and values are bytes everywhere in the engine;
// strings appear only at the edges (command names, options, the embedded API).

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const latin1 = new TextDecoder("latin1");

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Decodes ASCII-only bytes (command names, options, numbers) without the cost
 * of a UTF-8 decoder; bytes above 0x7f map one-to-one to code points, which is
 * enough for comparisons against ASCII words.
 */
export function ascii(bytes: Uint8Array): string {
  if (bytes.length > 64) return latin1.decode(bytes);
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** ASCII lower-case of a short option or command name. */
export function lowerAscii(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    s += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return s;
}

/** Case-insensitive comparison of bytes with an ASCII word given in lower case. */
export function isWord(bytes: Uint8Array, lowerWord: string): boolean {
  if (bytes.length !== lowerWord.length) return false;
  for (let i = 0; i < bytes.length; i++) {
    let c = bytes[i]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lowerWord.charCodeAt(i)) return false;
  }
  return true;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** memcmp order: bytewise, a shorter string first when it is a prefix. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export type Arg = Uint8Array | string;

export function toBytes(arg: Arg): Uint8Array {
  if (typeof arg !== "string") return arg;
  // TextEncoder.encode costs several hundred ns even for a short key (it
  // leaves JS to allocate); short ASCII strings are copied by a plain loop.
  const n = arg.length;
  if (n > 64) return encoder.encode(arg);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = arg.charCodeAt(i);
    if (c >= 0x80) return encoder.encode(arg);
    out[i] = c;
  }
  return out;
}

/** The unsigned little-endian 32-bit integer at `at` (no DataView to make for a few reads). */
export function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** Writes `v` as an unsigned little-endian 32-bit integer at `at`. */
export function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}
