// Value types of keyspace entries, and their encodings. The numbers are part
// of the memory image (snapshots), so they never change meaning.

// @ts-ignore: decorator
@inline export const TYPE_STRING: u32 = 0;
// @ts-ignore: decorator
@inline export const TYPE_LIST: u32 = 1;
// @ts-ignore: decorator
@inline export const TYPE_SET: u32 = 2;
// @ts-ignore: decorator
@inline export const TYPE_ZSET: u32 = 3;
// @ts-ignore: decorator
@inline export const TYPE_HASH: u32 = 4;

// String encodings, named as Redis's OBJECT ENCODING names them. The bytes are
// stored the same way for all three; the tag follows Redis's rules for when a
// value counts as an integer, a short ("embedded") string or a raw one.
// @ts-ignore: decorator
@inline export const ENC_RAW: u32 = 0;
// @ts-ignore: decorator
@inline export const ENC_INT: u32 = 1;
// @ts-ignore: decorator
@inline export const ENC_EMBSTR: u32 = 2;
