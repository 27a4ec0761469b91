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
  const negative = x < 0;
  const magnitude = Math.abs(x);
  // 17 significant digits and the decimal exponent. JavaScript rounds an
  // exact tie away from zero, C's printf to even: fix up the rare tie.
  const expForm = magnitude.toExponential(16);
  const ePos = expForm.indexOf("e");
  let digits = expForm[0]! + expForm.slice(2, ePos);
  let exponent = Number(expForm.slice(ePos + 1));
  if (isTieAt17Digits(magnitude)) {
    const longer = magnitude.toExponential(17);
    const truncated = longer[0]! + longer.slice(2, 18);
    exponent = Number(longer.slice(longer.indexOf("e") + 1));
    if ((truncated.charCodeAt(16) - 48) % 2 === 0) {
      digits = truncated;
    } else {
      const up = (BigInt(truncated) + 1n).toString();
      digits = up.length > 17 ? up.slice(0, 17) : up;
      if (up.length > 17) exponent++;
    }
  }
  let out: string;
  if (exponent < -4 || exponent >= 17) {
    const fraction = digits.slice(1).replace(/0+$/, "");
    const mantissa = fraction.length > 0 ? `${digits[0]}.${fraction}` : digits[0]!;
    const sign = exponent < 0 ? "-" : "+";
    out = `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  } else if (exponent >= 0) {
    const whole = digits.slice(0, exponent + 1);
    const fraction = digits.slice(exponent + 1).replace(/0+$/, "");
    out = fraction.length > 0 ? `${whole}.${fraction}` : whole;
  } else {
    const fraction = ("0".repeat(-exponent - 1) + digits).replace(/0+$/, "");
    out = `0.${fraction}`;
  }
  return negative ? `-${out}` : out;
}

const F64_VIEW = new DataView(new ArrayBuffer(8));

/**
 * Whether the exact decimal expansion of a positive finite double has
 * exactly 18 significant digits, the last a 5: the only case where rounding
 * to 17 digits is a tie. x = m * 2^e with m odd has the significant digits
 * of m * 5^-e when e < 0, which exceed 18 once -e > 25; when e >= 0 it is an
 * integer whose trailing zeros come from m's factors of 5, so only integers
 * below 10^40 can qualify.
 */
function isTieAt17Digits(x: number): boolean {
  const longer = x.toExponential(17);
  if (longer.charCodeAt(18) !== 53) return false; // the 18th digit is not '5'
  F64_VIEW.setFloat64(0, x);
  const hi = F64_VIEW.getUint32(0);
  const lo = F64_VIEW.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (biased === 0) {
    e = -1074;
  } else {
    m |= 1n << 52n;
    e = biased - 1075;
  }
  while ((m & 1n) === 0n) {
    m >>= 1n;
    e++;
  }
  let exact: bigint;
  if (e < 0) {
    if (-e > 25) return false;
    exact = m * 5n ** BigInt(-e);
  } else {
    if (x >= 1e40) return false;
    exact = m << BigInt(e);
  }
  const significant = exact.toString().replace(/0+$/, "");
  return significant.length === 18;
}

/** Shortest text that reads back as the same double: Redis 7.2's style, used where exactness is free. */
export function formatDoubleShortest(x: number): string {
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return String(x);
}

// ---- long doubles, for INCRBYFLOAT ------------------------------------

// INCRBYFLOAT (and HINCRBYFLOAT) compute in C's long double, which on the
// x86-64 servers Redis runs on is the x87 80-bit format: a 64-bit significand
// and a 15-bit exponent. Redis parses both operands with strtold (correctly
// rounded), adds them (one rounding), and prints the sum with "%.17Lf"
// (exact decimal expansion rounded to 17 places, ties to even), then strips
// trailing zeros. Decimal arithmetic alone gives different text wherever the
// 64-bit significand cannot hold the exact sum (1e20 + 1 is 1e20 in Redis),
// so this emulates the format exactly with BigInt: a finite value is
// sign * significand * 2^exponent.

interface LongDouble {
  negative: boolean;
  /** 0 <= significand < 2^64; 0 means zero. */
  significand: bigint;
  exponent: number;
  infinite: boolean;
}

const LD_SIGNIFICAND_BITS = 64;
/** Exponent of the smallest subnormal: 2^-16445. */
const LD_EXPONENT_MIN = -16445;
/** Largest exponent with a 64-bit significand below 2^16384. */
const LD_EXPONENT_MAX = 16384 - LD_SIGNIFICAND_BITS;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer texts are not parsed. */
const LONG_DOUBLE_TEXT_MAX = 5 * 1024;
const PRINT_DECIMALS = 17;

const HEX_FLOAT_PATTERN = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const DECIMAL_FLOAT_PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const NAN_PATTERN = /^[+-]?nan(?:\([0-9A-Za-z_]*\))?$/i;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function pow2(k: number): bigint {
  return 1n << BigInt(k);
}

/** Rounds the positive rational num/den to the nearest long double (ties to even). */
function roundToLongDouble(negative: boolean, num: bigint, den: bigint): LongDouble {
  if (num === 0n) return { negative, significand: 0n, exponent: 0, infinite: false };
  // floor(log2(num/den)) is bitLength(num) - bitLength(den) or one less.
  let log2 = bitLength(num) - bitLength(den);
  if (log2 >= 0 ? num < den << BigInt(log2) : num << BigInt(-log2) < den) log2--;
  let exponent = Math.max(log2 - (LD_SIGNIFICAND_BITS - 1), LD_EXPONENT_MIN);
  const scaledNum = exponent < 0 ? num << BigInt(-exponent) : num;
  const scaledDen = exponent > 0 ? den << BigInt(exponent) : den;
  let significand = scaledNum / scaledDen;
  const twiceRemainder = (scaledNum - significand * scaledDen) * 2n;
  if (twiceRemainder > scaledDen || (twiceRemainder === scaledDen && (significand & 1n) === 1n)) significand++;
  if (significand === pow2(LD_SIGNIFICAND_BITS)) {
    significand >>= 1n;
    exponent++;
  }
  if (exponent > LD_EXPONENT_MAX) return { negative, significand: 0n, exponent: 0, infinite: true };
  return { negative, significand, exponent, infinite: false };
}

/**
 * Redis's string2ld: strtold over the whole text (decimal, hexadecimal,
 * inf/infinity), with no leading space, no NaN, and no overflow or underflow
 * to zero. Null when Redis would say "value is not a valid float".
 */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= LONG_DOUBLE_TEXT_MAX) return null;
  const inf = INFINITY_PATTERN.exec(s);
  if (inf) return { negative: inf[1] === "-", significand: 0n, exponent: 0, infinite: true };
  if (NAN_PATTERN.test(s)) return null;
  let result: LongDouble;
  const hex = HEX_FLOAT_PATTERN.exec(s);
  if (hex) {
    const whole = hex[2] ?? "";
    const fraction = hex[3] ?? "";
    if (whole === "" && fraction === "") return null;
    const mantissa = BigInt("0x" + (whole + fraction || "0"));
    const exponent = (hex[4] === undefined ? 0 : clampExponent(hex[4])) - 4 * fraction.length;
    if (mantissa === 0n) return { negative: hex[1] === "-", significand: 0n, exponent: 0, infinite: false };
    const magnitude = bitLength(mantissa) + exponent;
    if (magnitude > 16400) return null;
    if (magnitude < -16500) return null;
    result = exponent >= 0
      ? roundToLongDouble(hex[1] === "-", mantissa << BigInt(exponent), 1n)
      : roundToLongDouble(hex[1] === "-", mantissa, pow2(-exponent));
  } else {
    const dec = DECIMAL_FLOAT_PATTERN.exec(s);
    if (!dec) return null;
    const whole = dec[2] ?? "";
    const fraction = dec[3] ?? "";
    if (whole === "" && fraction === "") return null;
    const digits = (whole + fraction).replace(/^0+/, "");
    if (digits === "") return { negative: dec[1] === "-", significand: 0n, exponent: 0, infinite: false };
    const exponent = (dec[4] === undefined ? 0 : clampExponent(dec[4])) - fraction.length;
    // The value is digits * 10^exponent; far outside the range, it overflows
    // or underflows to zero, which strtold reports as ERANGE.
    const magnitude = digits.length + exponent;
    if (magnitude > 4934) return null;
    if (magnitude < -4952) return null;
    const mantissa = BigInt(digits);
    result = exponent >= 0
      ? roundToLongDouble(dec[1] === "-", mantissa * 10n ** BigInt(exponent), 1n)
      : roundToLongDouble(dec[1] === "-", mantissa, 10n ** BigInt(-exponent));
  }
  if (result.infinite || result.significand === 0n) return null;
  return result;
}

/** An exponent's digits as a number, saturated far beyond any meaningful value. */
function clampExponent(text: string): number {
  const v = Number(text);
  return Math.max(-1e7, Math.min(1e7, v));
}

/** The long double nearest to a + b (one rounding, ties to even); null for NaN. */
function addLongDoubles(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.infinite || b.infinite) {
    if (a.infinite && b.infinite && a.negative !== b.negative) return null;
    return { negative: a.infinite ? a.negative : b.negative, significand: 0n, exponent: 0, infinite: true };
  }
  if (a.significand === 0n && b.significand === 0n) {
    return { negative: a.negative && b.negative, significand: 0n, exponent: 0, infinite: false };
  }
  const exponent = Math.min(a.exponent, b.exponent);
  const av = (a.significand << BigInt(a.exponent - exponent)) * (a.negative ? -1n : 1n);
  const bv = (b.significand << BigInt(b.exponent - exponent)) * (b.negative ? -1n : 1n);
  const sum = av + bv;
  const negative = sum < 0n;
  const magnitude = negative ? -sum : sum;
  return exponent >= 0
    ? roundToLongDouble(negative, magnitude << BigInt(exponent), 1n)
    : roundToLongDouble(negative, magnitude, pow2(-exponent));
}

/** printf("%.17Lf") with trailing zeros (and a bare '.') removed, "-0" as "0": Redis's LD_STR_HUMAN. */
export function formatLongDoubleHuman(v: LongDouble): string {
  if (v.infinite) return v.negative ? "-inf" : "inf";
  const scale = 10n ** BigInt(PRINT_DECIMALS);
  let scaled: bigint;
  if (v.exponent >= 0) {
    scaled = (v.significand << BigInt(v.exponent)) * scale;
  } else {
    const num = v.significand * scale;
    const shift = BigInt(-v.exponent);
    scaled = num >> shift;
    const twiceRemainder = (num - (scaled << shift)) * 2n;
    const den = 1n << shift;
    if (twiceRemainder > den || (twiceRemainder === den && (scaled & 1n) === 1n)) scaled++;
  }
  let digits = scaled.toString().padStart(PRINT_DECIMALS + 1, "0");
  const whole = digits.slice(0, digits.length - PRINT_DECIMALS);
  const fraction = digits.slice(digits.length - PRINT_DECIMALS).replace(/0+$/, "");
  digits = fraction.length > 0 ? `${whole}.${fraction}` : whole;
  if (digits === "0") return "0";
  return v.negative ? `-${digits}` : digits;
}

/**
 * INCRBYFLOAT's arithmetic, exactly as Redis computes it in x87 long double
 * (see above). Returns null when either operand is not a valid float, and
 * "overflow" when the sum is infinite or NaN ("increment would produce NaN or
 * Infinity").
 */
export function addDecimalTexts(current: string, increment: string): string | null | "overflow" {
  const a = parseLongDouble(current);
  if (a === null) return null;
  const b = parseLongDouble(increment);
  if (b === null) return null;
  const sum = addLongDoubles(a, b);
  if (sum === null || sum.infinite) return "overflow";
  return formatLongDoubleHuman(sum);
}
