#include "condgen/rbm.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "condgen/math.hpp"
#include "condgen/parallel.hpp"

namespace condgen {

namespace {

/// Output columns (rows of W for the weight gradient) per task of the blocked products of the
/// training epoch. Fixed, so the bits of a product never depend on how many threads share the
/// blocks; large enough that re-packing the shared operand for every block costs little.
constexpr Index kBlockCols = 256;
/// Multiply-adds of one product from which its blocks run in parallel (below, the OpenMP
/// start-up costs more than it saves).
constexpr Index kParallelWork = Index(1) << 17;
/// Enumerated states per chunk of the exact partition function.
constexpr Index kStatesPerChunk = Index(1) << 12;
/// Largest layer the exact partition function enumerates (2^30 states).
constexpr int kMaxEnumeratedUnits = 30;

template <class T>
void check_parameters(const ConstMatrixRef<T>& W, Index nb, Index nc) {
  if (nb != W.rows() || nc != W.cols()) {
    throw std::invalid_argument("RBM parameters do not fit: weights are " + std::to_string(W.rows()) + " x " +
                                std::to_string(W.cols()) + ", biases have lengths " + std::to_string(nb) +
                                " and " + std::to_string(nc));
  }
}

void check_shape(Index rows, Index cols, Index want_rows, Index want_cols, const char* what) {
  if (rows != want_rows || cols != want_cols) {
    throw std::invalid_argument(std::string(what) + " has shape " + std::to_string(rows) + " x " +
                                std::to_string(cols) + ", expected " + std::to_string(want_rows) + " x " +
                                std::to_string(want_cols));
  }
}

/// body(block, begin, end) over fixed blocks of [0, n); in parallel when `parallel`.
template <class Body>
void for_each_block(Index n, Index block, bool parallel, Body&& body) {
  if (parallel) {
    for_each_chunk(n, block, body);
  } else {
    for (Index k = 0, begin = 0; begin < n; ++k, begin += block) body(k, begin, std::min(n, begin + block));
  }
}

/// out += scale * (sum of the rows of m), adding the rows in order: unlike Eigen's colwise()
/// reductions, the order of additions never depends on the alignment of the arrays.
template <class M, class Out>
void add_row_sum(const M& m, typename M::Scalar scale, Out& out) {
  for (Index r = 0; r < m.rows(); ++r) out += scale * m.row(r).transpose();
}

// --- Matrix-vector kernels of the batch-size-1 path, on rows padded to whole packets and aligned.
// Written with Eigen's packet functions so that the accumulators stay in registers over all rows
// and every multiply-add is one FMA (the same in every build with FMA, whatever the alignment).
namespace ei = Eigen::internal;
template <class T>
using Packet = typename ei::packet_traits<T>::type;
template <class T>
constexpr Index kLanes = ei::unpacket_traits<Packet<T>>::size;

// out[0, NP packets) = base + sum over the listed rows i of a_i * w_i.
template <class T, int NP>
inline void accumulate_rows_tile(const T* w, Index stride, const Index* rows, Index count, const T* a, const T* base,
                                 T* out) {
  using P = Packet<T>;
  P acc[NP];
  for (int p = 0; p < NP; ++p) acc[p] = ei::pload<P>(base + p * kLanes<T>);
  for (Index k = 0; k < count; ++k) {
    const Index i = rows[k];
    const P ai = ei::pset1<P>(a[i]);
    const T* row = w + i * stride;
    for (int p = 0; p < NP; ++p) acc[p] = ei::pmadd(ai, ei::pload<P>(row + p * kLanes<T>), acc[p]);
  }
  for (int p = 0; p < NP; ++p) ei::pstore(out + p * kLanes<T>, acc[p]);
}

/// out = base + w^T a for a row-major w (rows x n, n a multiple of the packet size), adding only
/// the rows of the nonzero a_i (binary data: the active units), in order. Their indices are
/// listed first without branches, into `active` (rows + kActiveSlack entries): on sampled binary
/// states a branch per row would mispredict about half the time.
template <class T>
void accumulate_rows(const T* w, Index stride, Index rows, const T* a, const T* base, T* out, Index n,
                     Index* active) {
  const Index count = active_units(a, rows, active);
  constexpr Index L = kLanes<T>;
  Index j = 0;
  for (; j + 4 * L <= n; j += 4 * L) accumulate_rows_tile<T, 4>(w + j, stride, active, count, a, base + j, out + j);
  for (; j + 2 * L <= n; j += 2 * L) accumulate_rows_tile<T, 2>(w + j, stride, active, count, a, base + j, out + j);
  for (; j < n; j += L) accumulate_rows_tile<T, 1>(w + j, stride, active, count, a, base + j, out + j);
}

/// out_i = w_i . s + base_i for every row i.
template <class T>
void row_dots(const T* w, Index stride, Index rows, const T* s, const T* base, T* out, Index n) {
  using P = Packet<T>;
  for (Index i = 0; i < rows; ++i) {
    const T* row = w + i * stride;
    P acc = ei::pmul(ei::pload<P>(row), ei::pload<P>(s));
    for (Index j = kLanes<T>; j < n; j += kLanes<T>) acc = ei::pmadd(ei::pload<P>(row + j), ei::pload<P>(s + j), acc);
    out[i] = ei::predux(acc) + base[i];
  }
}

template <class T, int NP>
inline void rank2_tile(T* w, Index stride, Index rows, const T* a, const T* h, const T* m, const T* hm) {
  using P = Packet<T>;
  P hr[NP], hmr[NP];
  for (int p = 0; p < NP; ++p) {
    hr[p] = ei::pload<P>(h + p * kLanes<T>);
    hmr[p] = ei::pload<P>(hm + p * kLanes<T>);
  }
  for (Index i = 0; i < rows; ++i) {
    T* row = w + i * stride;
    const P ai = ei::pset1<P>(a[i]), mi = ei::pset1<P>(m[i]);
    for (int p = 0; p < NP; ++p) {
      T* x = row + p * kLanes<T>;
      ei::pstore(x, ei::pmadd(mi, hmr[p], ei::pmadd(ai, hr[p], ei::pload<P>(x))));
    }
  }
}

/// w += a h^T + m hm^T (rank 2), one pass over w.
template <class T>
void rank2_update(T* w, Index stride, Index rows, const T* a, const T* h, const T* m, const T* hm, Index n) {
  constexpr Index L = kLanes<T>;
  Index j = 0;
  for (; j + 4 * L <= n; j += 4 * L) rank2_tile<T, 4>(w + j, stride, rows, a, h + j, m, hm + j);
  for (; j + 2 * L <= n; j += 2 * L) rank2_tile<T, 2>(w + j, stride, rows, a, h + j, m, hm + j);
  for (; j < n; j += L) rank2_tile<T, 1>(w + j, stride, rows, a, h + j, m, hm + j);
}

/// The epoch's row order: a Fisher-Yates shuffle from stream 0 of the epoch's seed.
inline std::vector<Index> shuffled_rows(Index n, std::uint64_t seed) {
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index(0));
  RandomStream(seed, kStreamRbmEpoch, 0).shuffle(order.begin(), static_cast<std::uint64_t>(n));
  return order;
}

/// Batch size 1 with one chain (the seed's setting): matrix-vector kernels on a copy of W whose
/// rows are padded to whole SIMD packets and aligned, so every row operation runs on full packets
/// with no scalar head or tail. Padded entries of the hidden vectors are kept at zero, which
/// keeps the padded columns of W at zero. W, c, the chain and the hidden offsets are copied in
/// at the start of the epoch and back at the end; nothing is allocated per update.
template <class T>
class VectorTrainer {
 public:
  VectorTrainer(MatrixRef<T> W, VectorRef<T> b, VectorRef<T> c, ConstMatrixRef<T> X, MatrixRef<T> chain,
                ConstVectorRef<T> mu_v, VectorRef<T> mu_h, const RbmTrainOptions<T>& opt)
      : W_(W), b_(b), c_(c), X_(X), chain_(chain), mu_v_(mu_v), mu_h_(mu_h), opt_(opt),
        rng_(opt.seed, kStreamRbmEpoch, 1), nv_(W.rows()), nh_(W.cols()),
        padded_((nh_ + kLanes<T> - 1) / kLanes<T> * kLanes<T>) {
    w_ = RowMatrix<T>::Zero(nv_, padded_);
    w_.leftCols(nh_) = W;
    for (Vector<T>* v : {&c_pad_, &h_, &chain_pad_, &s_, &hm_, &hc_, &hmc_, &mu_h_pad_}) v->setZero(padded_);
    c_pad_.head(nh_) = c;
    if (opt.pcd != PcdMode::kNone) chain_pad_.head(nh_) = chain.row(0).transpose();
    if (opt.centering) mu_h_pad_.head(nh_) = mu_h;
    for (Vector<T>* v : {&vm_, &vc_, &vmc_, &a_, &m_}) v->resize(nv_);
    active_.resize(static_cast<std::size_t>(nv_ + kActiveSlack));
  }

