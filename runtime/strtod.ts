// C's strtod, as glibc reads a byte string, for the places where Redis calls
// strtod directly and its quirks show through: score range bounds accept
// leading spaces, an empty string (as 0), hexadecimal floats and overflow to
// infinity, and stop at a NUL byte; scores of ZADD/ZINCRBY (Redis's
// getDoubleFromObject) accept hex floats but not spaces, overflow, underflow
// to zero, NaN or trailing bytes.

export interface StrtodResult {
  value: number;
  /** Index of the first byte not consumed (== start when nothing was converted). */
  end: number;
  /** errno == ERANGE: the magnitude overflowed, or a nonzero input underflowed to zero. */
  erange: boolean;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function matchWord(b: Uint8Array, at: number, word: string): boolean {
  if (at + word.length > b.length) return false;
  for (let i = 0; i < word.length; i++) if (lower(b[at + i]!) !== word.charCodeAt(i)) return false;
  return true;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  const l = lower(c);
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

export function strtod(b: Uint8Array, start = 0): StrtodResult {
  let i = start;
  while (i < b.length && isSpace(b[i]!)) i++;
  let negative = false;
  if (b[i] === 43 || b[i] === 45) {
    negative = b[i] === 45;
    i++;
  }
  const sign = negative ? -1 : 1;
  if (matchWord(b, i, "inf")) {
    const end = matchWord(b, i, "infinity") ? i + 8 : i + 3;
    return { value: sign * Infinity, end, erange: false };
  }
  if (matchWord(b, i, "nan")) {
    let end = i + 3;
    if (b[end] === 40) { // "nan(n-char-sequence)"
      let j = end + 1;
      while (j < b.length && (isDigit(b[j]) || hexValue(b[j]) >= 0 || (lower(b[j]!) >= 97 && lower(b[j]!) <= 122) || b[j] === 95)) j++;
      if (b[j] === 41) end = j + 1;
    }
    return { value: NaN, end, erange: false };
  }
  if (b[i] === 48 && lower(b[i + 1] ?? 0) === 120 &&
      (hexValue(b[i + 2]) >= 0 || (b[i + 2] === 46 && hexValue(b[i + 3]) >= 0))) {
    return hexFloat(b, i + 2, sign);
  }
  // Decimal: digits [. digits] [e [sign] digits], at least one digit.
  const numberStart = i;
  let digits = 0;
  let nonzero = false;
  while (isDigit(b[i])) { if (b[i] !== 48) nonzero = true; i++; digits++; }
  if (b[i] === 46) {
    i++;
    while (isDigit(b[i])) { if (b[i] !== 48) nonzero = true; i++; digits++; }
  }
  if (digits === 0) return { value: 0, end: start, erange: false };
  let end = i;
  if (lower(b[i] ?? 0) === 101) {
    let j = i + 1;
    if (b[j] === 43 || b[j] === 45) j++;
    if (isDigit(b[j])) {
      while (isDigit(b[j])) j++;
      end = j;
    }
  }
  let text = "";
  for (let k = numberStart; k < end; k++) text += String.fromCharCode(b[k]!);
  const magnitude = Number(text);
  const value = sign * magnitude;
  const erange = !Number.isFinite(magnitude) || (magnitude === 0 && nonzero);
  return { value, end, erange };
}

function hexFloat(b: Uint8Array, at: number, sign: number): StrtodResult {
  let i = at;
  let mantissa = 0n;
  let scale = 0; // binary exponent adjustment from fraction digits
  let nonzero = false;
  while (hexValue(b[i]) >= 0) { mantissa = mantissa * 16n + BigInt(hexValue(b[i])); i++; }
  if (b[i] === 46) {
    i++;
    while (hexValue(b[i]) >= 0) { mantissa = mantissa * 16n + BigInt(hexValue(b[i])); scale -= 4; i++; }
  }
  if (mantissa !== 0n) nonzero = true;
  let end = i;
  let exponent = 0;
  if (lower(b[i] ?? 0) === 112) {
    let j = i + 1;
    let expNegative = false;
    if (b[j] === 43 || b[j] === 45) { expNegative = b[j] === 45; j++; }
    if (isDigit(b[j])) {
      let e = 0;
      while (isDigit(b[j])) { e = Math.min(e * 10 + (b[j]! - 48), 1e6); j++; }
      exponent = expNegative ? -e : e;
      end = j;
    }
  }
  let magnitude = Number(mantissa) * 2 ** (exponent + scale);
  if (!Number.isFinite(magnitude) && exponent + scale < 0) {
    // A huge mantissa with a negative exponent: scale in two steps.
    magnitude = Number(mantissa) * 2 ** Math.floor((exponent + scale) / 2) * 2 ** Math.ceil((exponent + scale) / 2);
  }
  const erange = !Number.isFinite(magnitude) || (magnitude === 0 && nonzero);
  return { value: sign * magnitude, end, erange };
}

/**
 * Redis's getDoubleFromObject: the whole argument must be a float, with no
 * leading space, no overflow, no underflow to zero, and not NaN. Null if not.
 */
export function parseScore(b: Uint8Array): number | null {
  if (b.length === 0 || isSpace(b[0]!)) return null;
  const r = strtod(b);
  if (r.end !== b.length || Number.isNaN(r.value)) return null;
  if (r.erange && (!Number.isFinite(r.value) || r.value === 0)) return null;
  return r.value;
}
