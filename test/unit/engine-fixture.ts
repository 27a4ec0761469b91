// An engine with a clock the test moves by hand, every effect record kept,
// and helpers that speak strings.
import { Engine, type EngineOptions } from "../../runtime/engine.ts";
import type { EffectRecord } from "../../runtime/effects.ts";
import type { Session } from "../../runtime/context.ts";
import { text, toBytes, type Arg } from "../../runtime/bytes.ts";
import { ErrorReply, SimpleString, type Reply } from "../../runtime/reply.ts";
import { coreModule } from "../helpers/core-bytes.ts";

/** 2023-11-14T22:13:20Z: any fixed start works; this one is far from 0 like a real clock. */
export const START_MS = 1_700_000_000_000;

export class Fixture {
  now = START_MS;
  readonly effects: EffectRecord[] = [];
  engine!: Engine;
  session!: Session;

  static async create(options: EngineOptions = {}): Promise<Fixture> {
    const f = new Fixture();
    f.engine = await Engine.create(coreModule(), {
      // A fixed seed makes runs repeatable; TRIREME_TEST_SEED tries others.
      seed: Number(process.env.TRIREME_TEST_SEED ?? 12345),
      ...options,
      clock: () => f.now,
      onEffect: (r) => f.effects.push(r),
    });
    f.session = f.engine.newSession();
    return f;
  }

  /** Runs a command; replies come back with bulk strings as JS strings. */
  run(...args: Arg[]): unknown {
    return plain(this.engine.execute(this.session, args.map(toBytes)));
  }

  /** The effect records so far as strings ("DEL k", "db1: SET k v"), then forgets them. */
  takeEffects(): string[] {
    const shown = this.effects.map((r) => (r.db === 0 ? "" : `db${r.db}: `) + r.args.map(text).join(" "));
    this.effects.length = 0;
    return shown;
  }

  advance(ms: number): void {
    this.now += ms;
  }
}

export function plain(reply: Reply): unknown {
  if (reply instanceof Uint8Array) return text(reply);
  if (reply instanceof SimpleString) return reply.value;
  if (reply instanceof ErrorReply) return { error: reply.message };
  if (Array.isArray(reply)) return reply.map(plain);
  if (typeof reply === "bigint") return reply;
  return reply;
}