  void run() {
    for (Index row : shuffled_rows(X_.rows(), opt_.seed)) update(X_.data() + row * X_.outerStride());
    W_ = w_.leftCols(nh_);
    c_ = c_pad_.head(nh_);
    if (opt_.pcd != PcdMode::kNone) chain_.row(0) = chain_pad_.head(nh_).transpose();
    if (opt_.centering) mu_h_ = mu_h_pad_.head(nh_);
  }

 private:
  // out = sigmoid(up * (c + W^T v)); padded entries back to zero.
  void hidden(const T* v, Vector<T>& out) {
    accumulate_rows(w_.data(), padded_, nv_, v, c_pad_.data(), out.data(), padded_, active_.data());
    logistic_inplace(out.data(), padded_, opt_.up_factor);
    out.tail(padded_ - nh_).setZero();
  }
  // vm_ = sigmoid(down * (W h + b)).
  void visible(const Vector<T>& h) {
    row_dots(w_.data(), padded_, nv_, h.data(), b_.data(), vm_.data(), padded_);
    logistic_inplace(vm_.data(), nv_, opt_.down_factor);
  }
  void sample(T* p, Index n) { rng_.bernoulli_inplace(p, n); }

  void update(const T* v) {
    hidden(v, h_);
    if (opt_.pcd == PcdMode::kTieleman) {
      for (int step = 0; step < opt_.cd_steps; ++step) {
        visible(chain_pad_);
        sample(vm_.data(), nv_);
        hidden(vm_.data(), hm_);
        chain_pad_ = hm_;
        sample(chain_pad_.data(), nh_);
      }
    } else {
      s_ = opt_.pcd == PcdMode::kNone ? h_ : chain_pad_;
      sample(s_.data(), nh_);
      for (int step = 1; step < opt_.cd_steps; ++step) {
        visible(s_);
        sample(vm_.data(), nv_);
        hidden(vm_.data(), s_);
        sample(s_.data(), nh_);
      }
      visible(s_);
      hidden(vm_.data(), hm_);
      if (opt_.pcd == PcdMode::kMeanField) chain_pad_ = hm_;
    }
    const T lr = opt_.learning_rate;
    const Eigen::Map<const Vector<T>> data(v, nv_);
    if (!opt_.centering) {
      a_ = lr * data;
      m_ = -lr * vm_;
      rank2_update(w_.data(), padded_, nv_, a_.data(), h_.data(), m_.data(), hm_.data(), padded_);
      b_ += lr * (data - vm_);
      c_pad_ += lr * (h_ - hm_);
      return;
    }
    // Centered gradient (dbm-quality.md): gW = vc hc^T - vmc hmc^T, then
    // gb = v - vm - gW mu_h and gc = h - hm - gW^T mu_v, with gW never formed (it has rank 2).
    mu_h_pad_ = (T(1) - opt_.offset_rate) * mu_h_pad_ + opt_.offset_rate * h_;
    vc_ = data - mu_v_;
    vmc_ = vm_ - mu_v_;
    hc_ = h_ - mu_h_pad_;
    hmc_ = hm_ - mu_h_pad_;
    const T hc_mu = hc_.dot(mu_h_pad_), hmc_mu = hmc_.dot(mu_h_pad_);
    const T vc_mu = vc_.dot(mu_v_), vmc_mu = vmc_.dot(mu_v_);
    a_ = lr * vc_;
    m_ = -lr * vmc_;
    rank2_update(w_.data(), padded_, nv_, a_.data(), hc_.data(), m_.data(), hmc_.data(), padded_);
    b_ += lr * ((data - vm_) - (hc_mu * vc_ - hmc_mu * vmc_));
    c_pad_ += lr * ((h_ - hm_) - (vc_mu * hc_ - vmc_mu * hmc_));
  }

