#pragma once
// RBMs with other unit types (boltzmann.md §1.2-§1.6, §2.4-§2.5, §6.2-§6.4):
// visible units Bernoulli, Binomial(2) (values 0/1/2), Gaussian in two parametrisations, or
// categorical in the one-or-none ("softmax0") coding; hidden units Bernoulli or unit-variance
// Gaussian. The Bernoulli code paths of rbm.hpp are used wherever the maths is the same.
//
// Energies (b visible bias, c hidden bias, sigma visible standard deviations):
//   Bernoulli / Softmax0  -v^T W h - b^T v - c^T h
//   Binomial2             -v^T W h - b^T v - c^T h - log(2) #{i : v_i = 1}
//   Gaussian              sum (v-b)^2 / (2 sigma^2) - (v/sigma)^T W h - c^T h
//   Gaussian2             sum (v-b)^2 / (2 sigma^2) - (v/sigma^2)^T W h - c^T h
//   Gaussian hidden       replaces -c^T h by sum (h-c)^2 / 2 (visible units Bernoulli).
//
// Like rbm.hpp, parallel kernels cut rows into fixed chunks with their own random streams, so
// the results never depend on the number of threads.
#include <cstdint>
#include <vector>

#include "condgen/rbm.hpp"
#include "condgen/rng.hpp"
#include "condgen/types.hpp"

namespace condgen {

enum class VisibleUnits : int { kBernoulli = 0, kBinomial2 = 1, kGaussian = 2, kGaussian2 = 3, kSoftmax0 = 4 };
enum class HiddenUnits : int { kBernoulli = 0, kGaussian = 1 };

/// An RBM of any unit types over parameter arrays owned by the caller.
template <class T>
struct TypedRbm {
  using Matrix = Eigen::Map<RowMatrix<T>>;
  using Vec = Eigen::Map<Vector<T>>;

  VisibleUnits visible;
  HiddenUnits hidden;
  Matrix W;
  Vec b, c;
  /// Standard deviations of Gaussian visible units (empty for other types).
  Vec sigma;
  /// Softmax0: number of columns (categories - 1) of each variable, consecutive groups.
  std::vector<Index> groups;

