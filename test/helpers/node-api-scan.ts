// Finds uses of Node-only APIs in a TypeScript/AssemblyScript source: imports
// of `node:*` or bare Node built-ins ("fs", "path", "fs/promises", ...), and
// the globals `process`, `Buffer`, `require`, `__dirname`, `__filename`,
// `global`. Comments are ignored, and so are words inside string literals
// (an error text may say "process"); import specifiers are checked as
// strings. A property such as `x.process` is not the global and is allowed.
import { builtinModules } from "node:module";

export interface Finding {
  line: number;
  what: string;
}

const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith("_")));
const NODE_GLOBALS = ["process", "Buffer", "require", "__dirname", "__filename", "global"];

interface Lexed {
  /** The source with comments blanked (strings kept), newlines preserved. */
  code: string;
  /** The source with comments and string contents blanked, newlines preserved. */
  bare: string;
}

/** Blanks comments and string contents, keeping every offset and newline. */
function lex(source: string): Lexed {
  const code = source.split("");
  const bare = source.split("");
  const blank = (out: string[], from: number, to: number) => {
    for (let i = from; i < to; i++) if (out[i] !== "\n") out[i] = " ";
  };
  // Template literals nest through ${...}: the stack holds the brace depth at
  // which each open template's expression started.
  const templates: number[] = [];
  let depth = 0;
  let lastSignificant = "";
  let i = 0;
  const n = source.length;
  const readString = (quote: string, start: number): number => {
    let j = start + 1;
    while (j < n && source[j] !== quote && source[j] !== "\n") j += source[j] === "\\" ? 2 : 1;
    return Math.min(j + 1, n);
  };
  const readTemplate = (start: number): number => {
    // From just after ` (or after the } closing an expression) to the closing ` or ${.
    let j = start;
    while (j < n) {
      if (source[j] === "\\") j += 2;
      else if (source[j] === "`") return j + 1;
      else if (source[j] === "$" && source[j + 1] === "{") return j + 2;
      else j++;
    }
    return n;
  };
  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end < 0 ? n : end;
      blank(code, i, stop);
      blank(bare, i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      blank(code, i, stop);
      blank(bare, i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      const stop = readString(c, i);
      blank(bare, i + 1, stop - 1);
      lastSignificant = c;
      i = stop;
    } else if (c === "`" || (c === "}" && templates.length > 0 && templates[templates.length - 1] === depth)) {
      // A template chunk: from after ` (or after the } that closes an
      // expression) to the closing ` or to the next ${.
      if (c === "}") templates.pop();
      const stop = readTemplate(i + 1);
      const opensExpression = source[stop - 1] === "{" && source[stop - 2] === "$";
      blank(bare, i + 1, opensExpression ? stop - 2 : stop - 1);
      if (opensExpression) templates.push(depth);
      lastSignificant = "`";
      i = stop;
    } else if (c === "/" && (lastSignificant === "" || "(,=:[!&|?{};+-*%<>~^".includes(lastSignificant))) {
      // A regular expression literal.
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== "\n") {
        if (source[j] === "\\") j++;
        else if (source[j] === "[") inClass = true;
        else if (source[j] === "]") inClass = false;
        else if (source[j] === "/" && !inClass) break;
        j++;
      }
      blank(bare, i + 1, j);
      lastSignificant = "/";
      i = j + 1;
    } else {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      if (!/\s/.test(c)) lastSignificant = /[\w$]/.test(c) ? "a" : c;
      i++;
    }
  }
  return { code: code.join(""), bare: bare.join("") };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function isNodeModule(specifier: string): boolean {
  if (specifier.startsWith("node:")) return true;
  return NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(specifier.split("/")[0]!);
}

export function findNodeApis(source: string): Finding[] {
  const { code, bare } = lex(source);
  const findings: Finding[] = [];
  const importPatterns = [
    /\bfrom\s*(["'])([^"'\n]+)\1/g,
    /\bimport\s*(["'])([^"'\n]+)\1/g,
    /\bimport\s*\(\s*(["'])([^"'\n]+)\1/g,
    /\bexport\s*\*\s*from\s*(["'])([^"'\n]+)\1/g,
  ];
  for (const pattern of importPatterns) {
    for (const m of code.matchAll(pattern)) {
      // Only where the keyword is code, not inside a string.
      if (bare.slice(m.index, m.index + 4) !== code.slice(m.index, m.index + 4)) continue;
      if (isNodeModule(m[2]!)) findings.push({ line: lineOf(code, m.index), what: `imports "${m[2]}"` });
    }
  }
  for (const name of NODE_GLOBALS) {
    const pattern = new RegExp(`(?<![.\\w$])${name}(?![\\w$])`, "g");
    for (const m of bare.matchAll(pattern)) findings.push({ line: lineOf(bare, m.index), what: `uses ${name}` });
  }
  const seen = new Set<string>();
  return findings
    .filter((f) => !seen.has(`${f.line} ${f.what}`) && seen.add(`${f.line} ${f.what}`))
    .sort((a, b) => a.line - b.line || a.what.localeCompare(b.what));
}