  MatrixRef<T> W_;
  VectorRef<T> b_, c_;
  ConstMatrixRef<T> X_;
  MatrixRef<T> chain_;
  ConstVectorRef<T> mu_v_;
  VectorRef<T> mu_h_;
  const RbmTrainOptions<T>& opt_;
  RandomStream rng_;
  const Index nv_, nh_, padded_;
  RowMatrix<T> w_;
  Vector<T> c_pad_, h_, chain_pad_, s_, hm_, hc_, hmc_, mu_h_pad_, vm_, vc_, vmc_, a_, m_;
  std::vector<Index> active_;  // accumulate_rows' list of active rows
};

/// Any other batch size or number of chains: Eigen matrix products over fixed blocks of columns
/// (in parallel for large products), row chunks of the chain sampled from their own streams.
/// Buffers are allocated once per epoch.
template <class T>
class BatchTrainer {
 public:
  BatchTrainer(MatrixRef<T> W, VectorRef<T> b, VectorRef<T> c, ConstMatrixRef<T> X, MatrixRef<T> chain,
               ConstVectorRef<T> mu_v, VectorRef<T> mu_h, const RbmTrainOptions<T>& opt)
      : W_(W), b_(b), c_(c), X_(X), chain_(chain), mu_v_(mu_v), mu_h_(mu_h), opt_(opt) {
    const Index nv = W.rows(), nh = W.cols();
    chain_rows_ = opt.pcd == PcdMode::kNone ? opt.batch_size : chain.rows();
    for (Index k = 0; k < chunk_count(chain_rows_); ++k) {
      streams_.emplace_back(opt.seed, kStreamRbmEpoch, static_cast<std::uint64_t>(1 + k));
    }
    // Positive rows on top of the negative ones, so that a full batch needs one weight-gradient
    // product [V; Vm]^T [H; Hm] (with the signs and 1/B in the hidden rows).
    v_stack_.resize(opt.batch_size + chain_rows_, nv), h_stack_.resize(opt.batch_size + chain_rows_, nh);
    s_mat_.resize(chain_rows_, nh);
    db_.resize(nv), dc_.resize(nh);
    if (opt.centering) t_pos_.resize(opt.batch_size), t_neg_.resize(chain_rows_);
  }

