#include "condgen/dbm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "condgen/math.hpp"
#include "condgen/parallel.hpp"
#include "condgen/rng.hpp"

namespace condgen {

template <class T>
void DbmParams<T>::check() const {
  const Index L = n_rbms();
  if (L < 1) throw std::invalid_argument("a DBM needs at least one RBM");
  if (static_cast<Index>(visible_bias.size()) != L || static_cast<Index>(hidden_bias.size()) != L) {
    throw std::invalid_argument("a DBM needs one visible and one hidden bias per RBM");
  }
  for (Index r = 0; r < L; ++r) {
    if (visible_bias[r].size() != weights[r].rows() || hidden_bias[r].size() != weights[r].cols()) {
      throw std::invalid_argument("biases of RBM " + std::to_string(r) + " do not match its weights");
    }
    if (r > 0 && weights[r].rows() != weights[r - 1].cols()) {
      throw std::invalid_argument("RBM " + std::to_string(r) + " has " + std::to_string(weights[r].rows()) +
                                  " visible units but the RBM below has " +
                                  std::to_string(weights[r - 1].cols()) + " hidden units");
    }
  }
}

template <class T>
std::vector<Vector<T>> DbmParams<T>::combined_biases() const {
  const Index L = n_rbms();
  std::vector<Vector<T>> bias(L + 1);
  bias[0] = visible_bias[0];
  for (Index k = 1; k < L; ++k) bias[k] = hidden_bias[k - 1] + visible_bias[k];
  bias[L] = hidden_bias[L - 1];
  return bias;
}

namespace {

/// Multiply-adds of one sweep (or one mean-field iteration) for one row.
template <class T>
double sweep_work(const DbmParams<T>& params) {
  double work = 0.0;
  for (Index r = 0; r < params.n_rbms(); ++r) {
    work += 2.0 * static_cast<double>(params.weights[r].rows()) * static_cast<double>(params.weights[r].cols());
  }
  return work;
}

/// Chains per chunk of Gibbs work: kChunkRows, or 4x that for models with a large weight matrix,
/// where the matrix products then spend less time packing the weights. Fixed by the model's
/// shape, never by the thread count.
template <class T>
Index gibbs_chunk_rows(const DbmParams<T>& params) {
  for (Index r = 0; r < params.n_rbms(); ++r) {
    if (params.weights[r].size() >= 65536) return 4 * kChunkRows;
  }
  return kChunkRows;
}

/// Eight xoshiro256++ engines stepped together, their states drawn from one chunk's stream: the
/// compiler keeps each state word of the eight engines in one vector register, so a step yields
/// eight 64-bit words for about the cost of one scalar step. Bernoulli draws need many uniforms
/// per chunk (one per unit per sweep) and were bound by the scalar engine.
class WideStream {
 public:
  static constexpr int kWidth = 8;
  explicit WideStream(RandomStream& source) {
    for (auto& word : s_) {
      for (auto& lane : word) lane = source.next();
    }
  }
  /// Uniforms on [0, 1) for Bernoulli draws, two per 64-bit word: 24 bits each for float, 32 bits
  /// each for double (a probability is then resolved to 2^-32, far below any sampling error).
  template <class T>
  void fill_uniforms(T* out, Index n) {
    constexpr Index kPerStep = 2 * kWidth;
    T block[kPerStep];
    for (Index i = 0; i < n; i += kPerStep) {
      T* dest = n - i >= kPerStep ? out + i : block;
      step(dest);
      if (dest == block) std::copy(block, block + (n - i), out + i);
    }
  }