  Index nv() const { return W.rows(); }
  Index nh() const { return W.cols(); }
  bool gaussian_visible() const {
    return visible == VisibleUnits::kGaussian || visible == VisibleUnits::kGaussian2;
  }
  /// Throws std::invalid_argument unless the arrays, the groups and the unit types fit together.
  void check() const;
};

/// Pre-activation of the hidden units for the rows of V: V' W + c with V' = V, V / sigma
/// (Gaussian) or V / sigma^2 (Gaussian2). Serial.
template <class T>
void typed_hidden_input_block(const TypedRbm<T>& rbm, ConstMatrixRef<T> V, MatrixRef<T> H);
/// E[h | v] for the rows of V: sigmoid(factor * input) (Bernoulli) or factor * input (Gaussian),
/// input = V' W + c with V' = V, V / sigma (Gaussian) or V / sigma^2 (Gaussian2). Serial.
template <class T>
void typed_hidden_potential_block(const TypedRbm<T>& rbm, ConstMatrixRef<T> V, T factor, MatrixRef<T> H);
/// E[v | h] for the rows of H (boltzmann.md §1): probabilities, 2p (Binomial2), means
/// b + sigma (H W^T) (Gaussian) or b + H W^T (Gaussian2; factor ignored for both), softmax0
/// probabilities per group. Serial.
template <class T>
void typed_visible_potential_block(const TypedRbm<T>& rbm, ConstMatrixRef<T> H, T factor, MatrixRef<T> V);
/// In place: P (visible potentials) -> a sample of the visible units. Serial.
template <class T>
void typed_sample_visible_block(const TypedRbm<T>& rbm, MatrixRef<T> P, RandomStream& rng);
/// In place: P (hidden potentials) -> a sample of the hidden units. Serial.
template <class T>
void typed_sample_hidden_block(const TypedRbm<T>& rbm, MatrixRef<T> P, RandomStream& rng);

/// Parallel potentials over row chunks.
template <class T>
void typed_hidden_potential(const TypedRbm<T>& rbm, ConstMatrixRef<T> V, T factor, MatrixRef<T> H);
template <class T>
void typed_visible_potential(const TypedRbm<T>& rbm, ConstMatrixRef<T> H, T factor, MatrixRef<T> V);
/// Samples of h | V (hidden = true) or v | H; chunk k draws from (seed, kStreamRbmTypes, k).
template <class T>
void typed_sample_hidden(const TypedRbm<T>& rbm, ConstMatrixRef<T> V, std::uint64_t seed, MatrixRef<T> H);
template <class T>
void typed_sample_visible(const TypedRbm<T>& rbm, ConstMatrixRef<T> H, std::uint64_t seed, MatrixRef<T> V);

/// Free energy F(v) = -log sum_h exp(-E(v, h)) of every row of V (boltzmann.md §1).
template <class T>
void typed_free_energy(const TypedRbm<T>& rbm, ConstMatrixRef<T> V, VectorRef<T> out);
/// The same for one block of rows. Serial.
template <class T>
void typed_free_energy_block(const TypedRbm<T>& rbm, ConstMatrixRef<T> V, VectorRef<T> out);

/// `steps` alternating Gibbs steps in place: V from H, then H from the new V. Visible columns
/// listed in `clamped` keep their values. Chunk k draws from (seed, kStreamRbmTypes, k).
template <class T>
void typed_gibbs(const TypedRbm<T>& rbm, MatrixRef<T> V, MatrixRef<T> H, int steps,
                 const std::vector<Index>& clamped, std::uint64_t seed);

/// log of the visible layer summed out given the hidden input G = H W^T of one row, without the
/// constants of Gaussian units (boltzmann.md §6.3-§6.4):
///   Bernoulli sum softplus(G + b); Binomial2 2x that; Softmax0 sum_g log(1 + sum_g exp(G + b));
///   Gaussian sum 0.5 G^2 + b G / sigma; Gaussian2 sum (0.5 G^2 + b G) / sigma^2.
double typed_visible_log_sum(const TypedRbm<double>& rbm, const Vector<double>& G);

/// Exact log Z (Bernoulli hidden units): enumerates the hidden layer (at most 30 units) in Gray-code
/// order and sums the visible layer out analytically; log-sum-exp over fixed chunks of states.
double typed_exact_log_partition(const TypedRbm<double>& rbm);

/// log Z of the model with zero weights (boltzmann.md §6.2).
double typed_log_partition_zero_weights(const TypedRbm<double>& rbm);

/// AIS from the zero-weight model (boltzmann.md §6.4; Bernoulli hidden units): the state is the
/// hidden layer, the visible layer is summed out analytically. The annealed model at beta has
/// weights beta W (Gaussian types: weights and visible bias scaled by sqrt(beta)). Particles start
/// as exact draws of the base model. Chunk k of particles draws from (seed, kStreamAisTypes, k).
/// Returns the log importance weights (one per particle).
Vector<double> typed_ais_log_weights(const TypedRbm<double>& rbm, ConstVectorRef<double> betas, Index n_particles,
                                     int burn_in, std::uint64_t seed);

/// Work vectors of typed_gradient_step, reused between calls.
template <class T>
struct GradientBuffers {
  RowMatrix<T> G;
  Vector<T> db, dc, ds;
};

/// One plain gradient-ascent step from positive statistics (vp, hp: data and hidden potentials)
/// and negative ones (vn, hn), with the type-specific gradients of boltzmann.md §2.4-§2.5 (see
/// typed_train_epoch). Two products (vp^T hp, vn^T hn); the sigma gradient's cross term is read
/// off them.
template <class T>
void typed_gradient_step(TypedRbm<T>& rbm, ConstMatrixRef<T> vp, ConstMatrixRef<T> hp, ConstMatrixRef<T> vn,
                         ConstMatrixRef<T> hn, T learning_rate, T sd_learning_rate, GradientBuffers<T>& buffers);

/// Training settings of one epoch (boltzmann.md §2).
template <class T>
struct TypedTrainOptions {
  Index batch_size = 1;
  int cd_steps = 1;
  PcdMode pcd = PcdMode::kMeanField;
  T learning_rate = T(0.005);
  /// Step of the standard deviations of Gaussian visible units (0: kept fixed).
  T sd_learning_rate = T(0);
  T up_factor = T(1);
  T down_factor = T(1);
  std::uint64_t seed = 0;
};

/// One epoch of CD-k / PCD training of a typed RBM (boltzmann.md §2.2-§2.5), in place, as
/// rbm_train_epoch: shuffled minibatches, one plain gradient-ascent step each, with the gradients
/// of §2.4 (Gaussian: scaled data; Binomial2: half step on W and b). Standard deviations move by
/// sigma <- sigma * exp(sd_lr * g_sigma / sigma): to first order Julia's step sigma + sd_lr g_sigma,
/// but sigma stays positive (the exponent is clipped to [-1, 1]: at most a factor e per update).
template <class T>
void typed_train_epoch(TypedRbm<T>& rbm, ConstMatrixRef<T> X, MatrixRef<T> chain, const TypedTrainOptions<T>& options);

}  // namespace condgen