  void run() {
    const std::vector<Index> order = shuffled_rows(X_.rows(), opt_.seed);
    for (Index start = 0; start < X_.rows(); start += opt_.batch_size) {
      update(order.data() + start, std::min(opt_.batch_size, X_.rows() - start));
    }
  }

 private:
  bool parallel_product(Index rows) const { return rows * W_.rows() * W_.cols() >= kParallelWork; }

  // out = sigmoid(factor * (in W + c)), blocked over the columns of out.
  template <class In, class Out>
  void hidden_batch(const In& in, Out& out) {
    for_each_block(out.cols(), kBlockCols, parallel_product(in.rows()), [&](Index, Index begin, Index end) {
      auto block = out.middleCols(begin, end - begin);
      block.noalias() = in * W_.middleCols(begin, end - begin);
      block.rowwise() += c_.segment(begin, end - begin).transpose();
      logistic_rows_inplace(block, opt_.up_factor);
    });
  }
  // out = sigmoid(factor * (in W^T + b)), blocked over the columns of out.
  template <class In, class Out>
  void visible_batch(const In& in, Out& out) {
    for_each_block(out.cols(), kBlockCols, parallel_product(in.rows()), [&](Index, Index begin, Index end) {
      auto block = out.middleCols(begin, end - begin);
      block.noalias() = in * W_.middleRows(begin, end - begin).transpose();
      block.rowwise() += b_.segment(begin, end - begin).transpose();
      logistic_rows_inplace(block, opt_.down_factor);
    });
  }
  // Bernoulli draws in place; the rows of chunk k always come from stream k.
  template <class M>
  void sample_batch(M& m) {
    for_each_block(m.rows(), kChunkRows, m.rows() * m.cols() >= kParallelWork / 8,
                   [&](Index chunk, Index begin, Index end) {
                     RandomStream& rng = streams_[static_cast<std::size_t>(chunk)];
                     for (Index i = begin; i < end; ++i) rng.bernoulli_inplace(m.row(i).data(), m.cols());
                   });
  }

