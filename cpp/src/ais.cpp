#include "condgen/ais.hpp"

#include <cmath>
#include <stdexcept>

#include "condgen/math.hpp"
#include "condgen/parallel.hpp"
#include "condgen/rng.hpp"

namespace condgen {

namespace {

/// x <- Bernoulli(sigmoid(scale * input + bias)) entrywise; uniforms drawn row by row from rng.
template <class In, class Bias>
void sample_logistic(const In& input, double scale, const Bias& bias, RowMatrix<double>& x, RandomStream& rng) {
  x = (scale * input).rowwise() + bias.transpose();
  logistic_rows_inplace(x);
  // uniforms first, then a vectorised comparison: a branch on the random outcome would be
  // mispredicted half the time
  Eigen::Array<double, 1, Eigen::Dynamic> u(x.cols());
  for (Index r = 0; r < x.rows(); ++r) {
    for (Index j = 0; j < x.cols(); ++j) u[j] = rng.uniform();
    x.row(r) = (u < x.row(r).array()).cast<double>().matrix();
  }
}

/// log_weights[r] += sum_j softplus(beta1 * input + bias) - softplus(beta0 * input + bias).
template <class Bias>
void add_softplus_ratio(const RowMatrix<double>& input, double beta0, double beta1, const Bias& bias,
                        RowMatrix<double>& scratch, double* log_weights) {
  scratch = (beta1 * input).rowwise() + bias.transpose();
  for (Index r = 0; r < input.rows(); ++r) log_weights[r] += softplus_sum(scratch.row(r));
  scratch = (beta0 * input).rowwise() + bias.transpose();
  for (Index r = 0; r < input.rows(); ++r) log_weights[r] -= softplus_sum(scratch.row(r));
}

/// Everything one chunk of particles needs: the weights, its own copy of the combined biases
/// (the per-row kernel replaces the bottom one) and the layer states and inputs.
struct Annealer {
  const std::vector<ConstMatrixRef<double>>& W;
  std::vector<Vector<double>> a;
  std::vector<RowMatrix<double>> x;
  std::vector<RowMatrix<double>> input;
  RowMatrix<double> scratch;

  Annealer(const LayerChain& chain, Index n_particles) : W(chain.weights) {
    for (const auto& bias : chain.biases) {
      a.emplace_back(bias);
      x.emplace_back(n_particles, bias.size());
      input.emplace_back(n_particles, bias.size());
    }
  }

  Index n_layers() const { return static_cast<Index>(a.size()); }

  /// input[k] = x[k-1] W_k + x[k+1] W_{k+1}^T (weights only).
  void compute_input(Index k) {
    const Index top = n_layers() - 1;
    if (k > 0) {
      input[k].noalias() = x[k - 1] * W[k - 1];
    } else {
      input[k].setZero();
    }
    if (k < top) input[k].noalias() += x[k + 1] * W[k].transpose();
  }