 private:
  template <class T>
  void step(T* out) {
#pragma omp simd
    for (int l = 0; l < kWidth; ++l) {
      const std::uint64_t x = rotl(s_[0][l] + s_[3][l], 23) + s_[0][l];
      const std::uint64_t t = s_[1][l] << 17;
      s_[2][l] ^= s_[0][l];
      s_[3][l] ^= s_[1][l];
      s_[1][l] ^= s_[2][l];
      s_[0][l] ^= s_[3][l];
      s_[2][l] ^= t;
      s_[3][l] = rotl(s_[3][l], 45);
      if constexpr (std::is_same_v<T, float>) {
        out[l] = static_cast<float>(static_cast<std::int32_t>(x >> 40)) * 0x1.0p-24f;
        out[kWidth + l] = static_cast<float>(static_cast<std::int32_t>((x >> 8) & 0xFFFFFFu)) * 0x1.0p-24f;
      } else {
        out[l] = static_cast<double>(static_cast<std::int64_t>(x >> 32)) * 0x1.0p-32;
        out[kWidth + l] = static_cast<double>(static_cast<std::int64_t>(x & 0xFFFFFFFFu)) * 0x1.0p-32;
      }
    }
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  alignas(64) std::uint64_t s_[4][kWidth];
};

/// dest <- Bernoulli(s(a + bias)), i.e. 1 where u < s(a + bias); `a` is overwritten. Rows are
/// processed in groups of about 4096 entries, each group as one array: it stays in L1, and small
/// layers do not spend their time in the scalar tail of every row. u < 1 / (1 + exp(-x)) is
/// tested as u (1 + exp(-x)) < 1, which saves a division. Entries of columns that are not free
/// (free[j] == 0) keep their value; every entry draws its uniform anyway, so the draws of the
/// free entries do not depend on the mask.
template <class T, class Dest>
void sample_logistic(RowMatrix<T>& a, const Vector<T>& bias, RowMatrix<T>& u, Dest&& dest, WideStream& rng,
                     const std::vector<char>* free_mask) {
  const Index n = a.cols();
  const Index group = std::max<Index>(1, 4096 / std::max<Index>(n, 1));
  u.resize(group, n);
  for (Index first = 0; first < a.rows(); first += group) {
    const Index rows = std::min(group, a.rows() - first);
    auto x = a.middleRows(first, rows);
    auto uniforms = u.topRows(rows);
    rng.fill_uniforms(uniforms.data(), uniforms.size());
    x.rowwise() += bias.transpose();
    logistic_draw_test(x.data(), uniforms.data(), rows * n);
    if (free_mask == nullptr) {
      // A plain loop on the (contiguous) rows: Eigen casts a comparison to T one entry at a time.
      const T* in = x.data();
      T* out = dest.row(first).data();
      for (Index e = 0; e < rows * n; ++e) out[e] = in[e] < T(1) ? T(1) : T(0);
      continue;
    }
    const char* free = free_mask->data();
    for (Index i = 0; i < rows; ++i) {
      for (Index j = 0; j < n; ++j) {
        if (free[j]) dest(first + i, j) = x(i, j) < T(1) ? T(1) : T(0);
      }
    }
  }
}

/// Input of unit layer k from its neighbours, without the bias, for rows [begin, begin + m) of
/// `state` (one matrix per layer).
template <class T, class State>
void layer_input(const DbmParams<T>& params, State& state, Index k, Index begin, Index m, RowMatrix<T>& a) {
  const Index L = params.n_rbms();
  if (k == 0) {
    a.noalias() = state[1].middleRows(begin, m) * params.weights[0].transpose();
  } else {
    a.noalias() = state[k - 1].middleRows(begin, m) * params.weights[k - 1];
    if (k < L) a.noalias() += state[k + 1].middleRows(begin, m) * params.weights[k].transpose();
  }
}

// --- Layer inputs of small models from binary states: the sum of the weight rows of the active
// units, accumulated in SIMD registers. For the seed-sized models this beats a matrix product,
// whose packing and blocking cost more than the arithmetic, and skips the inactive units' rows.
namespace ei = Eigen::internal;
template <class T>
using Packet = typename ei::packet_traits<T>::type;
template <class T>
constexpr Index kLanes = ei::unpacket_traits<Packet<T>>::size;

/// Models whose weights (both orientations, padded) fit in this many entries use the row sums.
constexpr Index kRowSumEntries = Index(1) << 15;

inline Index padded_width(Index n, Index lanes) { return (n + lanes - 1) / lanes * lanes; }

/// Per unit layer k, the weights that carry its input as rows padded to whole packets: W_{k-1}
/// (input from below, k >= 1) and W_k^T (input from above, k < L).
template <class T>
struct RowWeights {
  std::vector<RowMatrix<T>> below, above;
  std::vector<Index> width;

