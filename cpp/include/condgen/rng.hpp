#pragma once
// Counter-based random streams.
//
// Every stream is identified by (seed, stream id, chunk index): the three numbers are hashed with
// splitmix64 into the state of a xoshiro256++ engine. Work that needs randomness is cut into
// fixed-size chunks (never "n / n_threads"), each chunk drawing from its own stream, so the result
// depends on the seed only and never on the number of threads or the schedule.
//
// Distributions are written here by hand: std:: distributions differ between standard libraries.
#include <cmath>
#include <cstdint>

namespace condgen {

/// One step of splitmix64: advances `state` and returns a well-mixed 64-bit value.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Well-known stream ids, so that different uses of one seed never share a stream.
/// Modules add their own ids here (one place to see them all).
enum StreamId : std::uint64_t {
  kStreamTest = 1,        // raw draws exposed for the RNG tests
  kStreamRbmEpoch = 16,   // RBM training: shuffling and sampling during one epoch
  kStreamRbmSample = 17,  // RBM conditional sampling / Gibbs chains
  kStreamRbmTypes = 18,   // RBMs of other unit types: training epochs, sampling
  kStreamDbm = 32,        // DBM fine-tuning, Gibbs sampling
  kStreamDbmShuffle = 33, // DBM fine-tuning: minibatch order
  kStreamMultimodal = 34,     // multimodal DBM fine-tuning, Gibbs sampling
  kStreamMultimodalAis = 35,  // multimodal DBM AIS particles
  kStreamAis = 48,        // AIS particles
  kStreamAisInit = 49,    // AIS start states
  kStreamAisRows = 50,    // per-row AIS of DBM likelihoods
  kStreamAisTypes = 51,   // AIS of RBMs of other unit types
  kStreamCgan = 64,       // CGAN noise
  kStreamCganGenerate = 65,  // CGAN generation
};

class RandomStream {
 public:
  RandomStream(std::uint64_t seed, std::uint64_t stream, std::uint64_t chunk) {
    // Hash the three words one after the other so that nearby (stream, chunk) pairs give
    // unrelated engine states.
    std::uint64_t h = seed;
    std::uint64_t key = splitmix64(h);
    h = key ^ (stream * 0xD1B54A32D192ED03ULL);
    key = splitmix64(h);
    h = key ^ (chunk * 0xAEF17502108EF2D9ULL);
    for (auto& word : s_) word = splitmix64(h);
  }

  /// xoshiro256++ step.
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform on [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform on [0, 1) in the precision of T (24 random bits for float).
  template <class T>
  T uniform_as() {
    if constexpr (sizeof(T) == sizeof(float)) {
      return static_cast<float>(next() >> 40) * 0x1.0p-24f;
    } else {
      return static_cast<T>(uniform());
    }
  }

  /// 1 with probability p, else 0 (u < p, as the spec's Bernoulli(P)).
  template <class T>
  T bernoulli(T p) {
    return uniform_as<T>() < p ? T(1) : T(0);
  }

  /// p[j] <- bernoulli(p[j]) for j < n: the same draws as n calls of bernoulli, but the uniforms
  /// first and then a branch-free comparison (a branch on a random outcome mispredicts half the time).
  template <class T>
  void bernoulli_inplace(T* p, std::int64_t n) {
    constexpr std::int64_t kBlock = 256;
    T u[kBlock];
    for (std::int64_t first = 0; first < n; first += kBlock) {
      const std::int64_t m = n - first < kBlock ? n - first : kBlock;
      for (std::int64_t j = 0; j < m; ++j) u[j] = uniform_as<T>();
      T* q = p + first;
      for (std::int64_t j = 0; j < m; ++j) q[j] = u[j] < q[j] ? T(1) : T(0);
    }
  }

  /// Standard normal by the Box-Muller transform; the second value of each pair is kept.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 6.283185307179586476925 * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

  /// Uniform integer in [0, n) (Lemire's multiply-shift with rejection: unbiased).
  std::uint64_t below(std::uint64_t n) {
    std::uint64_t x = next();
    __uint128_t m = static_cast<__uint128_t>(x) * n;
    std::uint64_t low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        x = next();
        m = static_cast<__uint128_t>(x) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  /// Fisher-Yates shuffle of [first, first + n).
  template <class It>
  void shuffle(It first, std::uint64_t n) {
    for (std::uint64_t i = n; i > 1; --i) {
      const std::uint64_t j = below(i);
      std::swap(first[i - 1], first[j]);
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace condgen
