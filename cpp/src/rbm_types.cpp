#include "condgen/rbm_types.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "condgen/math.hpp"
#include "condgen/normal.hpp"
#include "condgen/parallel.hpp"

namespace condgen {

namespace {

/// Enumerated states per chunk of the exact partition function.
constexpr Index kStatesPerChunk = Index(1) << 12;
/// Largest hidden layer the exact partition function enumerates (2^30 states).
constexpr int kMaxEnumeratedUnits = 30;
/// Particles per chunk of AIS.
constexpr Index kAisRows = 32;
/// Multiply-adds of a product from which its row chunks run in parallel.
constexpr Index kParallelWork = Index(1) << 17;
constexpr double kLog2 = 0.69314718055994530942;
constexpr double kLog2Pi = 1.83787706640934548356;

/// A rows x cols matrix of standard normals from rng, row by row.
template <class T>
RowMatrix<T> standard_normals(RandomStream& rng, Index rows, Index cols) {
  RowMatrix<T> z(rows, cols);
  fill_normals(rng, z.data(), z.size());
  return z;
}

void check_shape(Index rows, Index cols, Index want_rows, Index want_cols, const char* what) {
  if (rows != want_rows || cols != want_cols) {
    throw std::invalid_argument(std::string(what) + " has shape " + std::to_string(rows) + " x " +
                                std::to_string(cols) + ", expected " + std::to_string(want_rows) + " x " +
                                std::to_string(want_cols));
  }
}

/// out += scale * (sum of the rows of m), rows added in order (bits independent of alignment).
template <class M, class Out>
void add_row_sum(const M& m, typename M::Scalar scale, Out& out) {
  for (Index r = 0; r < m.rows(); ++r) out += scale * m.row(r).transpose();
}

/// Per-column factor by which Gaussian visible values enter the hidden input: 1/sigma or 1/sigma^2.
template <class T>
Vector<T> input_scale(const TypedRbm<T>& rbm) {
  if (rbm.visible == VisibleUnits::kGaussian) return rbm.sigma.array().inverse().matrix();
  return rbm.sigma.array().square().inverse().matrix();
}

/// Stable log(1 + sum_k exp(a_k)) of one softmax0 group.
template <class Derived>
double log1p_sum_exp(const Eigen::DenseBase<Derived>& a) {
  const double shift = std::max(0.0, static_cast<double>(a.maxCoeff()));
  return shift + std::log(std::exp(-shift) + (a.derived().template cast<double>().array() - shift).exp().sum());
}

/// body(chunk, begin, end) over the fixed row chunks of [0, n), in parallel when `parallel`.
template <class Body>
void for_each_rows(Index n, bool parallel, Body&& body) {
  if (parallel) {
    for_each_chunk(n, kChunkRows, body);
  } else {
    for (Index k = 0, begin = 0; begin < n; ++k, begin += kChunkRows) body(k, begin, std::min(n, begin + kChunkRows));
  }
}

/// Whether work on `rows` rows is worth running in parallel (below, OpenMP start-up costs more than
/// it saves; chunks and streams are the same either way, so are the results).
template <class T>
bool large(const TypedRbm<T>& rbm, Index rows) {
  return rows * rbm.nv() * rbm.nh() >= kParallelWork;
}

}  // namespace

template <class T>
void TypedRbm<T>::check() const {
  if (b.size() != nv() || c.size() != nh()) {
    throw std::invalid_argument("RBM parameters do not fit: weights are " + std::to_string(nv()) + " x " +
                                std::to_string(nh()) + ", biases have lengths " + std::to_string(b.size()) +
                                " and " + std::to_string(c.size()));
  }
  if (gaussian_visible()) {
    if (sigma.size() != nv()) throw std::invalid_argument("sigma must have one entry per visible unit");
    if (!(sigma.array() > T(0)).all()) throw std::invalid_argument("sigma must be positive");
  }
  if (visible == VisibleUnits::kSoftmax0) {
    Index total = 0;
    for (Index g : groups) {
      if (g < 1) throw std::invalid_argument("softmax0 groups must have at least one column");
      total += g;
    }
    if (total != nv()) throw std::invalid_argument("softmax0 groups must cover the visible units");
  }
  if (hidden == HiddenUnits::kGaussian && visible != VisibleUnits::kBernoulli) {
    throw std::invalid_argument("Gaussian hidden units are supported with Bernoulli visible units only");
  }
}

template <class T>
void typed_hidden_input_block(const TypedRbm<T>& rbm, ConstMatrixRef<T> V, MatrixRef<T> H) {
  if (rbm.gaussian_visible()) {
    const RowMatrix<T> scaled = V.array().rowwise() * input_scale(rbm).transpose().array();
    H.noalias() = scaled * rbm.W;
  } else {
    H.noalias() = V * rbm.W;
  }
  H.rowwise() += rbm.c.transpose();
}

template <class T>
void typed_hidden_potential_block(const TypedRbm<T>& rbm, ConstMatrixRef<T> V, T factor, MatrixRef<T> H) {
  if (!rbm.gaussian_visible() && rbm.hidden == HiddenUnits::kBernoulli) {
    rbm_hidden_probs_block<T>(rbm.W, rbm.c, V, factor, H);  // the Bernoulli path
    return;
  }
  typed_hidden_input_block<T>(rbm, V, H);
  if (rbm.hidden == HiddenUnits::kBernoulli) {
    logistic_rows_inplace(H, factor);
  } else {
    H *= factor;
  }
}

template <class T>
void typed_visible_potential_block(const TypedRbm<T>& rbm, ConstMatrixRef<T> H, T factor, MatrixRef<T> V) {
  switch (rbm.visible) {
    case VisibleUnits::kBernoulli:
      rbm_visible_probs_block<T>(rbm.W, rbm.b, H, factor, V);
      return;
    case VisibleUnits::kBinomial2:  // two Bernoulli copies sharing weights: mean 2p
      rbm_visible_probs_block<T>(rbm.W, rbm.b, H, factor, V);
      V *= T(2);
      return;
    case VisibleUnits::kGaussian:
      V.noalias() = H * rbm.W.transpose();
      V.array() = (V.array().rowwise() * rbm.sigma.transpose().array()).rowwise() + rbm.b.transpose().array();
      return;
    case VisibleUnits::kGaussian2:
      V.noalias() = H * rbm.W.transpose();
      V.rowwise() += rbm.b.transpose();
      return;
    case VisibleUnits::kSoftmax0: {
      V.noalias() = H * rbm.W.transpose();
      V.array() = factor * (V.rowwise() + rbm.b.transpose()).array();
      for (Index r = 0; r < V.rows(); ++r) {
        Index start = 0;
        for (Index g : rbm.groups) {
          auto a = V.row(r).segment(start, g).array();
          // exp(a_k) / (1 + sum_l exp(a_l)), shifted by max(0, max a) against overflow
          const T shift = std::max(T(0), a.maxCoeff());
          a = (a - shift).exp();
          T total = std::exp(-shift);  // summed in order: bits independent of the row's alignment
          for (Index k = 0; k < g; ++k) total += a[k];
          a /= total;
          start += g;
        }
      }
      return;
    }
  }
}

template <class T>
void typed_sample_visible_block(const TypedRbm<T>& rbm, MatrixRef<T> P, RandomStream& rng) {
  switch (rbm.visible) {
    case VisibleUnits::kBernoulli:
      sample_bernoulli_block<T>(P, rng);
      return;
    case VisibleUnits::kBinomial2: {
      // Two Bernoulli(p / 2) draws per unit in the order of two bernoulli calls, the uniforms
      // first so that the sums need no branch.
      Vector<T> u(2 * P.cols());
      for (Index i = 0; i < P.rows(); ++i) {
        for (Index k = 0; k < u.size(); ++k) u[k] = rng.uniform_as<T>();
        for (Index j = 0; j < P.cols(); ++j) {
          const T p = P(i, j) / T(2);
          P(i, j) = (u[2 * j] < p ? T(1) : T(0)) + (u[2 * j + 1] < p ? T(1) : T(0));
        }
      }
      return;
    }
    case VisibleUnits::kGaussian:
    case VisibleUnits::kGaussian2:
      P += standard_normals<T>(rng, P.rows(), P.cols()) * rbm.sigma.asDiagonal();
      return;
    case VisibleUnits::kSoftmax0:
      // One uniform per group: the first column whose cumulative probability reaches it is 1;
      // none (the reference category) when it exceeds the group's total.
      for (Index i = 0; i < P.rows(); ++i) {
        Index start = 0;
        for (Index g : rbm.groups) {
          const T u = rng.uniform_as<T>();
          T cumulative = T(0);
          bool chosen = false;
          for (Index k = start; k < start + g; ++k) {
            cumulative += P(i, k);
            const bool here = !chosen && u <= cumulative;
            chosen = chosen || here;
            P(i, k) = here ? T(1) : T(0);
          }
          start += g;
        }
      }
      return;
  }
}

template <class T>
void typed_sample_hidden_block(const TypedRbm<T>& rbm, MatrixRef<T> P, RandomStream& rng) {
  if (rbm.hidden == HiddenUnits::kBernoulli) {
    sample_bernoulli_block<T>(P, rng);
  } else {
    P += standard_normals<T>(rng, P.rows(), P.cols());
  }
}

template <class T>
void typed_hidden_potential(const TypedRbm<T>& rbm, ConstMatrixRef<T> V, T factor, MatrixRef<T> H) {
  rbm.check();
  check_shape(V.rows(), V.cols(), V.rows(), rbm.nv(), "visible input");
  check_shape(H.rows(), H.cols(), V.rows(), rbm.nh(), "hidden output");
  for_each_rows(V.rows(), large(rbm, V.rows()), [&](Index, Index begin, Index end) {
    typed_hidden_potential_block<T>(rbm, V.middleRows(begin, end - begin), factor, H.middleRows(begin, end - begin));
  });
}

template <class T>
void typed_visible_potential(const TypedRbm<T>& rbm, ConstMatrixRef<T> H, T factor, MatrixRef<T> V) {
  rbm.check();
  check_shape(H.rows(), H.cols(), H.rows(), rbm.nh(), "hidden input");
  check_shape(V.rows(), V.cols(), H.rows(), rbm.nv(), "visible output");
  for_each_rows(H.rows(), large(rbm, H.rows()), [&](Index, Index begin, Index end) {
    typed_visible_potential_block<T>(rbm, H.middleRows(begin, end - begin), factor, V.middleRows(begin, end - begin));
  });
}

template <class T>
void typed_sample_hidden(const TypedRbm<T>& rbm, ConstMatrixRef<T> V, std::uint64_t seed, MatrixRef<T> H) {
  rbm.check();
  check_shape(V.rows(), V.cols(), V.rows(), rbm.nv(), "visible input");
  check_shape(H.rows(), H.cols(), V.rows(), rbm.nh(), "hidden output");
  for_each_rows(V.rows(), large(rbm, V.rows()), [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, kStreamRbmTypes, static_cast<std::uint64_t>(chunk));
    auto h = H.middleRows(begin, end - begin);
    typed_hidden_potential_block<T>(rbm, V.middleRows(begin, end - begin), T(1), h);
    typed_sample_hidden_block<T>(rbm, h, rng);
  });
}

