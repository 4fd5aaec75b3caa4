#pragma once
// Standard normals by the ziggurat method (Marsaglia & Tsang 2000, 256 layers) from the chunked
// streams. Box-Muller costs a logarithm and a sine per pair; the ziggurat returns 98.5% of its
// values with two table look-ups and a multiply. In float each 32-bit word (two per rng.next())
// gives 8 bits of layer index, a sign bit and 23 bits of magnitude; in double each 64-bit word
// gives 8, 1 and 53 bits.
#include <cstdint>

#include "condgen/rng.hpp"
#include "condgen/types.hpp"

namespace condgen {

/// n standard normals from rng into out; scratch holds 2 n words. The fast path runs branch-free
/// over all words; the ~1.5% that fail it are finished after, in order, with further draws.
void fill_normals(RandomStream& rng, float* out, Index n, std::uint32_t* scratch);
void fill_normals(RandomStream& rng, double* out, Index n, std::uint64_t* scratch);

/// The same with a scratch buffer owned by the calling thread.
template <class T>
void fill_normals(RandomStream& rng, T* out, Index n);

}  // namespace condgen
