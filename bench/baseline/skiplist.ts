// A plain JavaScript sorted set, the baseline the engine's ZADD, ZRANK and
// ZRANGE are measured against: Redis's own design (t_zset.c) written in JS,
// a Map from member to score plus a skiplist with spans.
//
// The skiplist orders nodes by (score, member). Each node has a tower of
// levels; level i links to the next node at that level and records the
// span, the number of level-0 steps the link skips. Summing spans on the way
// down gives a node's rank in O(log n), and following them finds the node at
// a rank in O(log n). Node heights are random with p = 1/4, at most 32, as in
// Redis. A score update removes the node and inserts it again.

const MAX_LEVEL = 32;
const P = 0.25;

class SkipNode {
  readonly member: string;
  readonly score: number;
  backward: SkipNode | null = null;
  readonly forward: (SkipNode | null)[];
  readonly span: number[];

  constructor(level: number, score: number, member: string) {
    this.member = member;
    this.score = score;
    this.forward = new Array<SkipNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

function before(node: SkipNode, score: number, member: string): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

export class SkipList {
  private readonly head = new SkipNode(MAX_LEVEL, -Infinity, "");
  private level = 1;
  length = 0;
  // Reused per operation: the last node before the target at each level, and its rank.
  private readonly update: SkipNode[] = new Array<SkipNode>(MAX_LEVEL);
  private readonly rankAt: number[] = new Array<number>(MAX_LEVEL).fill(0);

  insert(score: number, member: string): void {
    const update = this.update;
    const rank = this.rankAt;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!;
      for (let next = x.forward[i]; next !== null && next !== undefined && before(next, score, member); next = x.forward[i]) {
        rank[i]! += x.span[i]!;
        x = next;
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        this.head.span[i] = this.length;
      }
      this.level = level;
    }
    const node = new SkipNode(level, score, member);
    for (let i = 0; i < level; i++) {
      const u = update[i]!;
      node.forward[i] = u.forward[i]!;
      u.forward[i] = node;
      node.span[i] = u.span[i]! - (rank[0]! - rank[i]!);
      u.span[i] = rank[0]! - rank[i]! + 1;
    }
    for (let i = level; i < this.level; i++) update[i]!.span[i]!++;
    node.backward = update[0] === this.head ? null : update[0]!;
    const after = node.forward[0];
    if (after !== null && after !== undefined) after.backward = node;
    this.length++;
  }

  /** Removes the node with this score and member; returns whether it was there. */
  delete(score: number, member: string): boolean {
    const update = this.update;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = x.forward[i]; next !== null && next !== undefined && before(next, score, member); next = x.forward[i]) x = next;
      update[i] = x;
    }
    const target = x.forward[0];
    if (target === null || target === undefined || target.score !== score || target.member !== member) return false;
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!;
      if (u.forward[i] === target) {
        u.span[i]! += target.span[i]! - 1;
        u.forward[i] = target.forward[i]!;
      } else {
        u.span[i]!--;
      }
    }
    const after = target.forward[0];
    if (after !== null && after !== undefined) after.backward = target.backward;
    while (this.level > 1 && this.head.forward[this.level - 1] === null) this.level--;
    this.length--;
    return true;
  }

  /** 0-based rank of the node with this score and member, or -1. */
  rank(score: number, member: string): number {
    let rank = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = x.forward[i]; next !== null && next !== undefined; next = x.forward[i]) {
        if (!(before(next, score, member) || (next.score === score && next.member === member))) break;
        rank += x.span[i]!;
        x = next;
      }
      if (x !== this.head && x.score === score && x.member === member) return rank - 1;
    }
    return -1;
  }

  /** The node at a 0-based rank, or null. */
  byRank(rank: number): SkipNode | null {
    let traversed = 0;
    let x = this.head;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = x.forward[i]; next !== null && next !== undefined && traversed + x.span[i]! <= target; next = x.forward[i]) {
        traversed += x.span[i]!;
        x = next;
      }
      if (traversed === target) return x;
    }
    return null;
  }
}

/** A sorted set: member -> score, and the skiplist for order. */
export class JsSortedSet {
  private readonly scores = new Map<string, number>();
  private readonly list = new SkipList();

  get size(): number {
    return this.scores.size;
  }

  /** ZADD score member: returns 1 if added, 0 if it existed (score updated if different). */
  add(score: number, member: string): number {
    const old = this.scores.get(member);
    if (old === undefined) {
      this.scores.set(member, score);
      this.list.insert(score, member);
      return 1;
    }
    if (old !== score) {
      this.list.delete(old, member);
      this.list.insert(score, member);
      this.scores.set(member, score);
    }
    return 0;
  }

  /** ZRANK member: 0-based rank, or null if absent. */
  rank(member: string): number | null {
    const score = this.scores.get(member);
    if (score === undefined) return null;
    return this.list.rank(score, member);
  }

  /** ZRANGE start stop (0-based, inclusive, negative from the end): the members. */
  range(start: number, stop: number): string[] {
    const n = this.scores.size;
    if (start < 0) start = Math.max(0, n + start);
    if (stop < 0) stop = n + stop;
    if (stop >= n) stop = n - 1;
    const out: string[] = [];
    if (start > stop) return out;
    let x = this.list.byRank(start);
    for (let i = start; i <= stop && x !== null; i++) {
      out.push(x.member);
      x = x.forward[0] ?? null;
    }
    return out;
  }
}
