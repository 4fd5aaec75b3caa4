#include "condgen/multimodal.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "condgen/math.hpp"
#include "condgen/parallel.hpp"
#include "condgen/rbm.hpp"
#include "condgen/rng.hpp"

namespace condgen {

template <class T>
MultimodalParams<T>::MultimodalParams(std::vector<TypedRbm<T>> first_blocks, DbmParams<T> upper_rbms)
    : blocks(std::move(first_blocks)), upper(std::move(upper_rbms)) {
  if (blocks.empty()) throw std::invalid_argument("the first layer needs at least one block");
  upper.check();
  Index v = 0, h = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    blocks[i].check();
    if (blocks[i].hidden != HiddenUnits::kBernoulli) {
      throw std::invalid_argument("block " + std::to_string(i) +
                                  " of the first layer must have Bernoulli hidden units");
    }
    visible_offset.push_back(v);
    hidden_offset.push_back(h);
    v += blocks[i].nv();
    h += blocks[i].nh();
  }
  if (upper.units(0) != h) {
    throw std::invalid_argument("the first layer has " + std::to_string(h) + " hidden units but the RBM above has " +
                                std::to_string(upper.units(0)) + " visible units");
  }
}

template <class T>
Index MultimodalParams<T>::units(Index k) const {
  if (k == 0) return visible_offset.back() + blocks.back().nv();
  return upper.units(k - 1);
}

template <class T>
std::vector<Vector<T>> MultimodalParams<T>::hidden_biases() const {
  std::vector<Vector<T>> bias = upper.combined_biases();  // entry k - 1: unit layer k, without c_1
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    bias[0].segment(hidden_offset[i], blocks[i].nh()) += blocks[i].c;
  }
  return bias;
}

namespace {

/// Below this many multiply-adds a chunk loop runs on the calling thread (as in dbm.cpp: waking
/// the other threads costs more than it saves). Chunks and streams are the same either way.
constexpr double kParallelWork = 3e7;
/// Particles per chunk of AIS.
constexpr Index kAisRows = 32;

template <class Body>
void for_each_chunk_if(double work, Index n_rows, Index chunk_rows, Body&& body) {
  if (work >= kParallelWork) {
    for_each_chunk(n_rows, chunk_rows, body);
    return;
  }
  for (Index chunk = 0, begin = 0; begin < n_rows; ++chunk, begin += chunk_rows) {
    body(chunk, begin, std::min(n_rows, begin + chunk_rows));
  }
}

/// Multiply-adds of one sweep (or one mean-field iteration) for one row.
template <class T>
double sweep_work(const MultimodalParams<T>& params) {
  double work = 0.0;
  for (const auto& block : params.blocks) work += 2.0 * static_cast<double>(block.W.size());
  for (const auto& W : params.upper.weights) work += 2.0 * static_cast<double>(W.size());
  return work;
}

/// Pre-activation (bias included) of hidden unit layer k >= 1 given its neighbours in `x` (one
/// matrix per unit layer): the blocks' inputs V' W + c for k = 1 (rbm_types), x_{k-1} W + bias
/// above, plus x_{k+1} W^T below the top. `bias[k - 1]` is the effective bias of layer k without
/// the first layer's c (it is in the blocks' input).
template <class T>
void hidden_input(const MultimodalParams<T>& params, const std::vector<Vector<T>>& bias,
                  const std::vector<RowMatrix<T>>& x, Index k, RowMatrix<T>& a) {
  const auto& W = params.upper.weights;
  a.resize(x[k - 1].rows(), params.units(k));
  if (k == 1) {
    for (std::size_t i = 0; i < params.blocks.size(); ++i) {
      const auto& block = params.blocks[i];
      typed_hidden_input_block<T>(block, x[0].middleCols(params.visible_offset[i], block.nv()),
                                  a.middleCols(params.hidden_offset[i], block.nh()));
    }
  } else {
    a.noalias() = x[k - 1] * W[k - 2];
  }
  if (k < params.n_rbms()) a.noalias() += x[k + 1] * W[k - 1].transpose();
  a.rowwise() += bias[k - 1].transpose();
}

/// Per-chunk state of Gibbs sampling: copies of the chunk's rows of every unit layer (kernel-owned
/// buffers: the vectorised logistic's results do not depend on the caller's array alignment).
template <class T>
class Sweeper {
 public:
  Sweeper(const MultimodalParams<T>& params, const std::vector<Vector<T>>& bias, const std::vector<Index>& clamped)
      : params_(params), bias_(bias), clamped_(clamped), x(static_cast<std::size_t>(params.n_rbms() + 1)) {
    // Blocks whose columns are all clamped (e.g. one modality given) are not sampled at all.
    std::vector<char> is_clamped(static_cast<std::size_t>(params.units(0)), 0);
    for (Index column : clamped) is_clamped[static_cast<std::size_t>(column)] = 1;
    for (std::size_t i = 0; i < params.blocks.size(); ++i) {
      const auto first = is_clamped.begin() + params.visible_offset[i];
      sampled_.push_back(!std::all_of(first, first + params.blocks[i].nv(), [](char c) { return c != 0; }));
    }
  }

