#pragma once
// Bulk draws from the chunked streams (used by the tests of the generator itself, and handy for
// any kernel that needs a matrix of noise).
#include <cstdint>

#include "condgen/types.hpp"

namespace condgen {

/// Fills out with uniforms on [0, 1), chunk c of kChunkRows entries from stream (seed, stream, c).
void fill_uniform(std::uint64_t seed, std::uint64_t stream, Eigen::Ref<Vector<double>> out);
/// Same with standard normals.
void fill_normal(std::uint64_t seed, std::uint64_t stream, Eigen::Ref<Vector<double>> out);

}  // namespace condgen
