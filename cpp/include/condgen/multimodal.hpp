#pragma once
// Multimodal DBMs (boltzmann.md §1.7-§1.8, §4, §5, §6.6): a first RBM made of independent blocks
// of any visible unit type side by side (a PartitionedRBM, or a single typed RBM), Bernoulli RBMs
// above. Unit layer 0 is the visible layer (the blocks' visible units side by side), unit layer 1
// the blocks' hidden units side by side, unit layers 2..L those of the RBMs above.
//
// The per-type conditionals, sampling and gradients are those of rbm_types.hpp, applied block by
// block on column ranges. Every kernel works on fixed chunks of rows, each drawing from its own
// random stream; reductions are added in chunk order, so results are the same bits for any number
// of threads.
#include <cstdint>
#include <vector>

#include "condgen/dbm.hpp"
#include "condgen/rbm_types.hpp"
#include "condgen/types.hpp"

namespace condgen {

/// The parameters of a multimodal DBM, mapped onto arrays owned by the caller.
template <class T>
struct MultimodalParams {
  /// Blocks of the first RBM in order (Bernoulli hidden units); block i sees the visible columns
  /// [visible_offset[i], visible_offset[i] + nv_i) and the hidden units
  /// [hidden_offset[i], hidden_offset[i] + nh_i).
  std::vector<TypedRbm<T>> blocks;
  /// The Bernoulli RBMs above: upper.weights[r] connects unit layers r + 1 and r + 2 (at least one).
  DbmParams<T> upper;
  std::vector<Index> visible_offset, hidden_offset;

  /// Computes the offsets (blocks consecutive) and checks that the shapes chain up; throws
  /// std::invalid_argument otherwise.
  MultimodalParams(std::vector<TypedRbm<T>> first_blocks, DbmParams<T> upper_rbms);

  /// Number of RBMs L (unit layers 0..L).
  Index n_rbms() const { return 1 + upper.n_rbms(); }
  /// Units of unit layer k.
  Index units(Index k) const;
  /// Effective bias of the hidden unit layers 1..L (entry k - 1): c_k + b_{k+1}, c_L (§1.8).
  std::vector<Vector<T>> hidden_biases() const;
};

/// `steps` alternating sweeps on every chain of `particles` (one matrix per unit layer) in place:
/// odd unit layers given the even ones, then the visible layer (block by block, its own unit
/// types) and the even hidden layers given the new odd ones. Visible columns listed in `clamped`
/// keep their values. Chunk c of kChunkRows chains draws from stream (seed, kStreamMultimodal, c).
template <class T>
void multimodal_gibbs(const MultimodalParams<T>& params, std::vector<MatrixMap<T>>& particles, int steps,
                      const std::vector<Index>& clamped, std::uint64_t seed);

/// Mean-field posterior of the hidden layers for the rows of X (boltzmann.md §4.4), written to
/// mu[0..L-1] (unit layers 1..L): one upward pass with doubled inputs below the top layer, then
/// ascending updates. Each chunk of kChunkRows rows iterates until its largest change is at most
/// `tol` or after `max_iter` iterations. Returns the largest number of iterations of a chunk.
template <class T>
int multimodal_mean_field(const MultimodalParams<T>& params, ConstMatrixRef<T> X, std::vector<MatrixMap<T>>& mu,
                          T tol, int max_iter);

/// Settings of one fine-tuning epoch (boltzmann.md §4.2-§4.3).
template <class T>
struct MultimodalFineTuneSettings {
  Index batch_size;
  T learning_rate;
  /// Step of the standard deviations of Gaussian visible units (0: kept).
  T sd_learning_rate;
  int gibbs_steps;
  T mean_field_tol;
  int mean_field_max_iter;
};

/// One fine-tuning epoch: the rows of X in the given order, cut into minibatches of batch_size
/// (the last may be shorter); per minibatch `gibbs_steps` sweeps on the persistent particles, the
/// mean-field positive phase on the minibatch, then one gradient step of every RBM with the
/// gradients of its unit types (typed_gradient_step, block by block for the first RBM). Returns
/// the largest number of mean-field iterations. The sweeps of particle chunk c before update b
/// draw from stream (seed, kStreamMultimodal, (b << 32) | c).
template <class T>
int multimodal_fine_tune_epoch(MultimodalParams<T>& params, std::vector<MatrixMap<T>>& particles,
                               ConstMatrixRef<T> X, const std::vector<Index>& order,
                               const MultimodalFineTuneSettings<T>& settings, std::uint64_t seed);

/// log Z of the model with all weights zero (boltzmann.md §6.2): the blocks' visible terms and
/// sum_k softplus(a_k) over the hidden unit layers with their effective biases.
double multimodal_log_partition_zero_weights(const MultimodalParams<double>& params);

/// AIS from the zero-weight model (boltzmann.md §6.6, "sum out A"): the state is the odd unit
/// layers (h1, h3, ...), the visible layer (block by block) and the even hidden layers are summed
/// out analytically. The annealed model at beta has every weight scaled by beta (Gaussian blocks:
/// weights and visible bias by sqrt(beta)). Particles start as exact draws of the base model
/// (effective biases c_k + b_{k+1}); the transitions at each temperature are `burn_in` sweeps
/// "even layers given odd, odd given even". Chunk c of particles draws from stream
/// (seed, kStreamMultimodalAis, c). Returns the log importance weights.
Vector<double> multimodal_ais_log_weights(const MultimodalParams<double>& params, ConstVectorRef<double> betas,
                                          Index n_particles, int burn_in, std::uint64_t seed);

}  // namespace condgen