  template <class Particles>
  void load(const Particles& particles, Index begin, Index rows) {
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = particles[k].middleRows(begin, rows);
    kept_.resize(rows, static_cast<Index>(clamped_.size()));
    for (std::size_t j = 0; j < clamped_.size(); ++j) kept_.col(static_cast<Index>(j)) = x[0].col(clamped_[j]);
  }
  template <class Particles>
  void store(Particles& particles, Index begin) const {
    for (std::size_t k = 0; k < x.size(); ++k) particles[k].middleRows(begin, x[k].rows()) = x[k];
  }

  /// Odd unit layers given the even ones.
  void odd(RandomStream& rng) {
    for (Index k = 1; k <= params_.n_rbms(); k += 2) hidden(k, rng);
  }
  /// The visible layer (block by block, clamped columns restored) and the even hidden layers.
  void even(RandomStream& rng) {
    for (std::size_t i = 0; i < params_.blocks.size(); ++i) {
      if (!sampled_[i]) continue;
      const auto& block = params_.blocks[i];
      auto v = x[0].middleCols(params_.visible_offset[i], block.nv());
      typed_visible_potential_block<T>(block, x[1].middleCols(params_.hidden_offset[i], block.nh()), T(1), v);
      typed_sample_visible_block<T>(block, v, rng);
    }
    for (std::size_t j = 0; j < clamped_.size(); ++j) x[0].col(clamped_[j]) = kept_.col(static_cast<Index>(j));
    for (Index k = 2; k <= params_.n_rbms(); k += 2) hidden(k, rng);
  }

  /// Samples of unit layer k given its neighbours, in place of x[k].
  void hidden(Index k, RandomStream& rng) {
    hidden_input(params_, bias_, x, k, a_);
    logistic_rows_inplace(a_);
    sample_bernoulli_block<T>(a_, rng);
    x[static_cast<std::size_t>(k)].swap(a_);
  }

 private:
  const MultimodalParams<T>& params_;
  const std::vector<Vector<T>>& bias_;
  const std::vector<Index>& clamped_;
  std::vector<char> sampled_;
  RowMatrix<T> kept_, a_;

