// The verification caches (key rows, verified keys, verified tokens) hold at
// most this many entries, so that a flood of distinct credentials cannot grow
// an instance's memory without bound; the oldest entry goes first.
const MAX_ENTRIES = 10_000;

export function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= MAX_ENTRIES && !cache.has(key)) cache.delete(cache.keys().next().value as K);
  cache.set(key, value);
}