template <class T>
void typed_sample_visible(const TypedRbm<T>& rbm, ConstMatrixRef<T> H, std::uint64_t seed, MatrixRef<T> V) {
  rbm.check();
  check_shape(H.rows(), H.cols(), H.rows(), rbm.nh(), "hidden input");
  check_shape(V.rows(), V.cols(), H.rows(), rbm.nv(), "visible output");
  for_each_rows(H.rows(), large(rbm, H.rows()), [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, kStreamRbmTypes, static_cast<std::uint64_t>(chunk));
    auto v = V.middleRows(begin, end - begin);
    typed_visible_potential_block<T>(rbm, H.middleRows(begin, end - begin), T(1), v);
    typed_sample_visible_block<T>(rbm, v, rng);
  });
}

template <class T>
void typed_free_energy_block(const TypedRbm<T>& rbm, ConstMatrixRef<T> v, VectorRef<T> out) {
  const Index nh = rbm.nh();
  if (rbm.hidden == HiddenUnits::kGaussian) {
    // integral over h of exp(-(h-c)^2/2 + x h), x = W^T v: (2 pi)^(nh/2) exp(c.x + |x|^2 / 2)
    const RowMatrix<T> x = v * rbm.W;
    for (Index r = 0; r < v.rows(); ++r) {
      out[r] = -v.row(r).dot(rbm.b) - x.row(r).dot(rbm.c) - T(0.5) * x.row(r).squaredNorm() -
               static_cast<T>(0.5 * kLog2Pi * static_cast<double>(nh));
    }
    return;
  }
  RowMatrix<T> input(v.rows(), nh);
  if (rbm.gaussian_visible()) {
    input.noalias() = (v.array().rowwise() * input_scale(rbm).transpose().array()).matrix() * rbm.W;
  } else {
    input.noalias() = v * rbm.W;
  }
  input.rowwise() += rbm.c.transpose();
  for (Index r = 0; r < v.rows(); ++r) {
    T visible_term;
    if (rbm.gaussian_visible()) {
      visible_term = ((v.row(r) - rbm.b.transpose()).array() / rbm.sigma.transpose().array()).square().sum() / T(2);
    } else {
      visible_term = -v.row(r).dot(rbm.b);
      if (rbm.visible == VisibleUnits::kBinomial2) {
        visible_term -= static_cast<T>(kLog2) * static_cast<T>((v.row(r).array() == T(1)).count());
      }
    }
    out[r] = visible_term - softplus_sum(input.row(r));
  }
}