  void update(const Index* rows_of_x, Index rows) {
    const Index top = opt_.batch_size;
    for (Index r = 0; r < rows; ++r) v_stack_.row(r) = X_.row(rows_of_x[r]);
    auto vp = v_stack_.topRows(rows);
    auto hp = h_stack_.topRows(rows);
    hidden_batch(vp, hp);

    // Negative phase on `chains` rows; the gradient uses the first `m` of them.
    Index chains = chain_rows_, m = chain_rows_;
    if (opt_.pcd == PcdMode::kNone) {
      chains = m = rows;
    } else if (opt_.pcd == PcdMode::kMeanField) {
      m = rows;  // a short last batch advances every chain but uses only the first rows (§2.3)
    }
    auto s = s_mat_.topRows(chains);
    auto vn = v_stack_.middleRows(top, chains);
    auto hn = h_stack_.middleRows(top, chains);
    if (opt_.pcd == PcdMode::kTieleman) {
      s = chain_;
      for (int step = 0; step < opt_.cd_steps; ++step) {
        visible_batch(s, vn);
        sample_batch(vn);
        hidden_batch(vn, hn);
        s = hn;
        sample_batch(s);
      }
      chain_ = s;
    } else {
      if (opt_.pcd == PcdMode::kNone) {
        s = hp;
      } else {
        s = chain_;
      }
      sample_batch(s);
      for (int step = 1; step < opt_.cd_steps; ++step) {
        visible_batch(s, vn);
        sample_batch(vn);
        hidden_batch(vn, s);
        sample_batch(s);
      }
      visible_batch(s, vn);
      hidden_batch(vn, hn);
      if (opt_.pcd == PcdMode::kMeanField) chain_ = hn;
    }
    gradient_step(vp, hp, v_stack_.middleRows(top, m), h_stack_.middleRows(top, m));
  }

  template <class VP, class HP, class VN, class HN>
  void gradient_step(VP vp, HP hp, VN vn, HN hn) {
    const T inv_pos = T(1) / static_cast<T>(vp.rows()), inv_neg = T(1) / static_cast<T>(vn.rows());
    db_.setZero();
    add_row_sum(vp, inv_pos, db_);
    add_row_sum(vn, -inv_neg, db_);
    dc_.setZero();
    add_row_sum(hp, inv_pos, dc_);
    add_row_sum(hn, -inv_neg, dc_);
    if (opt_.centering) {
      // Centered statistics in place (the buffers are refilled by the next batch); see
      // VectorTrainer for the formulas. gW mu_h and gW^T mu_v through the batch dimension.
      mu_h_ *= T(1) - opt_.offset_rate;
      add_row_sum(hp, opt_.offset_rate * inv_pos, mu_h_);
      vp.rowwise() -= mu_v_.transpose();
      vn.rowwise() -= mu_v_.transpose();
      hp.rowwise() -= mu_h_.transpose();
      hn.rowwise() -= mu_h_.transpose();
      auto tp = t_pos_.head(vp.rows());
      auto tn = t_neg_.head(vn.rows());
      tp.noalias() = hp * mu_h_;
      tn.noalias() = hn * mu_h_;
      db_.noalias() -= vp.transpose() * (tp * inv_pos);
      db_.noalias() += vn.transpose() * (tn * inv_neg);
      tp.noalias() = vp * mu_v_;
      tn.noalias() = vn * mu_v_;
      dc_.noalias() -= hp.transpose() * (tp * inv_pos);
      dc_.noalias() += hn.transpose() * (tn * inv_neg);
    }
    const T lr = opt_.learning_rate;
    const bool parallel = parallel_product(vp.rows() + vn.rows());
    if (vp.rows() == opt_.batch_size && vn.rows() == chain_rows_) {  // contiguous in the stacks
      hp *= lr * inv_pos;
      hn *= -lr * inv_neg;
      for_each_block(W_.rows(), kBlockCols, parallel, [&](Index, Index begin, Index end) {
        W_.middleRows(begin, end - begin).noalias() += v_stack_.middleCols(begin, end - begin).transpose() * h_stack_;
      });
    } else {
      for_each_block(W_.rows(), kBlockCols, parallel, [&](Index, Index begin, Index end) {
        auto w = W_.middleRows(begin, end - begin);
        w.noalias() += (lr * inv_pos) * (vp.middleCols(begin, end - begin).transpose() * hp);
        w.noalias() -= (lr * inv_neg) * (vn.middleCols(begin, end - begin).transpose() * hn);
      });
    }
    b_ += lr * db_;
    c_ += lr * dc_;
  }

