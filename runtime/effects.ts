// Effect records: what a write did, in a form that replays the same way
// anywhere. A record is a command (its arguments as bytes) to run in a given
// database. Handlers make non-deterministic writes deterministic by
// rewriting what they propagate: a relative expiry becomes PEXPIREAT/PXAT, a
// random pop becomes the removal of the chosen members, a float increment
// becomes the resulting SET. Keys that the engine deletes on its own (expiry,
// eviction) become DEL records. The log (a later layer) frames, numbers and
// checksums these records; here they are plain values.

export interface EffectRecord {
  readonly db: number;
  readonly args: readonly Uint8Array[];
}
