#pragma once
// Numerically stable scalar and array helpers shared by the RBM, DBM, AIS and CGAN kernels.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include <immintrin.h>

#include "condgen/types.hpp"

namespace condgen {

/// Logistic function 1 / (1 + exp(-x)); exact 0 or 1 only where the float type rounds to it.
template <class T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

/// softplus(x) = log(1 + exp(x)) without overflow for large x or loss of precision for small x.
template <class T>
inline T softplus(T x) {
  return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));
}

#ifdef __FMA__
/// c0 + x (c1 + x (c2 + ...)): Horner's scheme with fused multiply-adds, unrolled at compile time.
template <class... Rest>
inline double polynomial(double x, double c0, Rest... rest) {
  if constexpr (sizeof...(rest) == 0) {
    return c0;
  } else {
    return std::fma(polynomial(x, rest...), x, c0);
  }
}

/// exp(x) for double, within 1 ulp of std::exp on [-708, 708]; x is clamped to that range, where
/// the logistic function is already 0 or 1 to double precision (or below 3.4e-308). A plain
/// function of one value that the compiler vectorises in `omp simd` loops: with FMA it is about
/// 1.7x faster than Eigen's packet exp, and the vector and scalar code give the same bits.
inline double exp_clamped(double x) {
  constexpr double kLog2e = 1.4426950408889634, kLn2Hi = 6.93147180369123816490e-01,
                   kLn2Lo = 1.90821492927058770002e-10, kRoundShift = 0x1.8p52;
  x = std::min(std::max(x, -708.0), 708.0);
  // n = round(x / ln 2) lands in the low mantissa bits of t; r = x - n ln 2 in two steps (Cody-Waite).
  const double t = std::fma(x, kLog2e, kRoundShift);
  const double n = t - kRoundShift;
  const double r = std::fma(-n, kLn2Lo, std::fma(-n, kLn2Hi, x));
  // exp(r) for |r| <= ln(2) / 2 by its Taylor polynomial of degree 13 (remainder below 1e-17).
  const double p = polynomial(r, 1.0, 1.0, 1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0,
                              1.0 / 40320.0, 1.0 / 362880.0, 1.0 / 3628800.0, 1.0 / 39916800.0, 1.0 / 479001600.0,
                              1.0 / 6227020800.0);
  // 2^n from the integer in t's low bits, moved into the exponent field.
  std::int64_t bits;
  std::memcpy(&bits, &t, sizeof bits);
  bits = (bits + 1023) << 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}
#endif

/// x[i] <- 1 / (1 + exp(-scale x[i])) for n contiguous entries, vectorised. For double (with FMA)
/// the bits do not depend on where the entries sit in memory; for float this is Eigen's logistic,
/// whose scalar head and tail can differ from its packet code in the last bit (use it on the
/// kernel's own buffers).
template <class T>
inline void logistic_inplace(T* x, Index n, T scale = T(1)) {
#ifdef __FMA__
  if constexpr (std::is_same_v<T, double>) {
#pragma omp simd
    for (Index i = 0; i < n; ++i) x[i] = 1.0 / (1.0 + exp_clamped(-scale * x[i]));
    return;
  }
#endif
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> a(x, n);
  a = (scale * a).logistic();
}

/// x[i] <- u[i] (1 + exp(-x[i])) for n contiguous entries: u < sigmoid(x) exactly when the result
/// is below 1, a Bernoulli draw without a division.
template <class T>
inline void logistic_draw_test(T* x, const T* u, Index n) {
#ifdef __FMA__
  if constexpr (std::is_same_v<T, double>) {
#pragma omp simd
    for (Index i = 0; i < n; ++i) x[i] = u[i] * (1.0 + exp_clamped(-x[i]));
    return;
  }
#endif
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> a(x, n);
  a = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(u, n) * (T(1) + (-a).exp());
}

/// m <- sigmoid(scale m) for a row-major matrix or block whose rows are contiguous (inner stride 1),
/// with logistic_inplace.
template <class Derived>
inline void logistic_rows_inplace(Eigen::MatrixBase<Derived>& m, typename Derived::Scalar scale = 1) {
  static_assert(Derived::IsRowMajor || Derived::ColsAtCompileTime == 1, "rows must be contiguous");
  eigen_assert(m.innerStride() == 1);
  if (m.outerStride() == m.cols() || m.rows() == 1 || m.cols() == 1) {  // one contiguous array: narrow rows vectorise too
    logistic_inplace(m.derived().data(), m.size(), scale);
    return;
  }
  for (Index r = 0; r < m.rows(); ++r) logistic_inplace(&m.derived().coeffRef(r, 0), m.cols(), scale);
}