template <class T>
void typed_free_energy(const TypedRbm<T>& rbm, ConstMatrixRef<T> V, VectorRef<T> out) {
  rbm.check();
  check_shape(V.rows(), V.cols(), out.size(), rbm.nv(), "visible input");
  for_each_rows(V.rows(), large(rbm, V.rows()), [&](Index, Index begin, Index end) {
    typed_free_energy_block<T>(rbm, V.middleRows(begin, end - begin), out.segment(begin, end - begin));
  });
}

template <class T>
void typed_gibbs(const TypedRbm<T>& rbm, MatrixRef<T> V, MatrixRef<T> H, int steps,
                 const std::vector<Index>& clamped, std::uint64_t seed) {
  rbm.check();
  check_shape(V.rows(), V.cols(), V.rows(), rbm.nv(), "visible particles");
  check_shape(H.rows(), H.cols(), V.rows(), rbm.nh(), "hidden particles");
  if (steps < 0) throw std::invalid_argument("steps must be non-negative");
  for (Index column : clamped) {
    if (column < 0 || column >= rbm.nv()) throw std::invalid_argument("clamped column out of range");
  }
  for_each_rows(V.rows(), large(rbm, V.rows() * std::max(steps, 1)), [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, kStreamRbmTypes, static_cast<std::uint64_t>(chunk));
    // Work on copies of our own: vectorised exp / logistic take a scalar path for the entries
    // before the first aligned packet, so results on the caller's arrays could depend on their
    // alignment in the last bit.
    RowMatrix<T> v = V.middleRows(begin, end - begin);
    RowMatrix<T> h = H.middleRows(begin, end - begin);
    RowMatrix<T> kept(v.rows(), static_cast<Index>(clamped.size()));
    for (Index k = 0; k < kept.cols(); ++k) kept.col(k) = v.col(clamped[static_cast<std::size_t>(k)]);
    for (int step = 0; step < steps; ++step) {
      typed_visible_potential_block<T>(rbm, h, T(1), v);
      typed_sample_visible_block<T>(rbm, v, rng);
      for (Index k = 0; k < kept.cols(); ++k) v.col(clamped[static_cast<std::size_t>(k)]) = kept.col(k);
      typed_hidden_potential_block<T>(rbm, v, T(1), h);
      typed_sample_hidden_block<T>(rbm, h, rng);
    }
    V.middleRows(begin, end - begin) = v;
    H.middleRows(begin, end - begin) = h;
  });
}

