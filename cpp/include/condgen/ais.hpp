#pragma once
// Annealed importance sampling (boltzmann.md §6.4-§6.7) for binary RBMs and DBMs.
//
// One kernel serves single RBMs and DBMs: a chain of L+1 binary layers x_0 .. x_L with weights
// W_k (n_{k-1} x n_k) between layers k-1 and k and combined biases a_k. The annealed model at
// temperature beta has weights beta * W_k and the same biases (beta = 0: independent units).
// The layers of group A (even k) form the AIS state; the layers of group B (odd k) are summed out
// analytically, so log p*_beta(A) = sum_A a_k.x_k + sum_B sum_units softplus(beta I_k + a_k) with
// I_k = x_{k-1} W_k + x_{k+1} W_{k+1}^T (weights only). A single RBM is the chain
// (hidden, visible) with W^T: its visible layer is summed out, as in §6.4.
//
// Particles are cut into fixed chunks of kAisChunkRows; the transitions at temperature index k of
// chunk j draw from stream (seed, kStreamAis, k * n_chunks + j), so the log weights depend on the
// seed only: not on the thread count, nor on how the temperatures are split between calls.
#include <cstdint>
#include <vector>

#include "condgen/types.hpp"

namespace condgen {

/// Particles per chunk of AIS work.
constexpr Index kAisChunkRows = 32;

/// Parameters of an all-binary layer chain (weights[k-1] connects layers k-1 and k).
struct LayerChain {
  std::vector<ConstMatrixRef<double>> weights;
  std::vector<ConstVectorRef<double>> biases;  // combined biases a_0 .. a_L
};

/// states[k] <- Bernoulli(sigmoid(logits[k])) in every row (start states of AIS).
/// Chunk j of layer k draws from stream (seed, kStreamAisInit, k * n_chunks + j).
void ais_init_states(const std::vector<ConstVectorRef<double>>& logits, std::vector<MatrixRef<double>>& states,
                     std::uint64_t seed);

/// Runs AIS steps k = first_step .. first_step + betas.size() - 2 (betas[0] is the temperature the
/// particles are at, betas[i] the temperature of step first_step + i - 1): for each step, adds the
/// log ratio of the annealed group-A marginals to log_weights, then does `burn_in` Gibbs transitions
/// at the new temperature. `synchronous` = BoltzmannMachines.jl's sweep (every layer from the previous
/// state; not a valid AIS transition, kept for parity); otherwise B given A, then A given B.
/// states[k] holds n_particles x n_k binary values (B layers are read only when synchronous).
void ais_chain(const LayerChain& chain, ConstVectorRef<double> betas, std::int64_t first_step, Index burn_in,
               bool synchronous, std::vector<MatrixRef<double>>& states, VectorRef<double> log_weights,
               std::uint64_t seed);

/// Per-row AIS for DBM likelihoods (§6.7): for every row r, a complete alternating AIS run of
/// n_particles particles (started exactly from the base model) on `chain` with its bottom bias
/// replaced by bottom_biases.row(r). Returns the log weights (rows x n_particles). Row r draws
/// from stream (seed, kStreamAisRows, (first_row + r) * betas.size() + step), step 0 being the
/// start state, so a data set may be processed in pieces; rows run in parallel.
RowMatrix<double> ais_chain_rows(const LayerChain& chain, ConstMatrixRef<double> bottom_biases,
                                 ConstVectorRef<double> betas, Index n_particles, Index burn_in,
                                 std::int64_t first_row, std::uint64_t seed);

}  // namespace condgen
