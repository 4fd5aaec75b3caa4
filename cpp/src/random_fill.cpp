#include "condgen/random_fill.hpp"

#include "condgen/normal.hpp"
#include "condgen/parallel.hpp"
#include "condgen/rng.hpp"

namespace condgen {

namespace {
constexpr Index kFillChunk = 4096;

template <class Draw>
void fill(std::uint64_t seed, std::uint64_t stream, Eigen::Ref<Vector<double>> out, Draw draw) {
  for_each_chunk(out.size(), kFillChunk, [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, stream, static_cast<std::uint64_t>(chunk));
    for (Index i = begin; i < end; ++i) out[i] = draw(rng);
  });
}
}  // namespace

void fill_uniform(std::uint64_t seed, std::uint64_t stream, Eigen::Ref<Vector<double>> out) {
  fill(seed, stream, out, [](RandomStream& rng) { return rng.uniform(); });
}

void fill_normal(std::uint64_t seed, std::uint64_t stream, Eigen::Ref<Vector<double>> out) {
  for_each_chunk(out.size(), kFillChunk, [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, stream, static_cast<std::uint64_t>(chunk));
    fill_normals(rng, out.data() + begin, end - begin);
  });
}

}  // namespace condgen
