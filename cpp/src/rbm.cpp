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

/// Output columns per task of the blocked products of the training epoch. Fixed, so the bits of
/// a product never depend on how many threads share the blocks.
constexpr Index kBlockCols = 128;
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

/// Buffers and streams of one epoch of training: allocated once, reused by every minibatch.
template <class T>
class EpochTrainer {
 public:
  EpochTrainer(MatrixRef<T> W, VectorRef<T> b, VectorRef<T> c, ConstMatrixRef<T> X, MatrixRef<T> chain,
               ConstVectorRef<T> mu_v, VectorRef<T> mu_h, const RbmTrainOptions<T>& opt)
      : W_(W), b_(b), c_(c), X_(X), chain_(chain), mu_v_(mu_v), mu_h_(mu_h), opt_(opt) {
    const Index nv = W.rows(), nh = W.cols();
    chain_rows_ = opt.pcd == PcdMode::kNone ? opt.batch_size : chain.rows();
    for (Index k = 0; k < chunk_count(chain_rows_); ++k) {
      streams_.emplace_back(opt.seed, kStreamRbmEpoch, static_cast<std::uint64_t>(1 + k));
    }
    vector_path_ = opt.batch_size == 1 && chain_rows_ == 1;
    if (vector_path_) {
      h_.resize(nh), s_.resize(nh), hm_.resize(nh), vm_.resize(nv);
      if (opt.centering) vc_.resize(nv), vmc_.resize(nv), hc_.resize(nh), hmc_.resize(nh);
    } else {
      v_pos_.resize(opt.batch_size, nv), h_pos_.resize(opt.batch_size, nh);
      s_mat_.resize(chain_rows_, nh), v_neg_.resize(chain_rows_, nv), h_neg_.resize(chain_rows_, nh);
      db_.resize(nv), dc_.resize(nh);
      if (opt.centering) t_pos_.resize(opt.batch_size), t_neg_.resize(chain_rows_);
    }
  }

