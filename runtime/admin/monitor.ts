// MONITOR's line format: the time in seconds with microseconds, the
// database and the client's address in brackets, then every argument quoted
// the way Redis's sdscatrepr quotes it:
//
//   1339518083.107412 [0 127.0.0.1:60866] "set" "a b" "x\"y\n"

/** Redis's sdscatrepr: printable bytes as they are, escapes for the rest. */
export function quoteRepr(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    switch (b) {
      case 0x5c: out += "\\\\"; break;
      case 0x22: out += '\\"'; break;
      case 0x0a: out += "\\n"; break;
      case 0x0d: out += "\\r"; break;
      case 0x09: out += "\\t"; break;
      case 0x07: out += "\\a"; break;
      case 0x08: out += "\\b"; break;
      default:
        out += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : "\\x" + b.toString(16).padStart(2, "0");
    }
  }
  return out + '"';
}

export function monitorLine(unixMicros: number, db: number, addr: string, args: readonly Uint8Array[]): string {
  const seconds = Math.floor(unixMicros / 1e6);
  const micros = String(unixMicros % 1e6).padStart(6, "0");
  let line = `${seconds}.${micros} [${db} ${addr}]`;
  for (const a of args) line += " " + quoteRepr(a);
  return line;
}
