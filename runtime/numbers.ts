// Number parsing and formatting with Redis's exact rules, because clients
// compare the bytes: which strings are integers (string2ll), which are floats
// (strtod without NaN), and how doubles are printed (%.17g) and how
// INCRBYFLOAT prints its result (%.17Lf with trailing zeros removed).

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/**
 * Parses a signed 64-bit integer in canonical form: optional '-', digits, no
 * '+', no spaces, no leading zeros. Returns null when Redis would reply
 * "value is not an integer or out of range".
 */
export function parseI64(bytes: Uint8Array): bigint | null {
  const len = bytes.length;
  if (len === 0 || len > 20) return null;
  let i = 0;
  const negative = bytes[0] === 45;
  if (negative) {
    if (len === 1) return null;
    i = 1;
  }
  if (bytes[i] === 48) {
    return len === 1 ? 0n : null;
  }
  // Up to 15 digits fit a double exactly: the fast path.
  if (len - i <= 15) {
    let v = 0;
    for (; i < len; i++) {
      const d = bytes[i]! - 48;
      if (d < 0 || d > 9) return null;
      v = v * 10 + d;
    }
    return BigInt(negative ? -v : v);
  }
  let v = 0n;
  for (; i < len; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10n + BigInt(d);
  }
  if (negative) v = -v;
  return v < I64_MIN || v > I64_MAX ? null : v;
}

/**
 * Parses an integer argument used as an index or count: same rules as
 * parseI64, returned as a number (exact up to 2^53, which is all any index
 * can mean).
 */
export function parseLong(bytes: Uint8Array): number | null {
  const len = bytes.length;
  if (len > 0 && len <= 15) {
    let i = 0;
    const negative = bytes[0] === 45;
    if (negative) {
      if (len === 1) return null;
      i = 1;
    }
    if (bytes[i] === 48) return len === 1 ? 0 : null;
    let v = 0;
    for (; i < len; i++) {
      const d = bytes[i]! - 48;
      if (d < 0 || d > 9) return null;
      v = v * 10 + d;
    }
    return negative ? -v : v;
  }
  const big = parseI64(bytes);
  return big === null ? null : Number(big);
}

export function inI64Range(v: bigint): boolean {
  return v >= I64_MIN && v <= I64_MAX;
}

const FLOAT_PATTERN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY_PATTERN = /^([+-]?)(?:inf|infinity)$/i;

/**
 * Parses a float the way Redis's string2d/strtod does: decimal or
 * exponent notation or inf/infinity (any case), no surrounding spaces, no
 * NaN, no overflow to infinity and no underflow to zero. Null if invalid.
 */
export function parseDouble(bytes: Uint8Array): number | null {
  const len = bytes.length;
  if (len === 0 || len > 400) return null;
  let s = "";
  for (let i = 0; i < len; i++) s += String.fromCharCode(bytes[i]!);
  if (FLOAT_PATTERN.test(s)) {
    const v = Number(s);
    if (!Number.isFinite(v)) return null;
    if (v === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ""))) return null;
    return v;
  }
  const inf = INFINITY_PATTERN.exec(s);
  if (inf) return inf[1] === "-" ? -Infinity : Infinity;
  return null;
}

/** C's printf("%.17g"), which Redis 7.0 uses for scores and other doubles. */
export function formatDouble(x: number): string {
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Number.isNaN(x)) return "nan";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const expForm = x.toExponential(16);
  const ePos = expForm.indexOf("e");
  const exponent = Number(expForm.slice(ePos + 1));
  if (exponent < -4 || exponent >= 17) {
    let mantissa = expForm.slice(0, ePos);
    if (mantissa.includes(".")) mantissa = mantissa.replace(/0+$/, "").replace(/\.$/, "");
    const sign = exponent < 0 ? "-" : "+";
    const digits = String(Math.abs(exponent)).padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  let fixed = x.toFixed(16 - exponent);
  if (fixed.includes(".")) fixed = fixed.replace(/0+$/, "").replace(/\.$/, "");
  return fixed;
}

/** Shortest text that reads back as the same double: Redis 7.2's style, used where exactness is free. */
export function formatDoubleShortest(x: number): string {
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return String(x);
}

// ---- exact decimals, for INCRBYFLOAT -----------------------------------

interface Decimal {
  digits: bigint; // value = digits / 10^scale
  scale: number;
}

const DECIMAL_PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
// Long double's largest exponent is about 10^4932; anything larger is infinity.
const LONG_DOUBLE_MAX_EXPONENT = 4932;

function parseDecimal(s: string): Decimal | null {
  const m = DECIMAL_PATTERN.exec(s);
  if (!m) return null;
  const intPart = m[2] ?? "";
  const fracPart = m[3] ?? "";
  if (intPart === "" && fracPart === "") return null;
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isFinite(exponent) || Math.abs(exponent) > 10000) return null;
  let digits = BigInt((intPart + fracPart) || "0");
  if (m[1] === "-") digits = -digits;
  let scale = fracPart.length - exponent;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { digits, scale };
}

/**
 * INCRBYFLOAT's arithmetic: Redis adds two long doubles and prints the sum
 * with 17 decimals, trailing zeros removed. Adding the two decimal texts
 * exactly and rounding to 17 decimals gives the same text wherever a long
 * double holds the operands exactly enough (about 18 significant digits).
 * Returns null when either operand is not a valid float, and "overflow" when
 * the sum is not finite.
 */
export function addDecimalTexts(current: string, increment: string): string | null | "overflow" {
  const a = parseFloatText(current);
  const b = parseFloatText(increment);
  if (a === null || b === null) return null;
  if (a === "inf" || a === "-inf" || b === "inf" || b === "-inf") return "overflow";
  const scale = Math.max(a.scale, b.scale);
  const sum = a.digits * 10n ** BigInt(scale - a.scale) + b.digits * 10n ** BigInt(scale - b.scale);
  const rounded = roundToScale(sum, scale, 17);
  let textOut = formatScaled(rounded, Math.min(scale, 17));
  const integerDigits = textOut.replace(/^-/, "").split(".")[0]!.length;
  if (integerDigits > LONG_DOUBLE_MAX_EXPONENT) return "overflow";
  if (textOut === "-0") textOut = "0";
  return textOut;
}

function parseFloatText(s: string): Decimal | "inf" | "-inf" | null {
  const inf = INFINITY_PATTERN.exec(s);
  if (inf) return inf[1] === "-" ? "-inf" : "inf";
  if (s.length === 0 || /^\s/.test(s)) return null;
  return parseDecimal(s);
}

function roundToScale(value: bigint, scale: number, maxScale: number): bigint {
  if (scale <= maxScale) return value;
  const divisor = 10n ** BigInt(scale - maxScale);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  let q = abs / divisor;
  const r = abs % divisor;
  if (r * 2n > divisor || (r * 2n === divisor && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

function formatScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  let digits = (negative ? -value : value).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0");
    let fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
    const whole = digits.slice(0, digits.length - scale);
    digits = fraction.length > 0 ? `${whole}.${fraction}` : whole;
  }
  return negative ? `-${digits}` : digits;
}