 public:
  std::vector<RowMatrix<T>> x;
};

/// Mean-field iteration of rows [begin, end) of X; mu[k] (unit layers 0..L, kernel buffers) ends
/// as the posterior. Returns the number of iterations done.
template <class T>
int mean_field_chunk(const MultimodalParams<T>& params, const std::vector<Vector<T>>& bias, ConstMatrixRef<T> X,
                     std::vector<RowMatrix<T>>& mu, T tol, int max_iter) {
  const Index L = params.n_rbms();
  mu[0] = X;
  RowMatrix<T> a;
  // Upward pass with the input doubled below the top (for the missing top-down input); the bias
  // is the RBM's own hidden bias only (boltzmann.md §4.4).
  for (Index k = 1; k <= L; ++k) {
    const T factor = k < L ? T(2) : T(1);
    a.resize(X.rows(), params.units(k));
    if (k == 1) {
      for (std::size_t i = 0; i < params.blocks.size(); ++i) {
        const auto& block = params.blocks[i];
        typed_hidden_input_block<T>(block, mu[0].middleCols(params.visible_offset[i], block.nv()),
                                    a.middleCols(params.hidden_offset[i], block.nh()));
      }
    } else {
      a.noalias() = mu[k - 1] * params.upper.weights[k - 2];
      a.rowwise() += params.upper.hidden_bias[k - 2].transpose();
    }
    a *= factor;
    logistic_rows_inplace(a);
    mu[k].swap(a);
  }
  for (int iteration = 1; iteration <= max_iter; ++iteration) {
    T delta = T(0);
    for (Index k = 1; k <= L; ++k) {  // ascending, each layer from the updated one below
      hidden_input(params, bias, mu, k, a);
      logistic_rows_inplace(a);
      delta = std::max(delta, (a - mu[k]).cwiseAbs().maxCoeff());
      mu[k].swap(a);
    }
    if (delta <= tol) return iteration;
  }
  return max_iter;
}

template <class T, class Layers>
void check_layers(const MultimodalParams<T>& params, const Layers& layers, Index first, const char* what) {
  const Index L = params.n_rbms();
  if (static_cast<Index>(layers.size()) != L + 1 - first) {
    throw std::invalid_argument(std::string(what) + " must have one matrix per unit layer");
  }
  for (Index k = first; k <= L; ++k) {
    const auto& layer = layers[static_cast<std::size_t>(k - first)];
    if (layer.cols() != params.units(k) || layer.rows() != layers[0].rows()) {
      throw std::invalid_argument(std::string(what) + "[" + std::to_string(k - first) + "] has the wrong shape");
    }
  }
}

void check_clamped(const std::vector<Index>& clamped, Index n_visible) {
  for (Index column : clamped) {
    if (column < 0 || column >= n_visible) throw std::invalid_argument("clamped column out of range");
  }
}

/// A Bernoulli TypedRbm view of upper RBM r (for the shared gradient step).
template <class T>
TypedRbm<T> bernoulli_view(DbmParams<T>& upper, Index r) {
  auto& W = upper.weights[static_cast<std::size_t>(r)];
  auto& b = upper.visible_bias[static_cast<std::size_t>(r)];
  auto& c = upper.hidden_bias[static_cast<std::size_t>(r)];
  return TypedRbm<T>{VisibleUnits::kBernoulli, HiddenUnits::kBernoulli, {W.data(), W.rows(), W.cols()},
                     {b.data(), b.size()}, {c.data(), c.size()}, {nullptr, 0}, {}};
}

}  // namespace

template <class T>
void multimodal_gibbs(const MultimodalParams<T>& params, std::vector<MatrixMap<T>>& particles, int steps,
                      const std::vector<Index>& clamped, std::uint64_t seed) {
  check_layers(params, particles, 0, "particles");
  check_clamped(clamped, params.units(0));
  if (steps < 0) throw std::invalid_argument("steps must be non-negative");
  const auto bias = params.upper.combined_biases();
  const Index n = particles[0].rows();
  const double work = sweep_work(params) * static_cast<double>(n) * std::max(steps, 1);
  for_each_chunk_if(work, n, kChunkRows, [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, kStreamMultimodal, static_cast<std::uint64_t>(chunk));
    Sweeper<T> sweeper(params, bias, clamped);
    sweeper.load(particles, begin, end - begin);
    for (int step = 0; step < steps; ++step) {
      sweeper.odd(rng);
      sweeper.even(rng);
    }
    sweeper.store(particles, begin);
  });
}

template <class T>
int multimodal_mean_field(const MultimodalParams<T>& params, ConstMatrixRef<T> X, std::vector<MatrixMap<T>>& mu,
                          T tol, int max_iter) {
  check_layers(params, mu, 1, "mean-field output");
  if (X.cols() != params.units(0) || X.rows() != mu[0].rows()) {
    throw std::invalid_argument("mean-field input has the wrong shape");
  }
  if (max_iter < 1) throw std::invalid_argument("max_iter must be at least 1");
  const auto bias = params.upper.combined_biases();
  std::vector<int> iterations(static_cast<std::size_t>(chunk_count(X.rows())), 0);
  const double work = sweep_work(params) * static_cast<double>(X.rows()) * 10.0;  // ~10 iterations
  for_each_chunk_if(work, X.rows(), kChunkRows, [&](Index chunk, Index begin, Index end) {
    std::vector<RowMatrix<T>> state(static_cast<std::size_t>(params.n_rbms() + 1));
    iterations[static_cast<std::size_t>(chunk)] =
        mean_field_chunk<T>(params, bias, X.middleRows(begin, end - begin), state, tol, max_iter);
    for (std::size_t k = 1; k < state.size(); ++k) mu[k - 1].middleRows(begin, end - begin) = state[k];
  });
  return iterations.empty() ? 0 : *std::max_element(iterations.begin(), iterations.end());
}

