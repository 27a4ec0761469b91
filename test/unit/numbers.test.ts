// runtime/numbers.ts against outputs recorded from redis-server 7.0.15 on
// x86-64: ZADD then ZSCORE for "%.17g", SET then INCRBYFLOAT for the long
// double sum printed with "%.17Lf". (test/differential/numbers.test.ts checks
// thousands more against a live server.)
import { describe, expect, it } from "vitest";
import { addDecimalTexts, formatDouble } from "../../runtime/numbers.ts";

describe("formatDouble", () => {
  const recorded: Array<[number, string]> = [
    [0.1, "0.10000000000000001"],
    [0.30000000000000004, "0.30000000000000004"],
    [0.3333333333333333, "0.33333333333333331"],
    [1e16, "10000000000000000"],
    [1e17, "1e+17"],
    [1e21, "1e+21"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [5e-324, "4.9406564584124654e-324"],
    [2.2250738585072014e-308, "2.2250738585072014e-308"],
    [0.0001, "0.0001"],
    [0.00001, "1.0000000000000001e-05"],
    [123456.789, "123456.789"],
    [9007199254740993, "9007199254740992"],
    [1000000000000000.2, "1000000000000000.2"], // exactly ...000.25: a tie, rounded to even
    [1000000000000000.8, "1000000000000000.8"], // exactly ...000.75: a tie, rounded to even
    [3.814697265625e-6, "3.814697265625e-06"],
    [100, "100"],
    [1e100, "1e+100"],
    [-2.5, "-2.5"],
    [12345678901234567, "12345678901234568"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
  ];
  for (const [value, text] of recorded) {
    it(`prints ${value} as ${text}`, () => expect(formatDouble(value)).toBe(text));
  }
});

describe("addDecimalTexts", () => {
  const recorded: Array<[string, string, string | null | "overflow"]> = [
    ["1.5", "1.5", "3"],
    ["1", "1e20", "100000000000000000000"],
    ["0.1", "0.2", "0.3"],
    ["100000000000000000000", "0.1", "100000000000000000000"],
    ["-1", "0.99999999999999999999", "0"],
    ["3.0e3", "-2.5", "2997.5"],
    ["1", "0x1p3", "9"],
    ["10.5", "-0.5", "10"],
    ["0.000000000000000005", "0", "0"],
    ["0.000000000000000015", "0", "0.00000000000000002"],
    ["2.5e-7", "1e-8", "0.00000026"],
    ["9223372036854775807", "1", "9223372036854775808"],
    ["1", "1e4933", null],
    ["1", "inf", "overflow"],
    ["abc", "1", null],
  ];
  for (const [a, b, sum] of recorded) {
    it(`adds ${a} and ${b}`, () => expect(addDecimalTexts(a, b)).toBe(sum));
  }
});