  explicit RowWeights(const DbmParams<T>& params) {
    const Index L = params.n_rbms();
    below.resize(L + 1), above.resize(L + 1), width.resize(L + 1);
    for (Index k = 0; k <= L; ++k) {
      const Index n = params.units(k);
      width[k] = padded_width(n, kLanes<T>);
      if (k > 0) {
        below[k].setZero(params.units(k - 1), width[k]);
        below[k].leftCols(n) = params.weights[k - 1];
      }
      if (k < L) {
        above[k].setZero(params.units(k + 1), width[k]);
        above[k].leftCols(n) = params.weights[k].transpose();
      }
    }
  }
  static bool suits(const DbmParams<T>& params) {
    Index entries = 0;
    for (Index r = 0; r < params.n_rbms(); ++r) {
      entries += params.weights[r].rows() * padded_width(params.weights[r].cols(), kLanes<T>) +
                 params.weights[r].cols() * padded_width(params.weights[r].rows(), kLanes<T>);
    }
    return entries <= kRowSumEntries;
  }
};

template <class T, int NP>
inline void add_rows_tile(const T* w1, const Index* idx1, Index n1, const T* w2, const Index* idx2, Index n2,
                          Index stride, T* out) {
  using P = Packet<T>;
  P acc[NP];
  for (int p = 0; p < NP; ++p) acc[p] = ei::pset1<P>(T(0));
  for (Index i = 0; i < n1; ++i) {
    const T* row = w1 + idx1[i] * stride;
    for (int p = 0; p < NP; ++p) acc[p] = ei::padd(acc[p], ei::ploadu<P>(row + p * kLanes<T>));
  }
  for (Index i = 0; i < n2; ++i) {
    const T* row = w2 + idx2[i] * stride;
    for (int p = 0; p < NP; ++p) acc[p] = ei::padd(acc[p], ei::ploadu<P>(row + p * kLanes<T>));
  }
  for (int p = 0; p < NP; ++p) ei::pstoreu(out + p * kLanes<T>, acc[p]);
}

/// out[0, width) = sum of rows idx1 of w1 + sum of rows idx2 of w2 (both `width` wide).
template <class T>
void add_rows(const T* w1, const Index* idx1, Index n1, const T* w2, const Index* idx2, Index n2, T* out,
              Index width) {
  constexpr Index L = kLanes<T>;
  Index j = 0;
  for (; j + 4 * L <= width; j += 4 * L) add_rows_tile<T, 4>(w1 + j, idx1, n1, w2 + j, idx2, n2, width, out + j);
  for (; j + 2 * L <= width; j += 2 * L) add_rows_tile<T, 2>(w1 + j, idx1, n1, w2 + j, idx2, n2, width, out + j);
  for (; j < width; j += L) add_rows_tile<T, 1>(w1 + j, idx1, n1, w2 + j, idx2, n2, width, out + j);
}

/// Inputs (without bias) of the unit layers k with k % 2 == parity (every layer when parity is
/// -1), rows [begin, begin + m) of binary `state`, from the active units' weight rows.
template <class T, class State>
void layer_inputs_from_rows(const DbmParams<T>& params, const RowWeights<T>& rows, State& state, Index parity,
                            Index begin, Index m, std::vector<RowMatrix<T>>& a, std::vector<Index>& idx,
                            std::vector<T>& padded) {
  const Index L = params.n_rbms();
  Index max_units = 0, max_width = 0;
  for (Index k = 0; k <= L; ++k) {
    max_units = std::max(max_units, params.units(k));
    max_width = std::max(max_width, rows.width[k]);
  }
  max_units += kActiveSlack;
  idx.resize(static_cast<std::size_t>((L + 1) * max_units));
  padded.resize(static_cast<std::size_t>(max_width));
  std::vector<Index> count(static_cast<std::size_t>(L + 1), 0);
  auto wanted = [&](Index k) { return parity < 0 || k % 2 == parity; };
  for (Index i = 0; i < m; ++i) {
    for (Index k = 0; k <= L; ++k) {
      if (!(k >= 1 && wanted(k - 1)) && !(k < L && wanted(k + 1))) continue;  // no wanted neighbour
      count[k] = active_units(state[k].row(begin + i).data(), params.units(k), idx.data() + k * max_units);
    }
    for (Index k = 0; k <= L; ++k) {
      if (!wanted(k)) continue;
      const Index* below = idx.data() + std::max<Index>(k - 1, 0) * max_units;
      const Index* above = idx.data() + std::min(k + 1, L) * max_units;
      add_rows(rows.below[k].data(), below, k > 0 ? count[k - 1] : 0, rows.above[k].data(), above,
               k < L ? count[k + 1] : 0, padded.data(), rows.width[k]);
      std::copy(padded.begin(), padded.begin() + params.units(k), a[k].row(i).data());
    }
  }
}

/// `steps` sweeps on rows [begin, end) of the particles. `rows`: the padded weight rows of a
/// small model (inputs from the active units), or null (matrix products).
template <class T>
void gibbs_chunk(const DbmParams<T>& params, const std::vector<Vector<T>>& bias, const RowWeights<T>* rows,
                 std::vector<MatrixMap<T>>& particles, Index begin, Index end, int steps, Sampler sampler,
                 const std::vector<char>* free_mask, RandomStream& rng) {
  const Index L = params.n_rbms();
  const Index m = end - begin;
  std::vector<RowMatrix<T>> a(L + 1);
  for (Index k = 0; k <= L; ++k) a[k].resize(m, params.units(k));
  RowMatrix<T> u;
  std::vector<Index> idx;
  std::vector<T> padded;
  WideStream uniforms(rng);
  auto sample = [&](Index k) {
    sample_logistic(a[k], bias[k], u, particles[k].middleRows(begin, m), uniforms, k == 0 ? free_mask : nullptr);
  };
  auto inputs = [&](Index parity) {
    if (rows != nullptr) {
      layer_inputs_from_rows(params, *rows, particles, parity, begin, m, a, idx, padded);
      return;
    }
    for (Index k = 0; k <= L; ++k) {
      if (parity < 0 || k % 2 == parity) layer_input(params, particles, k, begin, m, a[k]);
    }
  };
  for (int step = 0; step < steps; ++step) {
    if (sampler == Sampler::kAlternating) {
      for (Index parity : {Index(1), Index(0)}) {
        inputs(parity);
        for (Index k = parity; k <= L; k += 2) sample(k);
      }
    } else {
      inputs(-1);
      for (Index k = 0; k <= L; ++k) sample(k);
    }
  }
}

/// Mean-field iteration for rows [begin, end) of `input`, results in mu[k - 1] for unit layer k.
/// Returns the number of iterations.
template <class T>
int mean_field_chunk(const DbmParams<T>& params, const std::vector<Vector<T>>& bias, ConstMatrixRef<T> input,
                     std::vector<MatrixMap<T>>& mu, Index begin, Index end, T tol, int max_iter) {
  const Index L = params.n_rbms();
  const Index m = end - begin;
  auto below = [&](Index k) { return mu[k - 2].middleRows(begin, m); };  // for k >= 2
  // The data layer never changes: its product with the first weights is computed once.
  const RowMatrix<T> from_data = input.middleRows(begin, m) * params.weights[0];
  auto bottom_up = [&](Index k, RowMatrix<T>& a) {
    if (k == 1) {
      a = from_data;
    } else {
      a.noalias() = below(k) * params.weights[k - 1];
    }
  };
  RowMatrix<T> a;
  // Initial upward pass: doubled input (bias included) below the top, as BoltzmannMachines.jl.
  for (Index k = 1; k <= L; ++k) {
    bottom_up(k, a);
    a.rowwise() += params.hidden_bias[k - 1].transpose();
    if (k < L) a *= T(2);
    logistic_rows_inplace(a);
    mu[k - 1].middleRows(begin, m) = a;
  }
  int iterations = 0;
  T delta;
  do {
    ++iterations;
    delta = T(0);
    for (Index k = 1; k <= L; ++k) {
      bottom_up(k, a);
      if (k < L) a.noalias() += mu[k].middleRows(begin, m) * params.weights[k].transpose();
      a.rowwise() += bias[k].transpose();
      logistic_rows_inplace(a);
      auto current = mu[k - 1].middleRows(begin, m);
      delta = std::max(delta, (a - current).cwiseAbs().maxCoeff());
      current = a;
    }
  } while (delta > tol && iterations < max_iter);
  return iterations;
}

/// Sufficient statistics of a block of rows: per RBM r, layer_r^T layer_{r+1}; per layer, column sums.
template <class T>
struct Statistics {
  std::vector<RowMatrix<T>> products;
  std::vector<Vector<T>> sums;