template <class T>
int multimodal_fine_tune_epoch(MultimodalParams<T>& params, std::vector<MatrixMap<T>>& particles,
                               ConstMatrixRef<T> X, const std::vector<Index>& order,
                               const MultimodalFineTuneSettings<T>& settings, std::uint64_t seed) {
  check_layers(params, particles, 0, "particles");
  const Index L = params.n_rbms();
  const Index n = X.rows();
  const Index n_particles = particles[0].rows();
  if (X.cols() != params.units(0)) throw std::invalid_argument("X has the wrong number of columns");
  if (n < 1 || n_particles < 1) throw std::invalid_argument("fine-tuning needs data rows and particles");
  if (static_cast<Index>(order.size()) != n) throw std::invalid_argument("order must list every row of X");
  for (Index row : order) {
    if (row < 0 || row >= n) throw std::invalid_argument("order holds a row index out of range");
  }
  if (settings.batch_size < 1 || settings.batch_size > n) {
    throw std::invalid_argument("batch_size must be between 1 and the number of rows");
  }
  if (settings.gibbs_steps < 0) throw std::invalid_argument("gibbs_steps must be non-negative");
  if (settings.mean_field_max_iter < 1) throw std::invalid_argument("mean_field_max_iter must be at least 1");

  const Index batch_size = settings.batch_size;
  RowMatrix<T> batch(batch_size, params.units(0));
  std::vector<RowMatrix<T>> mu(static_cast<std::size_t>(L));  // unit layers 1..L
  for (Index k = 1; k <= L; ++k) mu[static_cast<std::size_t>(k - 1)].resize(batch_size, params.units(k));
  const Index particle_chunks = chunk_count(n_particles);
  std::vector<int> iterations;
  std::vector<GradientBuffers<T>> buffers(params.blocks.size() + static_cast<std::size_t>(L - 1));
  const std::vector<Index> no_clamps;
  int max_iterations = 0;
  const Index n_batches = (n + batch_size - 1) / batch_size;
  for (Index b = 0; b < n_batches; ++b) {
    const Index first = b * batch_size;
    const Index rows = std::min(batch_size, n - first);
    for (Index i = 0; i < rows; ++i) batch.row(i) = X.row(order[static_cast<std::size_t>(first + i)]);
    const auto bias = params.upper.combined_biases();
    const Index tasks = particle_chunks + chunk_count(rows);
    iterations.assign(static_cast<std::size_t>(tasks), 0);
    // Negative phase (sweeps on the particle chunks) and positive phase (mean-field on the batch
    // chunks) are independent: one loop over both kinds of chunks.
    const double work = sweep_work(params) *
                        static_cast<double>(n_particles * std::max(settings.gibbs_steps, 1) + rows * 10);
    for_each_chunk_if(work, tasks, 1, [&](Index task, Index, Index) {
      if (task < particle_chunks) {
        const Index begin = task * kChunkRows;
        const Index end = std::min(n_particles, begin + kChunkRows);
        const auto stream = (static_cast<std::uint64_t>(b) << 32) | static_cast<std::uint64_t>(task);
        RandomStream rng(seed, kStreamMultimodal, stream);
        Sweeper<T> sweeper(params, bias, no_clamps);
        sweeper.load(particles, begin, end - begin);
        for (int step = 0; step < settings.gibbs_steps; ++step) {
          sweeper.odd(rng);
          sweeper.even(rng);
        }
        sweeper.store(particles, begin);
      } else {
        const Index begin = (task - particle_chunks) * kChunkRows;
        const Index end = std::min(rows, begin + kChunkRows);
        std::vector<RowMatrix<T>> state(static_cast<std::size_t>(L + 1));
        iterations[static_cast<std::size_t>(task)] =
            mean_field_chunk<T>(params, bias, batch.middleRows(begin, end - begin), state, settings.mean_field_tol,
                                settings.mean_field_max_iter);
        for (Index k = 1; k <= L; ++k) {
          mu[static_cast<std::size_t>(k - 1)].middleRows(begin, end - begin) = state[static_cast<std::size_t>(k)];
        }
      }
    });
    for (int count : iterations) max_iterations = std::max(max_iterations, count);

    // Gradient ascent on every RBM with its unit types' gradient (boltzmann.md §2.4, §4.3); the
    // statistics were all computed with the parameters before this update.
    const T lr = settings.learning_rate;
    for (std::size_t i = 0; i < params.blocks.size(); ++i) {
      auto& block = params.blocks[i];
      const Index vo = params.visible_offset[i], ho = params.hidden_offset[i];
      typed_gradient_step<T>(block, batch.topRows(rows).middleCols(vo, block.nv()),
                             mu[0].topRows(rows).middleCols(ho, block.nh()),
                             particles[0].middleCols(vo, block.nv()), particles[1].middleCols(ho, block.nh()), lr,
                             settings.sd_learning_rate, buffers[i]);
    }
    for (Index r = 0; r + 1 < L; ++r) {
      TypedRbm<T> rbm = bernoulli_view(params.upper, r);
      typed_gradient_step<T>(rbm, mu[static_cast<std::size_t>(r)].topRows(rows),
                             mu[static_cast<std::size_t>(r + 1)].topRows(rows), particles[r + 1], particles[r + 2],
                             lr, T(0), buffers[params.blocks.size() + static_cast<std::size_t>(r)]);
    }
  }
  return max_iterations;
}