#ifdef __FMA__
/// log(1 + y) for y in [0, 1] to about 1 ulp: 2 atanh(s) with s = y / (2 + y) <= 1/3, whose odd
/// series in s is cut after s^33 (the rest is below 1e-17 of the sum). Vectorisable, like exp_clamped.
inline double log1p_unit(double y) {
  const double s = y / (2.0 + y);
  const double s2 = s * s;
  return 2.0 * s * polynomial(s2, 1.0, 1.0 / 3.0, 1.0 / 5.0, 1.0 / 7.0, 1.0 / 9.0, 1.0 / 11.0, 1.0 / 13.0, 1.0 / 15.0,
                              1.0 / 17.0, 1.0 / 19.0, 1.0 / 21.0, 1.0 / 23.0, 1.0 / 25.0, 1.0 / 27.0, 1.0 / 29.0,
                              1.0 / 31.0, 1.0 / 33.0);
}
#endif

/// Sum over the entries of softplus(x) = max(x, 0) + log(1 + exp(-|x|)), vectorised. In double
/// (with FMA) on the entries copied into an array of our own, so the order of the additions never
/// depends on where x sits in memory.
template <class Derived>
inline typename Derived::Scalar softplus_sum(const Eigen::DenseBase<Derived>& x) {
  using T = typename Derived::Scalar;
#ifdef __FMA__
  if constexpr (std::is_same_v<T, double>) {
    const Eigen::Array<double, Eigen::Dynamic, 1> a = x.derived().reshaped();
    const double* data = a.data();
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (Index i = 0; i < a.size(); ++i) {
      sum += std::max(data[i], 0.0) + log1p_unit(exp_clamped(-std::abs(data[i])));
    }
    return sum;
  }
#endif
  const auto a = x.derived().array();
  return (a.max(T(0)) + (-a.abs()).exp().log1p()).sum();
}

/// Streaming log-sum-exp: add terms one by one (or merge partial results) and read log(sum exp).
/// Keeps the running maximum as the shift, so no term overflows; -inf terms are allowed.
class LogSumExp {
 public:
  void add(double value) {
    if (value == -std::numeric_limits<double>::infinity()) return;
    if (value <= max_) {
      sum_ += std::exp(value - max_);
    } else {
      sum_ = sum_ * std::exp(max_ - value) + 1.0;
      max_ = value;
    }
  }
  /// Adds all the terms summarised by another accumulator.
  void merge(const LogSumExp& other) {
    if (other.sum_ == 0.0) return;
    if (other.max_ <= max_) {
      sum_ += other.sum_ * std::exp(other.max_ - max_);
    } else {
      sum_ = sum_ * std::exp(max_ - other.max_) + other.sum_;
      max_ = other.max_;
    }
  }
  /// log(sum of exp(terms)); -inf when no finite term was added.
  double value() const {
    return sum_ == 0.0 ? -std::numeric_limits<double>::infinity() : max_ + std::log(sum_);
  }

 private:
  double max_ = -std::numeric_limits<double>::infinity();
  double sum_ = 0.0;
};

/// log(sum_i exp(x_i)) of an Eigen array or vector, shifted by the maximum.
template <class Derived>
inline double log_sum_exp(const Eigen::DenseBase<Derived>& x) {
  if (x.size() == 0) return -std::numeric_limits<double>::infinity();
  const double shift = static_cast<double>(x.maxCoeff());
  if (!std::isfinite(shift)) return shift;  // +inf, or every term -inf
  return shift + std::log((x.derived().template cast<double>().array() - shift).exp().sum());
}

/// Room `active_units` may write past the last index.
constexpr Index kActiveSlack = 16;

/// Indices of the non-zero entries of a row (e.g. the active units of binary states), in order and
/// without branches. May write garbage into the kActiveSlack entries after the last index.
template <class T>
Index active_units(const T* row, Index n, Index* out) {
#if defined(__AVX512F__) && defined(__AVX512VL__)
  // Eight entries per step: compare, compress the indices in a register (a compressing store
  // to memory is slow on some CPUs) and store all eight lanes.
  static_assert(sizeof(Index) == 8);
  Index count = 0;
  __m512i lanes = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i eight = _mm512_set1_epi64(8);
  for (Index b = 0; b < n; b += 8) {
    const __mmask8 valid = n - b >= 8 ? __mmask8(0xFF) : static_cast<__mmask8>((1u << (n - b)) - 1u);
    __mmask8 on;
    if constexpr (std::is_same_v<T, double>) {
      on = _mm512_cmp_pd_mask(_mm512_maskz_loadu_pd(valid, row + b), _mm512_setzero_pd(), _CMP_NEQ_UQ);
    } else {
      on = static_cast<__mmask8>(
          _mm256_cmp_ps_mask(_mm256_maskz_loadu_ps(valid, row + b), _mm256_setzero_ps(), _CMP_NEQ_UQ));
    }
    on &= valid;
    _mm512_storeu_si512(out + count, _mm512_maskz_compress_epi64(on, lanes));
    count += __builtin_popcount(on);
    lanes = _mm512_add_epi64(lanes, eight);
  }
  return count;
#else
  Index count = 0;
  for (Index j = 0; j < n; ++j) {
    out[count] = j;
    count += row[j] != T(0);
  }
  return count;
#endif
}

}  // namespace condgen
