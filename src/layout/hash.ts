/**
 * 32-bit hash of a packed state (MurmurHash3's block mixing and finaliser,
 * Appleby 2008). Seeds give the independent hash functions that bitstate
 * storage and swarm diversification need.
 */
export function hashWords(buf: Uint32Array, off: number, words: number, seed = 0x9747b28c): number {
  let h = seed | 0;
  for (let i = 0; i < words; i++) {
    let k = buf[off + i]! | 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= words << 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** A stable hex digest of a string (FNV-1a 64 over UTF-16 units, in two halves), for trace and model hashes. */
export function digest(text: string): string {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  const hex = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
  return hex(h1) + hex(h2);
}
