#pragma once
// Deep Boltzmann machines with Bernoulli units (boltzmann.md §1.8, §4, §5, §6.3).
//
// A DBM is a stack of L RBMs: RBM r (0-based) connects unit layer r and unit layer r + 1, so unit
// layer 0 is the visible layer and unit layers 1..L are hidden. The parameters live in numpy
// arrays owned by Python; the kernels see them through maps. Particles are one matrix per unit
// layer, row i of every matrix together being chain i.
//
// Every kernel works on fixed chunks of rows (kChunkRows, or a multiple fixed by the model's
// shape), each chunk drawing randomness from its own stream and writing its partial sums into
// its own slot; the slots are added in chunk order, so results are the same bits for any number
// of threads.
#include <cstdint>
#include <vector>

#include "condgen/types.hpp"

namespace condgen {

template <class T>
using MatrixMap = Eigen::Map<RowMatrix<T>>;
template <class T>
using VectorMap = Eigen::Map<Vector<T>>;

/// The parameters of a DBM, one entry per RBM of the stack (weights r: n_r x n_{r+1}).
template <class T>
struct DbmParams {
  std::vector<MatrixMap<T>> weights;
  std::vector<VectorMap<T>> visible_bias;
  std::vector<VectorMap<T>> hidden_bias;

  /// Number of RBMs L (unit layers 0..L).
  Index n_rbms() const { return static_cast<Index>(weights.size()); }
  /// Units of unit layer k.
  Index units(Index k) const { return k == 0 ? weights[0].rows() : weights[k - 1].cols(); }
  /// Throws std::invalid_argument unless the shapes chain up.
  void check() const;
  /// Effective bias of every unit layer: b_1, c_k + b_{k+1}, c_L (boltzmann.md §1.8).
  std::vector<Vector<T>> combined_biases() const;
};

/// How one Gibbs sweep updates the unit layers.
enum class Sampler : int {
  /// Odd unit layers given the even ones, then even given the (new) odd ones: a valid Gibbs sampler.
  kAlternating = 0,
  /// Every layer from the previous state at once, as BoltzmannMachines.jl (two decoupled chains).
  kSynchronous = 1,
};

/// Runs `steps` sweeps on every chain of `particles` in place. Visible columns listed in
/// `clamped` keep their values. Chunk c of chains (kChunkRows chains, 4x that for models with a
/// weight matrix of 65536 entries or more) draws from stream (seed, kStreamDbm, c).
template <class T>
void dbm_gibbs(const DbmParams<T>& params, std::vector<MatrixMap<T>>& particles, int steps,
               Sampler sampler, const std::vector<Index>& clamped, std::uint64_t seed);

/// Mean-field posterior of the hidden layers for the rows of X (boltzmann.md §4.4), written to
/// mu[0..L-1] (unit layers 1..L). Each chunk of rows iterates until its largest change is at most
/// `tol` or `max_iter` iterations were done. Returns the largest number of iterations of a chunk.
template <class T>
int dbm_mean_field(const DbmParams<T>& params, ConstMatrixRef<T> X, std::vector<MatrixMap<T>>& mu,
                   T tol, int max_iter);

/// Settings of one fine-tuning epoch (boltzmann.md §4.2-§4.3).
template <class T>
struct FineTuneSettings {
  Index batch_size;     // rows per update; >= n rows means one full-batch update, rows in order
  T learning_rate;      // plain gradient ascent step
  int gibbs_steps;      // sweeps on the persistent particles before every update
  Sampler sampler;
  T mean_field_tol;
  int mean_field_max_iter;
  // Conditional fine-tuning when non-empty: the likelihood of the other visible units given
  // these columns. The particles then hold one chain per row of X, whose clamped columns hold
  // that row's values, and an update's negative phase runs the chains of its minibatch rows.
  std::vector<Index> clamped = {};
};

/// One fine-tuning epoch over X: per minibatch, Gibbs sweeps on the persistent particles (all of
/// them, or with `settings.clamped` the minibatch rows' chains), the mean-field positive phase,
/// the likelihood gradient of every RBM and its update. Returns the largest number of mean-field
/// iterations used. Randomness: the minibatch order from stream (seed, kStreamDbmShuffle, 0),
/// the sweeps of particle chunk c before update b from (seed, kStreamDbm, (b << 32) | c).
template <class T>
int dbm_fine_tune_epoch(DbmParams<T>& params, std::vector<MatrixMap<T>>& particles,
                        ConstMatrixRef<T> X, const FineTuneSettings<T>& settings, std::uint64_t seed);

/// Exact log partition function: enumerates the unit layers of the parity with fewer units in
/// total and sums the others out analytically, accumulating in log space (boltzmann.md §6.3).
double dbm_exact_log_partition(const DbmParams<double>& params);

/// Exact unnormalised log-probability log p*(v) of every row of X (hidden layers of the cheaper
/// parity enumerated, the others summed out).
void dbm_exact_log_unnormalized(const DbmParams<double>& params, ConstMatrixRef<double> X,
                                VectorRef<double> out);

}  // namespace condgen