  MatrixRef<T> W_;
  VectorRef<T> b_, c_;
  ConstMatrixRef<T> X_;
  MatrixRef<T> chain_;
  ConstVectorRef<T> mu_v_;
  VectorRef<T> mu_h_;
  const RbmTrainOptions<T>& opt_;
  Index chain_rows_ = 0;
  std::vector<RandomStream> streams_;
  Vector<T> db_, dc_, t_pos_, t_neg_;
  RowMatrix<T> v_stack_, h_stack_, s_mat_;
};

}  // namespace

template <class T>
void rbm_hidden_probs_block(ConstMatrixRef<T> W, ConstVectorRef<T> c, ConstMatrixRef<T> V, T factor,
                            MatrixRef<T> H) {
  if (V.rows() == 1) {
    H.row(0).noalias() = V.row(0) * W;
  } else {
    H.noalias() = V * W;
  }
  H.rowwise() += c.transpose();
  logistic_rows_inplace(H, factor);
}

template <class T>
void rbm_visible_probs_block(ConstMatrixRef<T> W, ConstVectorRef<T> b, ConstMatrixRef<T> H, T factor,
                             MatrixRef<T> V) {
  if (H.rows() == 1) {
    V.row(0).noalias() = H.row(0) * W.transpose();
  } else {
    V.noalias() = H * W.transpose();
  }
  V.rowwise() += b.transpose();
  logistic_rows_inplace(V, factor);
}

template <class T>
void sample_bernoulli_block(MatrixRef<T> P, RandomStream& rng) {
  for (Index i = 0; i < P.rows(); ++i) rng.bernoulli_inplace(P.row(i).data(), P.cols());
}

template <class T>
void rbm_hidden_probs(ConstMatrixRef<T> W, ConstVectorRef<T> c, ConstMatrixRef<T> V, T factor, MatrixRef<T> H) {
  check_parameters<T>(W, W.rows(), c.size());
  check_shape(V.rows(), V.cols(), V.rows(), W.rows(), "visible input");
  check_shape(H.rows(), H.cols(), V.rows(), W.cols(), "hidden output");
  for_each_chunk(V.rows(), kChunkRows, [&](Index, Index begin, Index end) {
    rbm_hidden_probs_block<T>(W, c, V.middleRows(begin, end - begin), factor, H.middleRows(begin, end - begin));
  });
}

template <class T>
void rbm_visible_probs(ConstMatrixRef<T> W, ConstVectorRef<T> b, ConstMatrixRef<T> H, T factor,
                       MatrixRef<T> V) {
  check_parameters<T>(W, b.size(), W.cols());
  check_shape(H.rows(), H.cols(), H.rows(), W.cols(), "hidden input");
  check_shape(V.rows(), V.cols(), H.rows(), W.rows(), "visible output");
  for_each_chunk(H.rows(), kChunkRows, [&](Index, Index begin, Index end) {
    rbm_visible_probs_block<T>(W, b, H.middleRows(begin, end - begin), factor, V.middleRows(begin, end - begin));
  });
}

template <class T>
void sample_bernoulli(MatrixRef<T> P, std::uint64_t seed, std::uint64_t stream) {
  for_each_chunk(P.rows(), kChunkRows, [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, stream, static_cast<std::uint64_t>(chunk));
    sample_bernoulli_block<T>(P.middleRows(begin, end - begin), rng);
  });
}

template <class T>
void rbm_sample_hidden(ConstMatrixRef<T> W, ConstVectorRef<T> c, ConstMatrixRef<T> V, T factor,
                       std::uint64_t seed, MatrixRef<T> H) {
  rbm_hidden_probs<T>(W, c, V, factor, H);
  sample_bernoulli<T>(H, seed, kStreamRbmSample);
}

template <class T>
void rbm_sample_visible(ConstMatrixRef<T> W, ConstVectorRef<T> b, ConstMatrixRef<T> H, T factor,
                        std::uint64_t seed, MatrixRef<T> V) {
  rbm_visible_probs<T>(W, b, H, factor, V);
  sample_bernoulli<T>(V, seed, kStreamRbmSample);
}

