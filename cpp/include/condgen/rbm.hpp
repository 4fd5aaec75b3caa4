#pragma once
// Bernoulli restricted Boltzmann machines (boltzmann.md §1.1, §2, §5.1, §6.1, §6.3).
//
// Functional kernels on arrays owned by the caller (numpy): weights W (nv x nh), visible bias b
// (nv), hidden bias c (nh); batches have one sample per row. Parameters and persistent chains are
// updated in place. Everything except the exact enumerations is templated for float and double
// (explicit instantiations in rbm.cpp). Parallel kernels split rows into fixed chunks of
// kChunkRows with one random stream per chunk, so results never depend on the thread count.
//
// The *_block kernels are serial and work on any rows the caller hands them, for use inside a
// caller's own chunk loop (the DBM kernels call them that way).
#include <cstdint>

#include "condgen/rng.hpp"
#include "condgen/types.hpp"

namespace condgen {

/// Negative phase of the training update (boltzmann.md §2.3).
enum class PcdMode {
  kNone,       ///< plain CD-k: the chain starts from the positive hidden probabilities
  kMeanField,  ///< BoltzmannMachines.jl's PCD: the chain stores hidden probabilities
  kTieleman,   ///< Tieleman's PCD: the chain stores sampled hidden states
};

template <class T>
struct RbmTrainOptions {
  Index batch_size = 1;
  int cd_steps = 1;
  PcdMode pcd = PcdMode::kMeanField;
  T learning_rate = T(0.005);
  T up_factor = T(1);
  T down_factor = T(1);
  /// Centered gradient (Melchior et al. 2016, dbm-quality.md): visible offsets fixed, hidden
  /// offsets a moving average of the positive hidden probabilities with rate offset_rate.
  bool centering = false;
  T offset_rate = T(0.01);
  /// Seed of this epoch's streams: stream 0 shuffles, stream 1 + c samples rows of chunk c.
  std::uint64_t seed = 0;
};

/// H = sigmoid(factor * (V W + c)) for the rows of V, serial.
template <class T>
void rbm_hidden_probs_block(ConstMatrixRef<T> W, ConstVectorRef<T> c, ConstMatrixRef<T> V, T factor,
                            MatrixRef<T> H);
/// V = sigmoid(factor * (H W^T + b)) for the rows of H, serial.
template <class T>
void rbm_visible_probs_block(ConstMatrixRef<T> W, ConstVectorRef<T> b, ConstMatrixRef<T> H, T factor,
                             MatrixRef<T> V);
/// P <- Bernoulli(P) entrywise (1 where u < p), drawing row by row from rng, serial.
template <class T>
void sample_bernoulli_block(MatrixRef<T> P, RandomStream& rng);

/// Parallel versions over row chunks.
template <class T>
void rbm_hidden_probs(ConstMatrixRef<T> W, ConstVectorRef<T> c, ConstMatrixRef<T> V, T factor, MatrixRef<T> H);
template <class T>
void rbm_visible_probs(ConstMatrixRef<T> W, ConstVectorRef<T> b, ConstMatrixRef<T> H, T factor,
                       MatrixRef<T> V);
/// P <- Bernoulli(P); rows of chunk k from stream (seed, stream, k).
template <class T>
void sample_bernoulli(MatrixRef<T> P, std::uint64_t seed, std::uint64_t stream);
/// H = Bernoulli(sigmoid(factor * (V W + c))); chunk k from stream (seed, kStreamRbmSample, k).
template <class T>
void rbm_sample_hidden(ConstMatrixRef<T> W, ConstVectorRef<T> c, ConstMatrixRef<T> V, T factor,
                       std::uint64_t seed, MatrixRef<T> H);
/// V = Bernoulli(sigmoid(factor * (H W^T + b))), streams as rbm_sample_hidden.
template <class T>
void rbm_sample_visible(ConstMatrixRef<T> W, ConstVectorRef<T> b, ConstMatrixRef<T> H, T factor,
                        std::uint64_t seed, MatrixRef<T> V);

/// Free energy per row: F(v) = -b^T v - sum_j softplus((v W + c)_j).
template <class T>
void rbm_free_energy(ConstMatrixRef<T> W, ConstVectorRef<T> b, ConstVectorRef<T> c, ConstMatrixRef<T> V,
                     VectorRef<T> out);

/// `steps` alternating Gibbs steps in place (boltzmann.md §5.1): V from H with down_factor,
/// then H from the new V with up_factor. Chunk k of rows draws from (seed, kStreamRbmSample, k).
template <class T>
void rbm_gibbs(ConstMatrixRef<T> W, ConstVectorRef<T> b, ConstVectorRef<T> c, MatrixRef<T> V, MatrixRef<T> H,
               int steps, T up_factor, T down_factor, std::uint64_t seed);

/// log Z by enumerating the smaller layer (at most 30 units) and summing the other one out
/// analytically; Gray-code order, OpenMP over fixed chunks of states, log-sum-exp in double.
double rbm_exact_log_partition(ConstMatrixRef<double> W, ConstVectorRef<double> b, ConstVectorRef<double> c);

/// One epoch of CD-k / PCD training (boltzmann.md §2.2-2.5): shuffle the rows of X, cut them into
/// minibatches (the last one may be shorter) and apply one plain gradient-ascent update per batch.
/// `chain`: kMeanField -> batch_size x nh probabilities; kTieleman -> n_chains x nh binary states;
/// kNone -> ignored. `visible_offset` (nv) and `hidden_offset` (nh, updated in place) are used
/// only with centering. X holds values in [0, 1] (binary data or probabilities).
template <class T>
void rbm_train_epoch(MatrixRef<T> W, VectorRef<T> b, VectorRef<T> c, ConstMatrixRef<T> X, MatrixRef<T> chain,
                     ConstVectorRef<T> visible_offset, VectorRef<T> hidden_offset, const RbmTrainOptions<T>& options);

}  // namespace condgen
