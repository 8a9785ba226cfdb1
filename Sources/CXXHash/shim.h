// XXH3, Yann Collet's xxHash (Debian's libxxhash-dev, installed by scripts/setup.sh), compiled
// into the importing module from its header (XXH_INLINE_ALL): nothing is linked, so no shared
// library is loaded at start-up. RiskIO's market cache hashes every byte of each market-data
// file and of each cache entry on every run with it (MarketCache.swift, ContentHash.of).
#include <stddef.h>
#include <stdint.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

/// XXH3's 128-bit hash of `length` bytes at `data` (seed 0), as its low and high words.
static inline void advisor_xxh3_128(const void *data, size_t length, uint64_t *low, uint64_t *high) {
  XXH128_hash_t h = XXH3_128bits(data, length);
  *low = h.low64;
  *high = h.high64;
}