double typed_visible_log_sum(const TypedRbm<double>& rbm, const Vector<double>& G) {
  switch (rbm.visible) {
    case VisibleUnits::kBernoulli:
      return softplus_sum(G + rbm.b);
    case VisibleUnits::kBinomial2:
      return 2.0 * softplus_sum(G + rbm.b);
    case VisibleUnits::kGaussian:
      return (0.5 * G.array().square() + rbm.b.array() * G.array() / rbm.sigma.array()).sum();
    case VisibleUnits::kGaussian2:
      return ((0.5 * G.array().square() + rbm.b.array() * G.array()) / rbm.sigma.array().square()).sum();
    case VisibleUnits::kSoftmax0: {
      double total = 0.0;
      Index start = 0;
      for (Index g : rbm.groups) {
        total += log1p_sum_exp(G.segment(start, g) + rbm.b.segment(start, g));
        start += g;
      }
      return total;
    }
  }
  return 0.0;
}

namespace {
/// log of the constant factor of Gaussian visible units: (nv/2) log(2 pi) + sum log sigma.
double gaussian_constant(const TypedRbm<double>& rbm) {
  if (!rbm.gaussian_visible()) return 0.0;
  return 0.5 * kLog2Pi * static_cast<double>(rbm.nv()) + rbm.sigma.array().log().sum();
}

void require_bernoulli_hidden(const TypedRbm<double>& rbm, const char* what) {
  if (rbm.hidden != HiddenUnits::kBernoulli) {
    throw std::invalid_argument(std::string(what) + " needs Bernoulli hidden units");
  }
}
}  // namespace