  template <class Layer>
  void compute(Index L, Layer&& layer) {
    products.resize(L);
    sums.resize(L + 1);
    for (Index r = 0; r < L; ++r) products[r].noalias() = layer(r).transpose() * layer(r + 1);
    for (Index k = 0; k <= L; ++k) sums[k] = layer(k).colwise().sum().transpose();
  }
  /// this += other, entry by entry.
  void add(const Statistics& other) {
    for (std::size_t r = 0; r < products.size(); ++r) products[r] += other.products[r];
    for (std::size_t k = 0; k < sums.size(); ++k) sums[k] += other.sums[k];
  }
};

template <class T>
void check_layers(const DbmParams<T>& params, const std::vector<MatrixMap<T>>& layers, Index first_layer,
                  const char* what) {
  const Index L = params.n_rbms();
  if (static_cast<Index>(layers.size()) != L + 1 - first_layer) {
    throw std::invalid_argument(std::string(what) + ": wrong number of layers");
  }
  for (Index k = first_layer; k <= L; ++k) {
    const auto& layer = layers[k - first_layer];
    if (layer.cols() != params.units(k) || layer.rows() != layers[0].rows()) {
      throw std::invalid_argument(std::string(what) + ": layer " + std::to_string(k) + " has the wrong shape");
    }
  }
}

}  // namespace

template <class T>
void dbm_gibbs(const DbmParams<T>& params, std::vector<MatrixMap<T>>& particles, int steps, Sampler sampler,
               const std::vector<Index>& clamped, std::uint64_t seed) {
  params.check();
  check_layers(params, particles, 0, "particles");
  if (steps < 0) throw std::invalid_argument("steps must be non-negative");
  std::vector<char> free_mask;
  if (!clamped.empty()) {
    free_mask.assign(static_cast<std::size_t>(params.units(0)), 1);
    for (Index column : clamped) {
      if (column < 0 || column >= params.units(0)) throw std::invalid_argument("clamped column out of range");
      free_mask[static_cast<std::size_t>(column)] = 0;
    }
  }
  const auto bias = params.combined_biases();
  const auto rows = RowWeights<T>::suits(params) ? std::make_unique<RowWeights<T>>(params) : nullptr;
  const double work = sweep_work(params) * static_cast<double>(particles[0].rows()) * std::max(steps, 1);
  for_each_chunk_if(work, particles[0].rows(), gibbs_chunk_rows(params), [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, kStreamDbm, static_cast<std::uint64_t>(chunk));
    gibbs_chunk(params, bias, rows.get(), particles, begin, end, steps, sampler,
                free_mask.empty() ? nullptr : &free_mask, rng);
  });
}

template <class T>
int dbm_mean_field(const DbmParams<T>& params, ConstMatrixRef<T> X, std::vector<MatrixMap<T>>& mu, T tol,
                   int max_iter) {
  params.check();
  check_layers(params, mu, 1, "mean-field output");
  if (X.cols() != params.units(0) || X.rows() != mu[0].rows()) {
    throw std::invalid_argument("mean-field input has the wrong shape");
  }
  if (max_iter < 1) throw std::invalid_argument("max_iter must be at least 1");
  const auto bias = params.combined_biases();
  std::vector<int> iterations(static_cast<std::size_t>(chunk_count(X.rows())), 0);
  // Work estimated with 10 iterations, a typical count at the default tolerance.
  const double work = sweep_work(params) * static_cast<double>(X.rows()) * 10.0;
  for_each_chunk_if(work, X.rows(), kChunkRows, [&](Index chunk, Index begin, Index end) {
    iterations[static_cast<std::size_t>(chunk)] = mean_field_chunk(params, bias, X, mu, begin, end, tol, max_iter);
  });
  return iterations.empty() ? 0 : *std::max_element(iterations.begin(), iterations.end());
}

template <class T>
int dbm_fine_tune_epoch(DbmParams<T>& params, std::vector<MatrixMap<T>>& particles, ConstMatrixRef<T> X,
                        const FineTuneSettings<T>& settings, std::uint64_t seed) {
  params.check();
  check_layers(params, particles, 0, "particles");
  const Index L = params.n_rbms();
  const Index n = X.rows();
  const Index n_particles = particles[0].rows();
  if (X.cols() != params.units(0)) throw std::invalid_argument("X has the wrong number of columns");
  if (n < 1 || n_particles < 1) throw std::invalid_argument("fine-tuning needs data rows and particles");
  if (settings.batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
  if (settings.mean_field_max_iter < 1) throw std::invalid_argument("mean_field_max_iter must be at least 1");
  const bool conditional = !settings.clamped.empty();
  if (conditional && n_particles != n) {
    throw std::invalid_argument("conditional fine-tuning needs one particle per row of X");
  }
  std::vector<char> free_mask;
  if (conditional) {
    free_mask.assign(static_cast<std::size_t>(params.units(0)), 1);
    for (Index column : settings.clamped) {
      if (column < 0 || column >= params.units(0)) throw std::invalid_argument("clamped column out of range");
      free_mask[static_cast<std::size_t>(column)] = 0;
    }
  }

  const Index batch_size = std::min(settings.batch_size, n);
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index(0));
  if (batch_size < n) {  // a full batch keeps the rows in order, as BoltzmannMachines.jl
    RandomStream shuffle_rng(seed, kStreamDbmShuffle, 0);
    shuffle_rng.shuffle(order.begin(), static_cast<std::uint64_t>(n));
  }

  RowMatrix<T> batch(batch_size, params.units(0));
  std::vector<RowMatrix<T>> mu_storage(static_cast<std::size_t>(L));
  std::vector<MatrixMap<T>> mu;
  for (Index k = 1; k <= L; ++k) {
    mu_storage[k - 1].resize(batch_size, params.units(k));
    mu.emplace_back(mu_storage[k - 1].data(), batch_size, params.units(k));
  }
  // Conditional fine-tuning gathers the minibatch rows' chains here and scatters them back.
  std::vector<RowMatrix<T>> chain_storage(static_cast<std::size_t>(conditional ? L + 1 : 0));
  std::vector<MatrixMap<T>> batch_chains;
  for (Index k = 0; k < static_cast<Index>(chain_storage.size()); ++k) {
    chain_storage[k].resize(batch_size, params.units(k));
  }
  const Index particle_chunk_rows = gibbs_chunk_rows(params);
  const Index max_chains = conditional ? batch_size : n_particles;
  std::vector<Statistics<T>> partial(
      static_cast<std::size_t>(chunk_count(max_chains, particle_chunk_rows) + chunk_count(batch_size)));
  std::vector<int> iterations(partial.size(), 0);
  int max_iterations = 0;

  const bool row_sums = RowWeights<T>::suits(params);
  std::unique_ptr<RowWeights<T>> row_weights;  // rebuilt after every update
  const Index n_batches = (n + batch_size - 1) / batch_size;
  for (Index b = 0; b < n_batches; ++b) {
    const Index first = b * batch_size;
    const Index rows = std::min(batch_size, n - first);
    for (Index i = 0; i < rows; ++i) batch.row(i) = X.row(order[static_cast<std::size_t>(first + i)]);
    const ConstMatrixRef<T> batch_rows = batch.topRows(rows);
    const auto bias = params.combined_biases();
    if (row_sums) row_weights = std::make_unique<RowWeights<T>>(params);
    std::vector<MatrixMap<T>>& chains = conditional ? batch_chains : particles;
    if (conditional) {
      batch_chains.clear();
      for (Index k = 0; k <= L; ++k) {
        auto& storage = chain_storage[static_cast<std::size_t>(k)];
        for (Index i = 0; i < rows; ++i) storage.row(i) = particles[k].row(order[static_cast<std::size_t>(first + i)]);
        batch_chains.emplace_back(storage.data(), rows, params.units(k));
      }
    }
    const Index n_chains = chains[0].rows();
    const Index particle_chunks = chunk_count(n_chains, particle_chunk_rows);
    const Index tasks = particle_chunks + chunk_count(rows);

    // Negative phase (Gibbs on the particle chunks) and positive phase (mean-field on the batch
    // chunks) are independent: one parallel loop over both kinds of chunks.
    const double work = sweep_work(params) * static_cast<double>(n_chains * std::max(settings.gibbs_steps, 1) +
                                                                  rows * 10);
    for_each_chunk_if(work, tasks, 1, [&](Index task, Index, Index) {
      auto& stats = partial[static_cast<std::size_t>(task)];
      if (task < particle_chunks) {
        const Index begin = task * particle_chunk_rows;
        const Index end = std::min(n_chains, begin + particle_chunk_rows);
        RandomStream rng(seed, kStreamDbm, (static_cast<std::uint64_t>(b) << 32) | static_cast<std::uint64_t>(task));
        gibbs_chunk(params, bias, row_weights.get(), chains, begin, end, settings.gibbs_steps, settings.sampler,
                    conditional ? &free_mask : nullptr, rng);
        stats.compute(L, [&](Index k) { return chains[k].middleRows(begin, end - begin); });
      } else {
        const Index begin = (task - particle_chunks) * kChunkRows;
        const Index end = std::min(rows, begin + kChunkRows);
        iterations[static_cast<std::size_t>(task)] = mean_field_chunk(
            params, bias, batch_rows, mu, begin, end, settings.mean_field_tol, settings.mean_field_max_iter);
        stats.compute(L, [&](Index k) -> Eigen::Ref<const RowMatrix<T>> {
          if (k == 0) return batch_rows.middleRows(begin, end - begin);
          return mu[k - 1].middleRows(begin, end - begin);
        });
      }
    });

    // Chunk-ordered sums, then gradient ascent on every RBM (boltzmann.md §4.3).
    Statistics<T> negative = partial[0];
    for (Index c = 1; c < particle_chunks; ++c) negative.add(partial[static_cast<std::size_t>(c)]);
    Statistics<T> positive = partial[static_cast<std::size_t>(particle_chunks)];
    for (Index c = particle_chunks + 1; c < tasks; ++c) positive.add(partial[static_cast<std::size_t>(c)]);
    const T pos_scale = settings.learning_rate / static_cast<T>(rows);
    const T neg_scale = settings.learning_rate / static_cast<T>(n_chains);
    for (Index r = 0; r < L; ++r) {
      params.weights[r] += pos_scale * positive.products[r] - neg_scale * negative.products[r];
      params.visible_bias[r] += pos_scale * positive.sums[r] - neg_scale * negative.sums[r];
      params.hidden_bias[r] += pos_scale * positive.sums[r + 1] - neg_scale * negative.sums[r + 1];
    }
    for (Index c = particle_chunks; c < tasks; ++c) {
      max_iterations = std::max(max_iterations, iterations[static_cast<std::size_t>(c)]);
    }
    if (conditional) {
      for (Index k = 0; k <= L; ++k) {
        for (Index i = 0; i < rows; ++i) particles[k].row(order[static_cast<std::size_t>(first + i)]) = batch_chains[k].row(i);
      }
    }
  }
  return max_iterations;
}

// ------------------------------------------------------------------------------------------------
// Exact enumeration (double precision only: meant for tiny models and tests).

namespace {

/// Which unit layers are "given" (enumerated, or fixed to a data row) and where each enumerated
/// layer's units sit in the bits of the configuration index.
struct EnumerationPlan {
  std::vector<char> given;
  std::vector<char> enumerated;
  std::vector<int> offset;
  int bits = 0;
};

constexpr int kMaxEnumerationBits = 40;
constexpr Index kConfigChunk = 256;

EnumerationPlan make_plan(const DbmParams<double>& params, bool visible_fixed, Index parity) {
  const Index L = params.n_rbms();
  EnumerationPlan plan;
  plan.given.assign(static_cast<std::size_t>(L + 1), 0);
  plan.enumerated.assign(static_cast<std::size_t>(L + 1), 0);
  plan.offset.assign(static_cast<std::size_t>(L + 1), 0);
  for (Index k = 0; k <= L; ++k) {
    if (k == 0 && visible_fixed) {
      plan.given[0] = 1;
    } else if (k % 2 == parity) {
      plan.given[k] = plan.enumerated[k] = 1;
      plan.offset[k] = plan.bits;
      plan.bits += static_cast<int>(params.units(k));
    }
  }
  return plan;
}

/// The plan that enumerates fewer units.
EnumerationPlan cheaper_plan(const DbmParams<double>& params, bool visible_fixed) {
  EnumerationPlan even = make_plan(params, visible_fixed, 0);
  EnumerationPlan odd = make_plan(params, visible_fixed, 1);
  EnumerationPlan& cheaper = even.bits <= odd.bits ? even : odd;
  if (cheaper.bits > kMaxEnumerationBits) throw std::invalid_argument("too many units to enumerate");
  return cheaper;
}

/// Log of the unnormalised probability of each configuration of the given layers (rows of
/// state[k] for given k), with the other layers summed out.
void score_configurations(const DbmParams<double>& params, const std::vector<Vector<double>>& bias,
                          const EnumerationPlan& plan, const std::vector<RowMatrix<double>>& state,
                          Vector<double>& score) {
  const Index L = params.n_rbms();
  const Index c = state[plan.given[0] ? 0 : 1].rows();
  score.setZero(c);
  for (Index k = 0; k <= L; ++k) {
    if (plan.given[k]) score.noalias() += state[k] * bias[k];
  }
  RowMatrix<double> a;
  for (Index r = 0; r < L; ++r) {
    if (plan.given[r] && plan.given[r + 1]) {
      a.noalias() = state[r] * params.weights[r];
      score += (a.array() * state[r + 1].array()).rowwise().sum().matrix();
    }
  }
  for (Index k = 0; k <= L; ++k) {
    if (plan.given[k]) continue;
    a.setZero(c, params.units(k));
    if (k > 0) a.noalias() += state[k - 1] * params.weights[k - 1];
    if (k < L) a.noalias() += state[k + 1] * params.weights[k].transpose();
    a.rowwise() += bias[k].transpose();
    for (Index i = 0; i < c; ++i) score(i) += softplus_sum(a.row(i));
  }
}

/// Fills the enumerated layers of `state` with configurations [first, first + c).
void fill_configurations(const DbmParams<double>& params, const EnumerationPlan& plan, std::uint64_t first,
                         Index c, std::vector<RowMatrix<double>>& state) {
  for (Index k = 0; k < static_cast<Index>(plan.given.size()); ++k) {
    if (!plan.enumerated[k]) continue;
    state[k].resize(c, params.units(k));
    for (Index i = 0; i < c; ++i) {
      const std::uint64_t config = first + static_cast<std::uint64_t>(i);
      for (Index j = 0; j < params.units(k); ++j) {
        state[k](i, j) = static_cast<double>((config >> (plan.offset[k] + j)) & 1u);
      }
    }
  }
}

/// log sum over all configurations of the plan, with layer 0 fixed to `visible` when given.
LogSumExp enumerate(const DbmParams<double>& params, const std::vector<Vector<double>>& bias,
                 const EnumerationPlan& plan, const double* visible, std::uint64_t first, Index c) {
  std::vector<RowMatrix<double>> state(bias.size());
  fill_configurations(params, plan, first, c, state);
  if (visible != nullptr) {
    const Eigen::Map<const Eigen::RowVectorXd> v(visible, params.units(0));
    state[0] = v.replicate(c, 1);
  }
  Vector<double> score;
  score_configurations(params, bias, plan, state, score);
  LogSumExp sum;
  for (Index i = 0; i < c; ++i) sum.add(score(i));
  return sum;
}

}  // namespace

double dbm_exact_log_partition(const DbmParams<double>& params) {
  params.check();
  const EnumerationPlan plan = cheaper_plan(params, false);
  const auto bias = params.combined_biases();
  const std::uint64_t n_configs = std::uint64_t(1) << plan.bits;
  const Index chunks = static_cast<Index>((n_configs + kConfigChunk - 1) / kConfigChunk);
  std::vector<LogSumExp> partial(static_cast<std::size_t>(chunks));
  for_each_chunk(chunks, 1, [&](Index chunk, Index, Index) {
    const std::uint64_t first = static_cast<std::uint64_t>(chunk) * kConfigChunk;
    const Index c = static_cast<Index>(std::min<std::uint64_t>(kConfigChunk, n_configs - first));
    partial[static_cast<std::size_t>(chunk)] = enumerate(params, bias, plan, nullptr, first, c);
  });
  LogSumExp total;  // chunks merged in order: the same bits for any thread count
  for (const auto& p : partial) total.merge(p);
  return total.value();
}

void dbm_exact_log_unnormalized(const DbmParams<double>& params, ConstMatrixRef<double> X, VectorRef<double> out) {
  params.check();
  if (X.cols() != params.units(0) || out.size() != X.rows()) {
    throw std::invalid_argument("exact log-likelihood: X or out has the wrong shape");
  }
  const EnumerationPlan plan = cheaper_plan(params, true);
  const auto bias = params.combined_biases();
  const std::uint64_t n_configs = std::uint64_t(1) << plan.bits;
  const Index config_chunks = static_cast<Index>((n_configs + kConfigChunk - 1) / kConfigChunk);
  std::vector<LogSumExp> partial(static_cast<std::size_t>(X.rows() * config_chunks));
  for_each_chunk(X.rows() * config_chunks, 1, [&](Index task, Index, Index) {
    const Index row = task / config_chunks;
    const std::uint64_t first = static_cast<std::uint64_t>(task % config_chunks) * kConfigChunk;
    const Index c = static_cast<Index>(std::min<std::uint64_t>(kConfigChunk, n_configs - first));
    partial[static_cast<std::size_t>(task)] = enumerate(params, bias, plan, X.row(row).data(), first, c);
  });
  for (Index row = 0; row < X.rows(); ++row) {
    LogSumExp total;
    for (Index c = 0; c < config_chunks; ++c) total.merge(partial[static_cast<std::size_t>(row * config_chunks + c)]);
    out(row) = total.value();
  }
}

template struct DbmParams<float>;
template struct DbmParams<double>;
template void dbm_gibbs<float>(const DbmParams<float>&, std::vector<MatrixMap<float>>&, int, Sampler,
                               const std::vector<Index>&, std::uint64_t);
template void dbm_gibbs<double>(const DbmParams<double>&, std::vector<MatrixMap<double>>&, int, Sampler,
                                const std::vector<Index>&, std::uint64_t);
template int dbm_mean_field<float>(const DbmParams<float>&, ConstMatrixRef<float>, std::vector<MatrixMap<float>>&,
                                   float, int);
template int dbm_mean_field<double>(const DbmParams<double>&, ConstMatrixRef<double>,
                                    std::vector<MatrixMap<double>>&, double, int);
template int dbm_fine_tune_epoch<float>(DbmParams<float>&, std::vector<MatrixMap<float>>&, ConstMatrixRef<float>,
                                        const FineTuneSettings<float>&, std::uint64_t);
template int dbm_fine_tune_epoch<double>(DbmParams<double>&, std::vector<MatrixMap<double>>&,
                                         ConstMatrixRef<double>, const FineTuneSettings<double>&, std::uint64_t);

}  // namespace condgen
