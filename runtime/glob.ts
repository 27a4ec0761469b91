// Redis's glob-style pattern matching (util.c stringmatchlen), over bytes:
// `*`, `?`, `[abc]`, `[^a-z]`, and `\` to escape. It keeps Redis's two
// protections against patterns that take exponential time: a nesting limit,
// and giving up on longer suffixes once a `*` has failed to match the rest.

const MAX_NESTING = 1000;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * A byte as C's (signed) char on the platforms Redis runs on: bytes 0x80-0xff
 * are negative, which decides what a range like [a-\xff] contains.
 */
function signedChar(b: number): number {
  return (b << 24) >> 24;
}

interface MatchState {
  skipLongerMatches: boolean;
}

function matchFrom(
  pattern: Uint8Array, p: number, plen: number,
  subject: Uint8Array, s: number, slen: number,
  nocase: boolean, state: MatchState, nesting: number,
): boolean {
  if (nesting > MAX_NESTING) return false;
  while (plen > 0 && slen > 0) {
    const pc = pattern[p]!;
    if (pc === 42 /* * */) {
      while (plen > 1 && pattern[p + 1] === 42) {
        p++;
        plen--;
      }
      if (plen === 1) return true;
      while (slen > 0) {
        if (matchFrom(pattern, p + 1, plen - 1, subject, s, slen, nocase, state, nesting + 1)) return true;
        if (state.skipLongerMatches) return false;
        s++;
        slen--;
      }
      state.skipLongerMatches = true;
      return false;
    } else if (pc === 63 /* ? */) {
      s++;
      slen--;
    } else if (pc === 91 /* [ */) {
      p++;
      plen--;
      const not = plen > 0 && pattern[p] === 94; /* ^ */
      if (not) {
        p++;
        plen--;
      }
      let matched = false;
      const c = subject[s]!;
      for (;;) {
        if (plen === 0) {
          p--;
          plen++;
          break;
        }
        const q = pattern[p]!;
        if (q === 92 /* \ */ && plen >= 2) {
          p++;
          plen--;
          if (pattern[p] === c) matched = true;
        } else if (q === 93 /* ] */) {
          break;
        } else if (plen >= 3 && pattern[p + 1] === 45 /* - */) {
          let start = signedChar(pattern[p]!);
          let end = signedChar(pattern[p + 2]!);
          let ch = signedChar(c);
          if (start > end) [start, end] = [end, start];
          if (nocase) {
            start = lower(start);
            end = lower(end);
            ch = lower(ch);
          }
          p += 2;
          plen -= 2;
          if (ch >= start && ch <= end) matched = true;
        } else if (nocase ? lower(q) === lower(c) : q === c) {
          matched = true;
        }
        p++;
        plen--;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      s++;
      slen--;
    } else {
      if (pc === 92 /* \ */ && plen >= 2) {
        p++;
        plen--;
      }
      const q = pattern[p]!;
      const c = subject[s]!;
      if (nocase ? lower(q) !== lower(c) : q !== c) return false;
      s++;
      slen--;
    }
    p++;
    plen--;
    if (slen === 0) {
      while (plen > 0 && pattern[p] === 42) {
        p++;
        plen--;
      }
      break;
    }
  }
  return plen === 0 && slen === 0;
}

export function globMatch(pattern: Uint8Array, subject: Uint8Array, nocase = false): boolean {
  return matchFrom(pattern, 0, pattern.length, subject, 0, subject.length, nocase, { skipLongerMatches: false }, 0);
}

/** Whether a pattern matches everything, so a scan can skip matching. */
export function matchesAll(pattern: Uint8Array): boolean {
  return pattern.length === 1 && pattern[0] === 42;
}