double typed_exact_log_partition(const TypedRbm<double>& rbm) {
  rbm.check();
  require_bernoulli_hidden(rbm, "the exact log partition function");
  const int k = static_cast<int>(rbm.nh());
  if (k > kMaxEnumeratedUnits) {
    throw std::invalid_argument("exact log partition function: " + std::to_string(k) + " hidden units, at most " +
                                std::to_string(kMaxEnumeratedUnits) + " can be enumerated");
  }
  const RowMatrix<double> Wt = rbm.W.transpose();  // row j: the visible input of hidden unit j
  const Index n_states = Index(1) << k;
  std::vector<LogSumExp> partial(static_cast<std::size_t>(chunk_count(n_states, kStatesPerChunk)));
  for_each_chunk(n_states, kStatesPerChunk, [&](Index chunk, Index begin, Index end) {
    // Gray-code order (one hidden unit flips between neighbours); each chunk starts afresh.
    std::uint64_t gray = static_cast<std::uint64_t>(begin ^ (begin >> 1));
    Vector<double> G = Vector<double>::Zero(rbm.nv());
    double linear = 0.0;
    for (int unit = 0; unit < k; ++unit) {
      if ((gray >> unit) & 1U) {
        G += Wt.row(unit).transpose();
        linear += rbm.c[unit];
      }
    }
    LogSumExp sum;
    sum.add(linear + typed_visible_log_sum(rbm, G));
    for (Index i = begin + 1; i < end; ++i) {
      const int unit = __builtin_ctzll(static_cast<unsigned long long>(i));
      gray ^= std::uint64_t(1) << unit;
      const double sign = ((gray >> unit) & 1U) ? 1.0 : -1.0;
      G += sign * Wt.row(unit).transpose();
      linear += sign * rbm.c[unit];
      sum.add(linear + typed_visible_log_sum(rbm, G));
    }
    partial[static_cast<std::size_t>(chunk)] = sum;
  });
  LogSumExp total;
  for (const LogSumExp& part : partial) total.merge(part);
  return total.value() + gaussian_constant(rbm);
}

double typed_log_partition_zero_weights(const TypedRbm<double>& rbm) {
  rbm.check();
  const double hidden = rbm.hidden == HiddenUnits::kBernoulli ? softplus_sum(rbm.c)
                                                               : 0.5 * kLog2Pi * static_cast<double>(rbm.nh());
  return hidden + typed_visible_log_sum(rbm, Vector<double>::Zero(rbm.nv())) + gaussian_constant(rbm);
}

Vector<double> typed_ais_log_weights(const TypedRbm<double>& rbm, ConstVectorRef<double> betas, Index n_particles,
                                     int burn_in, std::uint64_t seed) {
  rbm.check();
  require_bernoulli_hidden(rbm, "AIS");
  if (betas.size() < 2) throw std::invalid_argument("AIS needs at least two temperatures");
  if (n_particles < 1 || burn_in < 0) throw std::invalid_argument("n_particles must be positive, burn_in >= 0");
  const bool gaussian = rbm.gaussian_visible();
  const Index nv = rbm.nv(), nh = rbm.nh();
  Vector<double> log_weights = Vector<double>::Zero(n_particles);
  // log p*_beta(h) - log p*_beta'(h) of the visible sum-out, given G = h W^T of the full model.
  auto log_ratio = [&](double beta, double previous, const Vector<double>& G) {
    if (gaussian) return (beta - previous) * typed_visible_log_sum(rbm, G);  // linear in beta
    return typed_visible_log_sum(rbm, beta * G) - typed_visible_log_sum(rbm, previous * G);
  };
  for_each_chunk(n_particles, kAisRows, [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, kStreamAisTypes, static_cast<std::uint64_t>(chunk));
    const Index rows = end - begin;
    // The annealed model's own parameter copies.
    RowMatrix<double> W = rbm.W;
    Vector<double> b = rbm.b, c = rbm.c, sigma = rbm.sigma;
    TypedRbm<double> annealed{rbm.visible, rbm.hidden, {W.data(), nv, nh}, {b.data(), nv}, {c.data(), nh},
                              {sigma.data(), sigma.size()}, rbm.groups};
    RowMatrix<double> H(rows, nh), V(rows, nv);
    for (Index i = 0; i < rows; ++i) {  // exact draws of the base model: independent hidden units
      for (Index j = 0; j < nh; ++j) H(i, j) = rng.bernoulli(sigmoid(rbm.c[j]));
    }
    Vector<double> G(nv);
    for (Index step = 1; step < betas.size(); ++step) {
      const double beta = betas[step];
      for (Index i = 0; i < rows; ++i) {
        G.noalias() = rbm.W * H.row(i).transpose();
        log_weights[begin + i] += log_ratio(beta, betas[step - 1], G);
      }
      const double scale = gaussian ? std::sqrt(beta) : beta;
      W = scale * rbm.W;
      if (gaussian) b = scale * rbm.b;
      for (int t = 0; t < burn_in; ++t) {
        typed_visible_potential_block<double>(annealed, H, 1.0, V);
        typed_sample_visible_block<double>(annealed, V, rng);
        typed_hidden_potential_block<double>(annealed, V, 1.0, H);
        typed_sample_hidden_block<double>(annealed, H, rng);
      }
    }
  });
  return log_weights;
}