double multimodal_log_partition_zero_weights(const MultimodalParams<double>& params) {
  double total = 0.0;
  // A block's zero-weight log Z is its visible term plus softplus of its own hidden biases; the
  // hidden units are counted below with their effective biases instead.
  for (const auto& block : params.blocks) total += typed_log_partition_zero_weights(block) - softplus_sum(block.c);
  for (const auto& a : params.hidden_biases()) total += softplus_sum(a);
  return total;
}

Vector<double> multimodal_ais_log_weights(const MultimodalParams<double>& params, ConstVectorRef<double> betas,
                                          Index n_particles, int burn_in, std::uint64_t seed) {
  if (betas.size() < 2) throw std::invalid_argument("AIS needs at least two temperatures");
  if (n_particles < 1 || burn_in < 0) throw std::invalid_argument("n_particles must be positive, burn_in >= 0");
  const Index L = params.n_rbms();
  const auto bias = params.upper.combined_biases();
  const auto effective = params.hidden_biases();
  const auto& W = params.upper.weights;
  Vector<double> log_weights = Vector<double>::Zero(n_particles);
  for_each_chunk(n_particles, kAisRows, [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, kStreamMultimodalAis, static_cast<std::uint64_t>(chunk));
    const Index m = end - begin;
    // The annealed model: copies of the weights (and Gaussian visible biases) rescaled per
    // temperature; the views below alias the copies.
    const std::size_t n_blocks = params.blocks.size();
    std::vector<RowMatrix<double>> block_W(n_blocks);
    std::vector<Vector<double>> block_b(n_blocks), block_c(n_blocks), block_sigma(n_blocks);
    std::vector<TypedRbm<double>> blocks;
    for (std::size_t i = 0; i < n_blocks; ++i) {
      const auto& block = params.blocks[i];
      block_W[i] = block.W, block_b[i] = block.b, block_c[i] = block.c, block_sigma[i] = block.sigma;
      blocks.push_back(TypedRbm<double>{block.visible, block.hidden,
                                        {block_W[i].data(), block.nv(), block.nh()},
                                        {block_b[i].data(), block.nv()},
                                        {block_c[i].data(), block.nh()},
                                        {block_sigma[i].data(), block_sigma[i].size()},
                                        block.groups});
    }
    std::vector<RowMatrix<double>> upper_W(W.size());
    std::vector<Vector<double>> upper_b(W.size()), upper_c(W.size());
    DbmParams<double> upper;
    for (std::size_t r = 0; r < W.size(); ++r) {
      upper_W[r] = W[r], upper_b[r] = params.upper.visible_bias[r], upper_c[r] = params.upper.hidden_bias[r];
      upper.weights.emplace_back(upper_W[r].data(), upper_W[r].rows(), upper_W[r].cols());
      upper.visible_bias.emplace_back(upper_b[r].data(), upper_b[r].size());
      upper.hidden_bias.emplace_back(upper_c[r].data(), upper_c[r].size());
    }
    const MultimodalParams<double> annealed(blocks, upper);
    const std::vector<Index> no_clamps;
    Sweeper<double> sweeper(annealed, bias, no_clamps);
    auto& x = sweeper.x;
    for (Index k = 0; k <= L; ++k) x[static_cast<std::size_t>(k)].setZero(m, params.units(k));
    // Exact draws of the base model's odd layers: independent units with the effective biases.
    for (Index k = 1; k <= L; k += 2) {
      const auto& a = effective[static_cast<std::size_t>(k - 1)];
      for (Index i = 0; i < m; ++i) {
        for (Index j = 0; j < a.size(); ++j) x[static_cast<std::size_t>(k)](i, j) = rng.bernoulli(sigmoid(a[j]));
      }
    }
    double* logw = log_weights.data() + begin;
    RowMatrix<double> G, input;
    Vector<double> row;
    // log p*_beta1(state) - log p*_beta0(state), the odd layers' own bias terms cancelling.
    const auto add_log_ratio = [&](double beta0, double beta1) {
      for (std::size_t i = 0; i < n_blocks; ++i) {
        const auto& block = params.blocks[i];
        G.noalias() = x[1].middleCols(params.hidden_offset[i], block.nh()) * block.W.transpose();
        for (Index r = 0; r < m; ++r) {
          row = G.row(r).transpose();
          if (block.gaussian_visible()) {  // linear in beta (weights and bias scaled by sqrt(beta))
            logw[r] += (beta1 - beta0) * typed_visible_log_sum(block, row);
          } else {
            logw[r] += typed_visible_log_sum(block, beta1 * row) - typed_visible_log_sum(block, beta0 * row);
          }
        }
      }
      for (Index k = 2; k <= L; k += 2) {
        input.noalias() = x[static_cast<std::size_t>(k - 1)] * W[static_cast<std::size_t>(k - 2)];
        if (k < L) {
          input.noalias() += x[static_cast<std::size_t>(k + 1)] * W[static_cast<std::size_t>(k - 1)].transpose();
        }
        const auto& a = bias[static_cast<std::size_t>(k - 1)];
        for (Index r = 0; r < m; ++r) {
          logw[r] += softplus_sum((beta1 * input.row(r).transpose() + a).eval()) -
                     softplus_sum((beta0 * input.row(r).transpose() + a).eval());
        }
      }
    };
    for (Index step = 1; step < betas.size(); ++step) {
      const double beta = betas[step];
      add_log_ratio(betas[step - 1], beta);
      for (std::size_t i = 0; i < n_blocks; ++i) {
        const auto& block = params.blocks[i];
        if (block.gaussian_visible()) {
          block_W[i] = std::sqrt(beta) * block.W;
          block_b[i] = std::sqrt(beta) * block.b;
        } else {
          block_W[i] = beta * block.W;
        }
      }
      for (std::size_t r = 0; r < W.size(); ++r) upper_W[r] = beta * W[r];
      for (int t = 0; t < burn_in; ++t) {
        sweeper.even(rng);
        sweeper.odd(rng);
      }
    }
  });
  return log_weights;
}

#define CONDGEN_INSTANTIATE_MULTIMODAL(T)                                                                        \
  template struct MultimodalParams<T>;                                                                          \
  template void multimodal_gibbs<T>(const MultimodalParams<T>&, std::vector<MatrixMap<T>>&, int,                 \
                                    const std::vector<Index>&, std::uint64_t);                                  \
  template int multimodal_mean_field<T>(const MultimodalParams<T>&, ConstMatrixRef<T>, std::vector<MatrixMap<T>>&, \
                                        T, int);                                                                \
  template int multimodal_fine_tune_epoch<T>(MultimodalParams<T>&, std::vector<MatrixMap<T>>&, ConstMatrixRef<T>, \
                                             const std::vector<Index>&, const MultimodalFineTuneSettings<T>&,    \
                                             std::uint64_t);

CONDGEN_INSTANTIATE_MULTIMODAL(double)
#undef CONDGEN_INSTANTIATE_MULTIMODAL

}  // namespace condgen