template <class T>
void rbm_free_energy(ConstMatrixRef<T> W, ConstVectorRef<T> b, ConstVectorRef<T> c, ConstMatrixRef<T> V,
                     VectorRef<T> out) {
  check_parameters<T>(W, b.size(), c.size());
  check_shape(V.rows(), V.cols(), out.size(), W.rows(), "visible input");
  for_each_chunk(V.rows(), kChunkRows, [&](Index, Index begin, Index end) {
    RowMatrix<T> input = V.middleRows(begin, end - begin) * W;
    input.rowwise() += c.transpose();
    for (Index r = 0; r < end - begin; ++r) {
      out[begin + r] = -V.row(begin + r).dot(b) - softplus_sum(input.row(r));
    }
  });
}

template <class T>
void rbm_gibbs(ConstMatrixRef<T> W, ConstVectorRef<T> b, ConstVectorRef<T> c, MatrixRef<T> V, MatrixRef<T> H,
               int steps, T up_factor, T down_factor, std::uint64_t seed) {
  check_parameters<T>(W, b.size(), c.size());
  check_shape(V.rows(), V.cols(), V.rows(), W.rows(), "visible particles");
  check_shape(H.rows(), H.cols(), V.rows(), W.cols(), "hidden particles");
  if (steps < 0) throw std::invalid_argument("steps must be non-negative");
  if (steps == 0) return;
  for_each_chunk(V.rows(), kChunkRows, [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, kStreamRbmSample, static_cast<std::uint64_t>(chunk));
    // The chain runs on our own (aligned) copies: Eigen's vectorised logistic peels the unaligned
    // head of its destination with scalar code, so in place on the caller's arrays the bits would
    // depend on their address.
    // The first step overwrites v, so only h is copied in.
    RowMatrix<T> v(end - begin, V.cols());
    RowMatrix<T> h = H.middleRows(begin, end - begin);
    for (int step = 0; step < steps; ++step) {
      rbm_visible_probs_block<T>(W, b, h, down_factor, v);
      sample_bernoulli_block<T>(v, rng);
      rbm_hidden_probs_block<T>(W, c, v, up_factor, h);
      sample_bernoulli_block<T>(h, rng);
    }
    V.middleRows(begin, end - begin) = v;
    H.middleRows(begin, end - begin) = h;
  });
}

double rbm_exact_log_partition(ConstMatrixRef<double> W, ConstVectorRef<double> b, ConstVectorRef<double> c) {
  check_parameters<double>(W, b.size(), c.size());
  // Enumerate layer A (the smaller one), with bias a; every state of A leaves the other layer's
  // units independent with inputs x = A-state * M + o, summed out as softplus terms.
  const bool enumerate_visible = W.rows() <= W.cols();
  const RowMatrix<double> M = enumerate_visible ? RowMatrix<double>(W) : RowMatrix<double>(W.transpose());
  const Vector<double> a = enumerate_visible ? Vector<double>(b) : Vector<double>(c);
  const Vector<double> o = enumerate_visible ? Vector<double>(c) : Vector<double>(b);
  const int k = static_cast<int>(M.rows());
  if (k > kMaxEnumeratedUnits) {
    throw std::invalid_argument("exact log partition function: the smaller layer has " + std::to_string(k) +
                                " units, at most " + std::to_string(kMaxEnumeratedUnits) + " can be enumerated");
  }
  const Index n_states = Index(1) << k;
  std::vector<LogSumExp> partial(static_cast<std::size_t>(chunk_count(n_states, kStatesPerChunk)));
  for_each_chunk(n_states, kStatesPerChunk, [&](Index chunk, Index begin, Index end) {
    // Gray-code order: state i is i ^ (i >> 1), one unit flips between neighbours, so the input of
    // the other layer changes by one row of M. Each chunk restarts from scratch (no drift).
    std::uint64_t gray = static_cast<std::uint64_t>(begin ^ (begin >> 1));
    Vector<double> x = o;
    double linear = 0.0;
    for (int unit = 0; unit < k; ++unit) {
      if ((gray >> unit) & 1U) {
        x += M.row(unit).transpose();
        linear += a[unit];
      }
    }
    LogSumExp sum;
    sum.add(linear + softplus_sum(x));
    for (Index i = begin + 1; i < end; ++i) {
      const int unit = __builtin_ctzll(static_cast<unsigned long long>(i));
      gray ^= std::uint64_t(1) << unit;
      if ((gray >> unit) & 1U) {
        x += M.row(unit).transpose();
        linear += a[unit];
      } else {
        x -= M.row(unit).transpose();
        linear -= a[unit];
      }
      sum.add(linear + softplus_sum(x));
    }
    partial[static_cast<std::size_t>(chunk)] = sum;
  });
  LogSumExp total;
  for (const LogSumExp& part : partial) total.merge(part);
  return total.value();
}