  void run() {
    const Index n = X_.rows();
    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Index(0));
    RandomStream(opt_.seed, kStreamRbmEpoch, 0).shuffle(order.begin(), static_cast<std::uint64_t>(n));
    for (Index start = 0; start < n; start += opt_.batch_size) {
      const Index rows = std::min(opt_.batch_size, n - start);
      if (vector_path_) {
        update_vector(order[static_cast<std::size_t>(start)]);
      } else {
        update_batch(order.data() + start, rows);
      }
    }
  }

 private:
  using VecMap = Eigen::Map<Vector<T>>;
  using ConstVecMap = Eigen::Map<const Vector<T>>;

  void sample_vector(Vector<T>& p) {
    RandomStream& rng = streams_[0];
    for (Index j = 0; j < p.size(); ++j) p[j] = rng.bernoulli(p[j]);
  }
  // p = sigmoid(factor * (W^T v + c)) and p = sigmoid(factor * (W h + b)): matrix-vector products.
  void hidden_vector(const Vector<T>& v, Vector<T>& p) {
    p.noalias() = W_.transpose() * v;
    p.array() = (opt_.up_factor * (p + c_).array()).logistic();
  }
  void visible_vector(const Vector<T>& h, Vector<T>& p) {
    p.noalias() = W_ * h;
    p.array() = (opt_.down_factor * (p + b_).array()).logistic();
  }

  /// Batch size 1 with one chain: matrix-vector kernels and a fused rank-2 weight update.
  void update_vector(Index row) {
    const ConstVecMap v(X_.data() + row * X_.outerStride(), W_.rows());
    h_.noalias() = W_.transpose() * v;
    h_.array() = (opt_.up_factor * (h_ + c_).array()).logistic();
    VecMap chain(chain_.data(), W_.cols());
    if (opt_.pcd == PcdMode::kTieleman) {
      s_ = chain;
      for (int step = 0; step < opt_.cd_steps; ++step) {
        visible_vector(s_, vm_);
        sample_vector(vm_);
        hidden_vector(vm_, hm_);
        s_ = hm_;
        sample_vector(s_);
      }
      chain = s_;
    } else {
      if (opt_.pcd == PcdMode::kNone) {
        s_ = h_;
      } else {
        s_ = chain;
      }
      sample_vector(s_);
      for (int step = 1; step < opt_.cd_steps; ++step) {
        visible_vector(s_, vm_);
        sample_vector(vm_);
        hidden_vector(vm_, s_);
        sample_vector(s_);
      }
      visible_vector(s_, vm_);
      hidden_vector(vm_, hm_);
      if (opt_.pcd == PcdMode::kMeanField) chain = hm_;
    }
    const T lr = opt_.learning_rate;
    if (!opt_.centering) {
      for (Index i = 0; i < W_.rows(); ++i) {
        W_.row(i) += (lr * v[i]) * h_.transpose() - (lr * vm_[i]) * hm_.transpose();
      }
      b_ += lr * (v - vm_);
      c_ += lr * (h_ - hm_);
      return;
    }
    // Centered gradient (dbm-quality.md): gW = vc hc^T - vmc hmc^T, then
    // gb = v - vm - gW mu_h and gc = h - hm - gW^T mu_v, with gW never formed (it has rank 2).
    mu_h_ = (T(1) - opt_.offset_rate) * mu_h_ + opt_.offset_rate * h_;
    vc_ = v - mu_v_;
    vmc_ = vm_ - mu_v_;
    hc_ = h_ - mu_h_;
    hmc_ = hm_ - mu_h_;
    const T hc_mu = hc_.dot(mu_h_), hmc_mu = hmc_.dot(mu_h_);
    const T vc_mu = vc_.dot(mu_v_), vmc_mu = vmc_.dot(mu_v_);
    for (Index i = 0; i < W_.rows(); ++i) {
      W_.row(i) += (lr * vc_[i]) * hc_.transpose() - (lr * vmc_[i]) * hmc_.transpose();
    }
    b_ += lr * ((v - vm_) - (hc_mu * vc_ - hmc_mu * vmc_));
    c_ += lr * ((h_ - hm_) - (vc_mu * hc_ - vmc_mu * hmc_));
  }

  bool parallel_product(Index rows) const { return rows * W_.rows() * W_.cols() >= kParallelWork; }

  // out = sigmoid(factor * (in W + c)), blocked over the columns of out.
  template <class In, class Out>
  void hidden_batch(const In& in, Out& out) {
    for_each_block(out.cols(), kBlockCols, parallel_product(in.rows()), [&](Index, Index begin, Index end) {
      auto block = out.middleCols(begin, end - begin);
      block.noalias() = in * W_.middleCols(begin, end - begin);
      block.array() = (opt_.up_factor * (block.rowwise() + c_.segment(begin, end - begin).transpose()).array())
                          .logistic();
    });
  }
  // out = sigmoid(factor * (in W^T + b)), blocked over the columns of out.
  template <class In, class Out>
  void visible_batch(const In& in, Out& out) {
    for_each_block(out.cols(), kBlockCols, parallel_product(in.rows()), [&](Index, Index begin, Index end) {
      auto block = out.middleCols(begin, end - begin);
      block.noalias() = in * W_.middleRows(begin, end - begin).transpose();
      block.array() =
          (opt_.down_factor * (block.rowwise() + b_.segment(begin, end - begin).transpose()).array()).logistic();
    });
  }
  // Bernoulli draws in place; the rows of chunk k always come from stream k.
  template <class M>
  void sample_batch(M& m) {
    for_each_block(m.rows(), kChunkRows, m.rows() * m.cols() >= kParallelWork / 8,
                   [&](Index chunk, Index begin, Index end) {
                     RandomStream& rng = streams_[static_cast<std::size_t>(chunk)];
                     for (Index i = begin; i < end; ++i) {
                       for (Index j = 0; j < m.cols(); ++j) m(i, j) = rng.bernoulli(m(i, j));
                     }
                   });
  }

  void update_batch(const Index* rows_of_x, Index rows) {
    for (Index r = 0; r < rows; ++r) v_pos_.row(r) = X_.row(rows_of_x[r]);
    auto vp = v_pos_.topRows(rows);
    auto hp = h_pos_.topRows(rows);
    hidden_batch(vp, hp);

    // Negative phase on `chains` rows; the gradient uses the first `m` of them.
    Index chains = chain_rows_, m = chain_rows_;
    if (opt_.pcd == PcdMode::kNone) {
      chains = m = rows;
    } else if (opt_.pcd == PcdMode::kMeanField) {
      m = rows;  // a short last batch advances every chain but uses only the first rows (§2.3)
    }
    auto s = s_mat_.topRows(chains);
    auto vn = v_neg_.topRows(chains);
    auto hn = h_neg_.topRows(chains);
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
    gradient_step(vp, hp, v_neg_.topRows(m), h_neg_.topRows(m));
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
      // update_vector for the formulas. gW mu_h and gW^T mu_v through the batch dimension.
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
    for_each_block(W_.rows(), kChunkRows, parallel, [&](Index, Index begin, Index end) {
      auto w = W_.middleRows(begin, end - begin);
      w.noalias() += (lr * inv_pos) * (vp.middleCols(begin, end - begin).transpose() * hp);
      w.noalias() -= (lr * inv_neg) * (vn.middleCols(begin, end - begin).transpose() * hn);
    });
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
  bool vector_path_ = false;
  std::vector<RandomStream> streams_;
  Vector<T> h_, s_, hm_, vm_, vc_, vmc_, hc_, hmc_, db_, dc_, t_pos_, t_neg_;
  RowMatrix<T> v_pos_, h_pos_, s_mat_, v_neg_, h_neg_;
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
  H.array() = (factor * (H.rowwise() + c.transpose()).array()).logistic();
}

template <class T>
void rbm_visible_probs_block(ConstMatrixRef<T> W, ConstVectorRef<T> b, ConstMatrixRef<T> H, T factor,
                             MatrixRef<T> V) {
  if (H.rows() == 1) {
    V.row(0).noalias() = H.row(0) * W.transpose();
  } else {
    V.noalias() = H * W.transpose();
  }
  V.array() = (factor * (V.rowwise() + b.transpose()).array()).logistic();
}

template <class T>
void sample_bernoulli_block(MatrixRef<T> P, RandomStream& rng) {
  for (Index i = 0; i < P.rows(); ++i) {
    for (Index j = 0; j < P.cols(); ++j) P(i, j) = rng.bernoulli(P(i, j));
  }
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
  for_each_chunk(V.rows(), kChunkRows, [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, kStreamRbmSample, static_cast<std::uint64_t>(chunk));
    auto v = V.middleRows(begin, end - begin);
    auto h = H.middleRows(begin, end - begin);
    for (int step = 0; step < steps; ++step) {
      rbm_visible_probs_block<T>(W, b, h, down_factor, v);
      sample_bernoulli_block<T>(v, rng);
      rbm_hidden_probs_block<T>(W, c, v, up_factor, h);
      sample_bernoulli_block<T>(h, rng);
    }
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
  EpochTrainer<T>(W, b, c, X, chain, visible_offset, hidden_offset, options).run();
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
