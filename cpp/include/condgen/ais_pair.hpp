#pragma once
// AIS between two RBMs of the same unit types and visible layout (boltzmann.md §6.5), for every
// type of rbm_types.hpp. The state is the visible layer; the path runs through "mixed" RBMs of
// the same type whose hidden layer is the hidden units of both models side by side, so the
// conditionals, samplers and free energy of rbm_types.hpp serve every temperature.
//
// Bernoulli hidden units: the mixed energy interpolates the energies,
//   E_beta(v, h1, h2) = (1-beta) E_1(v, h1) + beta E_2(v, h2),
// an RBM of the same type with weights [(1-beta) W1, beta W2], hidden biases [(1-beta) c1, beta c2]
// and visible bias (1-beta) b1 + beta b2 (Binomial2: the log 2 term has weight (1-beta) + beta = 1).
// Gaussian visible units with standard deviations s1, s2: the two quadratic terms add up to one
// Gaussian with precision 1/s^2 = (1-beta)/s1^2 + beta/s2^2 and mean b = s^2 ((1-beta) b1/s1^2 +
// beta b2/s2^2), plus a term that depends on beta only (zero at beta = 0 and 1, so it cancels from
// the log weights, which telescope). Keeping the cross terms (1-beta)(v/s1)^T W1 h1 (Gaussian) or
// (1-beta)(v/s1^2)^T W1 h1 (Gaussian2) fixes the mixed weights at (1-beta) W1 * s/s1 or
// (1-beta) W1 * s^2/s1^2 row by row (likewise for model 2). So the mixed model is a Gaussian RBM
// of the same parametrisation whose standard deviation moves between s1 and s2 with beta.
// (boltzmann.md §6.5 scales the weights by s/s1 for both parametrisations: for Gaussian2 that is a
// different path with the same endpoints, equally valid, but not the energy interpolation.)
// Gaussian hidden units (BernoulliGaussianRBM): interpolating the energy would leave hidden units
// of precision 1-beta, improper at beta = 1. The path is instead the geometric mean of the
// visible marginals, p*_beta(v) ~ p*_1(v)^(1-beta) p*_2(v)^beta: log p*_i(v) = b_i.v + c_i.x_i +
// |x_i|^2/2 + const with x_i = W_i^T v, so it is the BernoulliGaussianRBM with weights
// [sqrt(1-beta) W1, sqrt(beta) W2], hidden biases [sqrt(1-beta) c1, sqrt(beta) c2] and visible bias
// (1-beta) b1 + beta b2.
//
// At beta = 0 the mixed model is RBM 1 plus the hidden units of RBM 2 with zero weights and
// biases, so Z_0 = Z1 k^nh2 and Z_1 = Z2 k^nh1, with k = 2 (Bernoulli) or sqrt(2 pi) (Gaussian
// hidden units): log(Z2/Z1) = log(Z_1/Z_0) + (nh2 - nh1) log k.
//
// Particles are cut into fixed chunks of kAisChunkRows; the transitions at temperature step k of
// chunk j draw from stream (seed, kStreamAis, k * n_chunks + j), so the log weights depend on the
// seed only: not on the thread count, nor on how the temperatures are split between calls.
#include <cstdint>

#include "condgen/rbm_types.hpp"
#include "condgen/types.hpp"

namespace condgen {

/// Start particles: the visible states of `rbm` after drawing v | h from random hidden states
/// (fair bits, or N(0, 1) for Gaussian hidden units) and then `burn_in` Gibbs steps (h | v, v | h).
/// Chunk j draws from stream (seed, kStreamAisInit, j).
RowMatrix<double> typed_ais_pair_init(const TypedRbm<double>& rbm, Index n_particles, int burn_in,
                                      std::uint64_t seed);

/// AIS steps k = first_step .. first_step + betas.size() - 2 from rbm1 (beta = 0) to rbm2
/// (beta = 1) on the visible particles V, in place: betas[0] is the temperature the particles are
/// at, betas[i] that of step first_step + i - 1. Each step adds F_{beta_prev}(v) - F_{beta}(v) of the
/// mixed models to log_weights, then does `burn_in` Gibbs steps (h | v, v | h) at the new temperature.
/// Throws std::invalid_argument unless both RBMs have the same unit types, visible units and groups.
void typed_ais_pair(const TypedRbm<double>& rbm1, const TypedRbm<double>& rbm2, ConstVectorRef<double> betas,
                    std::int64_t first_step, int burn_in, MatrixRef<double> V, VectorRef<double> log_weights,
                    std::uint64_t seed);

}  // namespace condgen
