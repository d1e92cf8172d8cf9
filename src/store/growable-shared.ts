/**
 * Growable SharedArrayBuffers (ES2024; V8 11): the TypeScript library this
 * project compiles against predates them, so their two members are typed
 * here. Views of a growing buffer are made with a fixed length and made
 * again after a growth: length-tracking views are several times slower.
 */
interface Growable {
  readonly maxByteLength: number;
  grow(bytes: number): void;
}

type SharedCtor = new (bytes: number, opts: { maxByteLength: number }) => SharedArrayBuffer;

export function growableShared(bytes: number, maxBytes: number): SharedArrayBuffer {
  return new (SharedArrayBuffer as unknown as SharedCtor)(bytes, { maxByteLength: Math.max(bytes, maxBytes) });
}

export function growShared(b: SharedArrayBuffer, bytes: number): void {
  if (bytes > b.byteLength) (b as unknown as Growable).grow(bytes);
}

export function maxBytes(b: SharedArrayBuffer): number {
  return (b as unknown as Growable).maxByteLength;
}

/**
 * Grow a shared buffer to the power of two of bytes at or above `bytes`
 * (false: its maximum length is smaller). Any thread may, several at once:
 * they ask for the same length, and one that finds it grown further by
 * another goes on.
 */
export function growSharedTo(b: SharedArrayBuffer, bytes: number): boolean {
  if (b.byteLength >= bytes) return true;
  let len = 1024;
  while (len < bytes) len *= 2;
  len = Math.min(len, maxBytes(b));
  if (len < bytes) return false;
  try {
    growShared(b, len);
  } catch (e) {
    // Another worker grew it further meanwhile.
    if (b.byteLength < bytes) throw e;
  }
  return true;
}
