// Public entry point of the platform-neutral runtime.
export { openStore, Store, ReplyError, type StoreOptions, type Value } from "./store.ts";
export { BatchReplies, Pipeline, type BatchValue } from "./store.ts";
export { CommandEncoder, type BatchResult } from "./batch.ts";
export { openStoreFromSnapshot } from "./store.ts";
export {
  readSnapshotHeader, buildHashOf, SnapshotError, OtherBuildSnapshotError, SNAPSHOT_FORMAT_VERSION, SNAPSHOT_HEADER_BYTES,
  type SnapshotHeader,
} from "./snapshot.ts";
export { Engine, type EngineOptions, type EvictionPolicy, EVICTION_POLICIES } from "./engine.ts";
export type { EffectRecord } from "./effects.ts";
export type { Session } from "./context.ts";
export { loadCore, compileCore, Core, type CoreSource } from "./core.ts";
export * from "./reply.ts";
export {
  RespWriter, encodeReply, encodeCommand, parseValue, parseAll, RespProtocolError,
  DEFAULT_RESP_LIMITS, type RespValue, type RespLimits,
} from "./resp.ts";