template <class T>
void typed_gradient_step(TypedRbm<T>& rbm, ConstMatrixRef<T> vp, ConstMatrixRef<T> hp, ConstMatrixRef<T> vn,
                         ConstMatrixRef<T> hn, T learning_rate, T sd_learning_rate, GradientBuffers<T>& buffers) {
  const Index nv = rbm.nv(), nh = rbm.nh();
  check_shape(vp.rows(), vp.cols(), vp.rows(), nv, "positive visible statistics");
  check_shape(hp.rows(), hp.cols(), vp.rows(), nh, "positive hidden statistics");
  check_shape(vn.rows(), vn.cols(), vn.rows(), nv, "negative visible statistics");
  check_shape(hn.rows(), hn.cols(), vn.rows(), nh, "negative hidden statistics");
  if (vp.rows() < 1 || vn.rows() < 1) throw std::invalid_argument("gradient statistics need at least one row");
  const T inv_pos = T(1) / static_cast<T>(vp.rows()), inv_neg = T(1) / static_cast<T>(vn.rows());
  // G = vp^T hp / B - vn^T hn / M, the only products: every other term is O(nv nh) or less.
  RowMatrix<T>& G = buffers.G;
  G.resize(nv, nh);
  const bool parallel = (vp.rows() + vn.rows()) * nv * nh >= kParallelWork;
  for_each_rows(nv, parallel, [&](Index, Index begin, Index end) {
    auto g = G.middleRows(begin, end - begin);
    g.noalias() = inv_pos * (vp.middleCols(begin, end - begin).transpose() * hp);
    g.noalias() -= inv_neg * (vn.middleCols(begin, end - begin).transpose() * hn);
  });
  Vector<T>& db = buffers.db;
  Vector<T>& dc = buffers.dc;
  db.setZero(nv);
  add_row_sum(vp, inv_pos, db);
  add_row_sum(vn, -inv_neg, db);
  dc.setZero(nh);
  add_row_sum(hp, inv_pos, dc);
  add_row_sum(hn, -inv_neg, dc);
  const bool gaussian = rbm.gaussian_visible();
  const bool learn_sigma = gaussian && sd_learning_rate > T(0);
  Vector<T>& ds = buffers.ds;
  if (learn_sigma) {
    // §2.4: mean over rows of (v-b)^2 / sigma^3 - (h W^T) v / sigma^2 (GBRBM) or
    // ((v-b)^2 - 2 (h W^T) v) / sigma^3 (GBRBM2), data minus model. The cross term summed over
    // rows is sum_j W_ij (V^T H)_ij, so it comes from G without another product.
    ds.setZero(nv);
    for (Index r = 0; r < vp.rows(); ++r) ds += inv_pos * (vp.row(r) - rbm.b.transpose()).array().square().matrix().transpose();
    for (Index r = 0; r < vn.rows(); ++r) ds -= inv_neg * (vn.row(r) - rbm.b.transpose()).array().square().matrix().transpose();
    Vector<T> cross(nv);  // scalar loops: a vectorised reduction's order would depend on alignment
    for (Index i = 0; i < nv; ++i) {
      T sum = T(0);
      for (Index j = 0; j < nh; ++j) sum += rbm.W(i, j) * G(i, j);
      cross[i] = sum;
    }
    const auto s = rbm.sigma.array();
    if (rbm.visible == VisibleUnits::kGaussian) {
      ds.array() = ds.array() / s.cube() - cross.array() / s.square();
    } else {
      ds.array() = (ds.array() - T(2) * cross.array()) / s.cube();
    }
  }
  // Binomial2 units are two Bernoulli copies: half the step on the visible side (§2.5).
  const T lr = learning_rate;
  const T visible_lr = rbm.visible == VisibleUnits::kBinomial2 ? lr / T(2) : lr;
  if (gaussian) {  // gradients of the scaled data V / sigma or V / sigma^2
    G.array().colwise() *= input_scale(rbm).array();
    db.array() /= rbm.sigma.array().square();
  }
  rbm.W.noalias() += visible_lr * G;
  rbm.b += visible_lr * db;
  rbm.c += lr * dc;
  if (learn_sigma) {
    // Multiplicative step, at most a factor e per update and never below the smallest normal
    // number, so sigma stays positive however large the step size. Scalar std::exp: Eigen's
    // packet exp can differ in the last bit, and which entries take the packet path depends on
    // the alignment of the caller's array.
    for (Index i = 0; i < nv; ++i) {
      const T log_step = std::clamp(sd_learning_rate * ds[i] / rbm.sigma[i], T(-1), T(1));
      rbm.sigma[i] = std::max(rbm.sigma[i] * std::exp(log_step), std::numeric_limits<T>::min());
    }
  }
}