template <class T>
void rbm_train_epoch(MatrixRef<T> W, VectorRef<T> b, VectorRef<T> c, ConstMatrixRef<T> X, MatrixRef<T> chain,
                     ConstVectorRef<T> visible_offset, VectorRef<T> hidden_offset,
                     const RbmTrainOptions<T>& options) {
  const Index nv = W.rows(), nh = W.cols();
  check_parameters<T>(W, b.size(), c.size());
  check_shape(X.rows(), X.cols(), X.rows(), nv, "training data");
  if (X.rows() < 1) throw std::invalid_argument("training data has no rows");
  if (options.batch_size < 1 || options.batch_size > X.rows()) {
    throw std::invalid_argument("batch_size must be between 1 and the number of rows");
  }
  if (options.cd_steps < 1) throw std::invalid_argument("cd_steps must be at least 1");
  if (options.pcd == PcdMode::kMeanField) check_shape(chain.rows(), chain.cols(), options.batch_size, nh, "chain");
  if (options.pcd == PcdMode::kTieleman) {
    check_shape(chain.rows(), chain.cols(), std::max<Index>(chain.rows(), 1), nh, "chain");
  }
  if (options.centering) {
    check_shape(visible_offset.size(), hidden_offset.size(), nv, nh, "offsets (visible, hidden)");
  }
  const Index chain_rows = options.pcd == PcdMode::kNone ? options.batch_size : chain.rows();
  if (options.batch_size == 1 && chain_rows == 1) {
    VectorTrainer<T>(W, b, c, X, chain, visible_offset, hidden_offset, options).run();
  } else {
    BatchTrainer<T>(W, b, c, X, chain, visible_offset, hidden_offset, options).run();
  }
}

#define CONDGEN_INSTANTIATE_RBM(T)                                                                             \
  template void rbm_hidden_probs_block<T>(ConstMatrixRef<T>, ConstVectorRef<T>, ConstMatrixRef<T>, T,         \
                                          MatrixRef<T>);                                                      \
  template void rbm_visible_probs_block<T>(ConstMatrixRef<T>, ConstVectorRef<T>, ConstMatrixRef<T>, T,        \
                                           MatrixRef<T>);                                                     \
  template void sample_bernoulli_block<T>(MatrixRef<T>, RandomStream&);                                       \
  template void rbm_hidden_probs<T>(ConstMatrixRef<T>, ConstVectorRef<T>, ConstMatrixRef<T>, T, MatrixRef<T>); \
  template void rbm_visible_probs<T>(ConstMatrixRef<T>, ConstVectorRef<T>, ConstMatrixRef<T>, T,              \
                                     MatrixRef<T>);                                                           \
  template void sample_bernoulli<T>(MatrixRef<T>, std::uint64_t, std::uint64_t);                               \
  template void rbm_sample_hidden<T>(ConstMatrixRef<T>, ConstVectorRef<T>, ConstMatrixRef<T>, T,              \
                                     std::uint64_t, MatrixRef<T>);                                            \
  template void rbm_sample_visible<T>(ConstMatrixRef<T>, ConstVectorRef<T>, ConstMatrixRef<T>, T,             \
                                      std::uint64_t, MatrixRef<T>);                                           \
  template void rbm_free_energy<T>(ConstMatrixRef<T>, ConstVectorRef<T>, ConstVectorRef<T>, ConstMatrixRef<T>, \
                                   VectorRef<T>);                                                             \
  template void rbm_gibbs<T>(ConstMatrixRef<T>, ConstVectorRef<T>, ConstVectorRef<T>, MatrixRef<T>,           \
                             MatrixRef<T>, int, T, T, std::uint64_t);                                         \
  template void rbm_train_epoch<T>(MatrixRef<T>, VectorRef<T>, VectorRef<T>, ConstMatrixRef<T>, MatrixRef<T>, \
                                   ConstVectorRef<T>, VectorRef<T>, const RbmTrainOptions<T>&);

CONDGEN_INSTANTIATE_RBM(float)
CONDGEN_INSTANTIATE_RBM(double)
#undef CONDGEN_INSTANTIATE_RBM

}  // namespace condgen
