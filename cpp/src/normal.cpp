#include "condgen/normal.hpp"

#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

namespace condgen {

namespace {

constexpr double kZigR = 3.6541528853610088;  // start of the tail
constexpr double kZigV = 4.92867323399e-3;    // area of each layer

/// The word layout of each precision: the magnitude is the word above its low 9 (float) or 11
/// (double) bits, and bit 8 (the sign) moves to the sign bit of the value.
template <class T>
struct Layout {
  using Word = std::uint32_t;
  static constexpr int kMagnitudeShift = 9;
  static constexpr double kScale = 0x1p23;
  static constexpr int kSignShift = 23;
};
template <>
struct Layout<double> {
  using Word = std::uint64_t;
  static constexpr int kMagnitudeShift = 11;
  static constexpr double kScale = 0x1p53;
  static constexpr int kSignShift = 55;
};

template <class T>
struct ZigguratTables {
  using Word = typename Layout<T>::Word;
  Word k[256];  // accept without further test when magnitude < k[i]
  double w[256];  // magnitude -> x
  T w_typed[256];
  double f[256];  // exp(-x^2 / 2) at the layer edges

  ZigguratTables() {
    constexpr double scale = Layout<T>::kScale;
    const double q = kZigV / std::exp(-0.5 * kZigR * kZigR);
    k[0] = static_cast<Word>((kZigR / q) * scale);
    k[1] = 0;
    w[0] = q / scale;
    w[255] = kZigR / scale;
    f[0] = 1.0;
    f[255] = std::exp(-0.5 * kZigR * kZigR);
    double x = kZigR;
    for (int i = 254; i >= 1; --i) {
      const double next = std::sqrt(-2.0 * std::log(kZigV / x + std::exp(-0.5 * x * x)));
      k[i + 1] = static_cast<Word>((next / x) * scale);
      x = next;
      f[i] = std::exp(-0.5 * x * x);
      w[i] = x / scale;
    }
    for (int i = 0; i < 256; ++i) w_typed[i] = static_cast<T>(w[i]);
  }
};

template <class T>
const ZigguratTables<T>& ziggurat() {
  static const ZigguratTables<T> tables;
  return tables;
}

/// The rest of the ziggurat for a word whose fast test failed: the tail (Marsaglia 1964) or the
/// wedge test, and fresh words from rng until a value is accepted.
template <class T>
T ziggurat_slow(RandomStream& rng, typename Layout<T>::Word word) {
  using Word = typename Layout<T>::Word;
  const ZigguratTables<T>& t = ziggurat<T>();
  for (;;) {
    const unsigned layer = word & 0xFFu;
    const double sign = (word & 0x100u) ? -1.0 : 1.0;
    const Word magnitude = word >> Layout<T>::kMagnitudeShift;
    const double x = static_cast<double>(magnitude) * t.w[layer];
    if (magnitude < t.k[layer]) return static_cast<T>(sign * x);
    if (layer == 0) {
      double tail, y;
      do {
        tail = -std::log(1.0 - rng.uniform()) / kZigR;
        y = -std::log(1.0 - rng.uniform());
      } while (y + y < tail * tail);
      return static_cast<T>(sign * (kZigR + tail));
    }
    if (t.f[layer] + rng.uniform() * (t.f[layer - 1] - t.f[layer]) < std::exp(-0.5 * x * x)) {
      return static_cast<T>(sign * x);
    }
    word = static_cast<Word>(rng.next());
  }
}

template <class T>
void fill(RandomStream& rng, T* out, Index n, typename Layout<T>::Word* scratch) {
  using Word = typename Layout<T>::Word;
  const ZigguratTables<T>& t = ziggurat<T>();
  Word* words = scratch;
  Word* slow = scratch + n;
  if constexpr (std::is_same_v<Word, std::uint32_t>) {
    for (Index i = 0; i + 1 < n; i += 2) {
      const std::uint64_t r = rng.next();
      words[i] = static_cast<std::uint32_t>(r);
      words[i + 1] = static_cast<std::uint32_t>(r >> 32);
    }
    if (n % 2 != 0) words[n - 1] = static_cast<std::uint32_t>(rng.next());
  } else {
    for (Index i = 0; i < n; ++i) words[i] = rng.next();
  }
  Index n_slow = 0;
  for (Index i = 0; i < n; ++i) {
    const Word word = words[i], layer = word & 0xFFu, magnitude = word >> Layout<T>::kMagnitudeShift;
    const T x = static_cast<T>(magnitude) * t.w_typed[layer];
    // The sign bit of the word becomes the sign bit of x (a branch would mispredict half the time).
    Word bits;
    std::memcpy(&bits, &x, sizeof bits);
    bits ^= (word & 0x100u) << Layout<T>::kSignShift;
    std::memcpy(out + i, &bits, sizeof bits);
    slow[n_slow] = static_cast<Word>(i);
    n_slow += magnitude >= t.k[layer];
  }
  for (Index s = 0; s < n_slow; ++s) out[slow[s]] = ziggurat_slow<T>(rng, words[slow[s]]);
}

}  // namespace

void fill_normals(RandomStream& rng, float* out, Index n, std::uint32_t* scratch) { fill(rng, out, n, scratch); }

void fill_normals(RandomStream& rng, double* out, Index n, std::uint64_t* scratch) { fill(rng, out, n, scratch); }

template <class T>
void fill_normals(RandomStream& rng, T* out, Index n) {
  thread_local std::vector<typename Layout<T>::Word> scratch;
  scratch.resize(static_cast<std::size_t>(2 * n));
  fill(rng, out, n, scratch.data());
}

template void fill_normals<float>(RandomStream&, float*, Index);
template void fill_normals<double>(RandomStream&, double*, Index);

}  // namespace condgen