namespace {

/// Buffers and streams of one training epoch of a typed RBM, reused by every minibatch.
template <class T>
class TypedTrainer {
 public:
  TypedTrainer(TypedRbm<T>& rbm, ConstMatrixRef<T> X, MatrixRef<T> chain, const TypedTrainOptions<T>& opt)
      : rbm_(rbm), X_(X), chain_(chain), opt_(opt) {
    const Index nv = rbm.nv(), nh = rbm.nh();
    chain_rows_ = opt.pcd == PcdMode::kNone ? opt.batch_size : chain.rows();
    for (Index k = 0; k < chunk_count(chain_rows_); ++k) {
      streams_.emplace_back(opt.seed, kStreamRbmTypes, static_cast<std::uint64_t>(1 + k));
    }
    v_pos_.resize(opt.batch_size, nv), h_pos_.resize(opt.batch_size, nh);
    s_.resize(chain_rows_, nh), v_neg_.resize(chain_rows_, nv), h_neg_.resize(chain_rows_, nh);
  }

  void run() {
    const Index n = X_.rows();
    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Index(0));
    RandomStream(opt_.seed, kStreamRbmTypes, 0).shuffle(order.begin(), static_cast<std::uint64_t>(n));
    for (Index start = 0; start < n; start += opt_.batch_size) {
      update(order.data() + start, std::min(opt_.batch_size, n - start));
    }
  }

 private:
  bool parallel(Index rows) const { return rows * rbm_.nv() * rbm_.nh() >= kParallelWork; }

  template <class In, class Out>
  void hidden(const In& in, Out& out) {
    for_each_rows(in.rows(), parallel(in.rows()), [&](Index, Index begin, Index end) {
      typed_hidden_potential_block<T>(rbm_, in.middleRows(begin, end - begin), opt_.up_factor,
                                      out.middleRows(begin, end - begin));
    });
  }
  template <class In, class Out>
  void visible(const In& in, Out& out) {
    for_each_rows(in.rows(), parallel(in.rows()), [&](Index, Index begin, Index end) {
      typed_visible_potential_block<T>(rbm_, in.middleRows(begin, end - begin), opt_.down_factor,
                                       out.middleRows(begin, end - begin));
    });
  }
  // Samples in place; the rows of chunk k always draw from stream k.
  template <class M>
  void sample(M& m, bool hidden_layer) {
    for_each_rows(m.rows(), parallel(m.rows()), [&](Index chunk, Index begin, Index end) {
      RandomStream& rng = streams_[static_cast<std::size_t>(chunk)];
      if (hidden_layer) {
        typed_sample_hidden_block<T>(rbm_, m.middleRows(begin, end - begin), rng);
      } else {
        typed_sample_visible_block<T>(rbm_, m.middleRows(begin, end - begin), rng);
      }
    });
  }

  void update(const Index* rows_of_x, Index rows) {
    for (Index r = 0; r < rows; ++r) v_pos_.row(r) = X_.row(rows_of_x[r]);
    auto vp = v_pos_.topRows(rows);
    auto hp = h_pos_.topRows(rows);
    hidden(vp, hp);
    // Negative phase on `chains` rows, the gradient uses the first `m` (as rbm_train_epoch).
    Index chains = chain_rows_, m = chain_rows_;
    if (opt_.pcd == PcdMode::kNone) {
      chains = m = rows;
    } else if (opt_.pcd == PcdMode::kMeanField) {
      m = rows;
    }
    auto s = s_.topRows(chains);
    auto vn = v_neg_.topRows(chains);
    auto hn = h_neg_.topRows(chains);
    if (opt_.pcd == PcdMode::kTieleman) {
      s = chain_;
      for (int step = 0; step < opt_.cd_steps; ++step) {
        visible(s, vn);
        sample(vn, false);
        hidden(vn, hn);
        s = hn;
        sample(s, true);
      }
      chain_ = s;
    } else {
      if (opt_.pcd == PcdMode::kNone) {
        s = hp;
      } else {
        s = chain_;
      }
      sample(s, true);
      for (int step = 1; step < opt_.cd_steps; ++step) {
        visible(s, vn);
        sample(vn, false);
        hidden(vn, s);
        sample(s, true);
      }
      visible(s, vn);
      hidden(vn, hn);
      if (opt_.pcd == PcdMode::kMeanField) chain_ = hn;
    }
    typed_gradient_step<T>(rbm_, vp, hp, v_neg_.topRows(m), h_neg_.topRows(m), opt_.learning_rate,
                           opt_.sd_learning_rate, gradient_);
  }