  /// Steps first_step .. first_step + n_betas - 2 (see ais_chain); the stream of step k is
  /// (seed, stream, unit_base + k * unit_stride).
  void run(const double* betas, Index n_betas, std::int64_t first_step, Index burn_in, bool synchronous,
           double* log_weights, std::uint64_t seed, std::uint64_t stream, std::uint64_t unit_base,
           std::uint64_t unit_stride) {
    const Index L = n_layers();
    for (Index k = 1; k < L; k += 2) compute_input(k);
    for (Index i = 1; i < n_betas; ++i) {
      const double beta = betas[i];
      for (Index k = 1; k < L; k += 2) add_softplus_ratio(input[k], betas[i - 1], beta, a[k], scratch, log_weights);
      if (burn_in == 0) continue;
      const auto step = static_cast<std::uint64_t>(first_step + i - 1);
      RandomStream rng(seed, stream, unit_base + step * unit_stride);
      for (Index sweep = 0; sweep < burn_in; ++sweep) {
        if (synchronous) {
          // every layer from the previous state: A inputs from the old B states first
          for (Index k = 0; k < L; k += 2) compute_input(k);
          for (Index k = 1; k < L; k += 2) sample_logistic(input[k], beta, a[k], x[k], rng);
          for (Index k = 0; k < L; k += 2) sample_logistic(input[k], beta, a[k], x[k], rng);
        } else {
          for (Index k = 1; k < L; k += 2) sample_logistic(input[k], beta, a[k], x[k], rng);
          for (Index k = 0; k < L; k += 2) {
            compute_input(k);
            sample_logistic(input[k], beta, a[k], x[k], rng);
          }
        }
        for (Index k = 1; k < L; k += 2) compute_input(k);
      }
    }
  }
};

void check_chain(const LayerChain& chain) {
  if (chain.biases.size() != chain.weights.size() + 1 || chain.weights.empty()) {
    throw std::invalid_argument("AIS: need L >= 1 weight matrices and L + 1 bias vectors");
  }
  for (std::size_t k = 0; k < chain.weights.size(); ++k) {
    if (chain.weights[k].rows() != chain.biases[k].size() || chain.weights[k].cols() != chain.biases[k + 1].size()) {
      throw std::invalid_argument("AIS: weight and bias shapes do not match");
    }
  }
}

}  // namespace

void ais_init_states(const std::vector<ConstVectorRef<double>>& logits, std::vector<MatrixRef<double>>& states,
                     std::uint64_t seed) {
  if (logits.size() != states.size()) throw std::invalid_argument("AIS init: one logit vector per layer");
  for (std::size_t k = 0; k < states.size(); ++k) {
    auto& state = states[k];
    const auto& logit = logits[k];
    if (state.cols() != logit.size()) throw std::invalid_argument("AIS init: state and logit shapes differ");
    const Index n_chunks = chunk_count(state.rows(), kAisChunkRows);
    for_each_chunk(state.rows(), kAisChunkRows, [&](Index chunk, Index begin, Index end) {
      RandomStream rng(seed, kStreamAisInit, static_cast<std::uint64_t>(k * n_chunks + chunk));
      for (Index r = begin; r < end; ++r) {
        for (Index j = 0; j < state.cols(); ++j) {
          state(r, j) = rng.uniform() < 1.0 / (1.0 + std::exp(-logit[j])) ? 1.0 : 0.0;
        }
      }
    });
  }
}

void ais_chain(const LayerChain& chain, ConstVectorRef<double> betas, std::int64_t first_step, Index burn_in,
               bool synchronous, std::vector<MatrixRef<double>>& states, VectorRef<double> log_weights,
               std::uint64_t seed) {
  check_chain(chain);
  const Index n_particles = log_weights.size();
  if (states.size() != chain.biases.size()) throw std::invalid_argument("AIS: one state matrix per layer");
  for (std::size_t k = 0; k < states.size(); ++k) {
    if (states[k].rows() != n_particles || states[k].cols() != chain.biases[k].size()) {
      throw std::invalid_argument("AIS: state shapes do not match the particles and layers");
    }
  }
  const Index n_chunks = chunk_count(n_particles, kAisChunkRows);
  for_each_chunk(n_particles, kAisChunkRows, [&](Index chunk, Index begin, Index end) {
    Annealer annealer(chain, end - begin);
    for (std::size_t k = 0; k < states.size(); ++k) annealer.x[k] = states[k].middleRows(begin, end - begin);
    annealer.run(betas.data(), betas.size(), first_step, burn_in, synchronous, log_weights.data() + begin, seed,
                 kStreamAis, static_cast<std::uint64_t>(chunk), static_cast<std::uint64_t>(n_chunks));
    for (std::size_t k = 0; k < states.size(); ++k) states[k].middleRows(begin, end - begin) = annealer.x[k];
  });
}

RowMatrix<double> ais_chain_rows(const LayerChain& chain, ConstMatrixRef<double> bottom_biases,
                                 ConstVectorRef<double> betas, Index n_particles, Index burn_in,
                                 std::int64_t first_row, std::uint64_t seed) {
  check_chain(chain);
  if (bottom_biases.cols() != chain.biases[0].size()) {
    throw std::invalid_argument("AIS: bottom biases do not match the bottom layer");
  }
  const Index n_rows = bottom_biases.rows();
  const auto n_betas = static_cast<std::uint64_t>(betas.size());
  RowMatrix<double> log_weights = RowMatrix<double>::Zero(n_rows, n_particles);
  for_each_chunk(n_rows, 1, [&](Index, Index row, Index) {
    Annealer annealer(chain, n_particles);
    annealer.a[0] = bottom_biases.row(row).transpose();
    const std::uint64_t unit_base = static_cast<std::uint64_t>(first_row + row) * n_betas;
    // exact draws of the base model's group A (independent units); B layers are sampled first
    RandomStream rng(seed, kStreamAisRows, unit_base);
    const Index L = annealer.n_layers();
    for (Index k = 0; k < L; k += 2) {
      annealer.input[k].setZero();
      sample_logistic(annealer.input[k], 0.0, annealer.a[k], annealer.x[k], rng);
    }
    annealer.run(betas.data(), betas.size(), 1, burn_in, false, log_weights.row(row).data(), seed, kStreamAisRows,
                 unit_base, 1);
  });
  return log_weights;
}

}  // namespace condgen
