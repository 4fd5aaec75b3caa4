#pragma once
// Numerically stable scalar and array helpers shared by the RBM, DBM, AIS and CGAN kernels.
#include <cmath>
#include <limits>

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

/// In place: x <- sigmoid(x), vectorised (Eigen's packet exp / rational approximation for float).
/// Eigen computes x's unaligned head and tail with scalar code, whose last bit can differ from the
/// packet code: use it on the kernel's own buffers, never on a caller's array.
template <class Derived>
inline void sigmoid_inplace(Eigen::DenseBase<Derived>& x) {
  x.derived().array() = x.derived().array().logistic();
}

/// Sum over the entries of softplus(x), vectorised.
template <class Derived>
inline typename Derived::Scalar softplus_sum(const Eigen::DenseBase<Derived>& x) {
  using T = typename Derived::Scalar;
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

}  // namespace condgen