  TypedRbm<T>& rbm_;
  ConstMatrixRef<T> X_;
  MatrixRef<T> chain_;
  const TypedTrainOptions<T>& opt_;
  Index chain_rows_ = 0;
  std::vector<RandomStream> streams_;
  RowMatrix<T> v_pos_, h_pos_, s_, v_neg_, h_neg_;
  GradientBuffers<T> gradient_;
};

}  // namespace

template <class T>
void typed_train_epoch(TypedRbm<T>& rbm, ConstMatrixRef<T> X, MatrixRef<T> chain, const TypedTrainOptions<T>& options) {
  rbm.check();
  check_shape(X.rows(), X.cols(), X.rows(), rbm.nv(), "training data");
  if (X.rows() < 1) throw std::invalid_argument("training data has no rows");
  if (options.batch_size < 1 || options.batch_size > X.rows()) {
    throw std::invalid_argument("batch_size must be between 1 and the number of rows");
  }
  if (options.cd_steps < 1) throw std::invalid_argument("cd_steps must be at least 1");
  if (options.pcd == PcdMode::kMeanField) {
    check_shape(chain.rows(), chain.cols(), options.batch_size, rbm.nh(), "chain");
  }
  if (options.pcd == PcdMode::kTieleman) {
    check_shape(chain.rows(), chain.cols(), std::max<Index>(chain.rows(), 1), rbm.nh(), "chain");
  }
  TypedTrainer<T>(rbm, X, chain, options).run();
}

#define CONDGEN_INSTANTIATE_TYPED_RBM(T)                                                                          \
  template struct TypedRbm<T>;                                                                                    \
  template void typed_hidden_input_block<T>(const TypedRbm<T>&, ConstMatrixRef<T>, MatrixRef<T>);                \
  template void typed_hidden_potential_block<T>(const TypedRbm<T>&, ConstMatrixRef<T>, T, MatrixRef<T>);          \
  template void typed_visible_potential_block<T>(const TypedRbm<T>&, ConstMatrixRef<T>, T, MatrixRef<T>);         \
  template void typed_sample_visible_block<T>(const TypedRbm<T>&, MatrixRef<T>, RandomStream&);                   \
  template void typed_sample_hidden_block<T>(const TypedRbm<T>&, MatrixRef<T>, RandomStream&);                    \
  template void typed_hidden_potential<T>(const TypedRbm<T>&, ConstMatrixRef<T>, T, MatrixRef<T>);                \
  template void typed_visible_potential<T>(const TypedRbm<T>&, ConstMatrixRef<T>, T, MatrixRef<T>);               \
  template void typed_sample_hidden<T>(const TypedRbm<T>&, ConstMatrixRef<T>, std::uint64_t, MatrixRef<T>);       \
  template void typed_sample_visible<T>(const TypedRbm<T>&, ConstMatrixRef<T>, std::uint64_t, MatrixRef<T>);      \
  template void typed_free_energy<T>(const TypedRbm<T>&, ConstMatrixRef<T>, VectorRef<T>);                        \
  template void typed_free_energy_block<T>(const TypedRbm<T>&, ConstMatrixRef<T>, VectorRef<T>);                  \
  template void typed_gibbs<T>(const TypedRbm<T>&, MatrixRef<T>, MatrixRef<T>, int, const std::vector<Index>&,    \
                               std::uint64_t);                                                                    \
  template void typed_train_epoch<T>(TypedRbm<T>&, ConstMatrixRef<T>, MatrixRef<T>, const TypedTrainOptions<T>&); \
  template void typed_gradient_step<T>(TypedRbm<T>&, ConstMatrixRef<T>, ConstMatrixRef<T>, ConstMatrixRef<T>,    \
                                       ConstMatrixRef<T>, T, T, GradientBuffers<T>&);

CONDGEN_INSTANTIATE_TYPED_RBM(float)
CONDGEN_INSTANTIATE_TYPED_RBM(double)
#undef CONDGEN_INSTANTIATE_TYPED_RBM

}  // namespace condgen
