#include "condgen/ais_pair.hpp"

#include <cmath>
#include <stdexcept>

#include "condgen/ais.hpp"
#include "condgen/parallel.hpp"
#include "condgen/rng.hpp"

namespace condgen {

namespace {

/// Parameters of one of the two RBMs, copied into buffers of our own: the vectorised arithmetic on
/// them then never depends on the alignment of the caller's arrays (a scalar head with fused
/// multiply-adds could differ in the last bit from the packet path).
struct OwnParameters {
  explicit OwnParameters(const TypedRbm<double>& rbm) : W(rbm.W), b(rbm.b), c(rbm.c), sigma(rbm.sigma) {}
  RowMatrix<double> W;
  Vector<double> b, c, sigma;
};

/// The mixed RBM of the path (see ais_pair.hpp) over parameter buffers of its own.
class MixedRbm {
 public:
  MixedRbm(const TypedRbm<double>& rbm1, const TypedRbm<double>& rbm2)
      : r1_(rbm1),
        r2_(rbm2),
        W_(rbm1.nv(), rbm1.nh() + rbm2.nh()),
        b_(rbm1.nv()),
        c_(rbm1.nh() + rbm2.nh()),
        sigma_(rbm1.sigma.size()),
        scale1_(rbm1.nv()),
        scale2_(rbm1.nv()),
        model_{rbm1.visible,
               rbm1.hidden,
               {W_.data(), W_.rows(), W_.cols()},
               {b_.data(), b_.size()},
               {c_.data(), c_.size()},
               {sigma_.data(), sigma_.size()},
               rbm1.groups} {}
  MixedRbm(const MixedRbm&) = delete;
  MixedRbm& operator=(const MixedRbm&) = delete;

  const TypedRbm<double>& at(double beta) {
    const Index nh1 = r1_.c.size(), nh2 = r2_.c.size();
    const bool gaussian_hidden = model_.hidden == HiddenUnits::kGaussian;
    const double a1 = gaussian_hidden ? std::sqrt(1.0 - beta) : 1.0 - beta;
    const double a2 = gaussian_hidden ? std::sqrt(beta) : beta;
    if (model_.gaussian_visible()) {
      const bool squared = model_.visible == VisibleUnits::kGaussian2;
      for (Index i = 0; i < b_.size(); ++i) {
        const double p1 = (1.0 - beta) / (r1_.sigma[i] * r1_.sigma[i]);
        const double p2 = beta / (r2_.sigma[i] * r2_.sigma[i]);
        const double variance = 1.0 / (p1 + p2);
        sigma_[i] = std::sqrt(variance);
        b_[i] = variance * (p1 * r1_.b[i] + p2 * r2_.b[i]);
        scale1_[i] = a1 * (squared ? variance / (r1_.sigma[i] * r1_.sigma[i]) : sigma_[i] / r1_.sigma[i]);
        scale2_[i] = a2 * (squared ? variance / (r2_.sigma[i] * r2_.sigma[i]) : sigma_[i] / r2_.sigma[i]);
      }
    } else {
      b_ = (1.0 - beta) * r1_.b + beta * r2_.b;
      scale1_.setConstant(a1);
      scale2_.setConstant(a2);
    }
    W_.leftCols(nh1) = r1_.W.array().colwise() * scale1_.array();
    W_.rightCols(nh2) = r2_.W.array().colwise() * scale2_.array();
    c_.head(nh1) = a1 * r1_.c;
    c_.tail(nh2) = a2 * r2_.c;
    return model_;
  }

 private:
  OwnParameters r1_, r2_;
  RowMatrix<double> W_;
  Vector<double> b_, c_, sigma_, scale1_, scale2_;
  TypedRbm<double> model_;
};

/// Random hidden states of the start: fair bits, or N(0, 1) for Gaussian hidden units.
void random_hidden(HiddenUnits hidden, RowMatrix<double>& h, RandomStream& rng) {
  for (Index r = 0; r < h.rows(); ++r) {
    for (Index j = 0; j < h.cols(); ++j) {
      h(r, j) = hidden == HiddenUnits::kGaussian ? rng.normal() : rng.bernoulli(0.5);
    }
  }
}

/// One Gibbs step h | v, v | h of `rbm` on the rows of v (h is scratch).
void gibbs_step(const TypedRbm<double>& rbm, RowMatrix<double>& v, RowMatrix<double>& h, RandomStream& rng) {
  typed_hidden_potential_block<double>(rbm, v, 1.0, h);
  typed_sample_hidden_block<double>(rbm, h, rng);
  typed_visible_potential_block<double>(rbm, h, 1.0, v);
  typed_sample_visible_block<double>(rbm, v, rng);
}

void check_pair(const TypedRbm<double>& rbm1, const TypedRbm<double>& rbm2) {
  rbm1.check();
  rbm2.check();
  if (rbm1.visible != rbm2.visible || rbm1.hidden != rbm2.hidden) {
    throw std::invalid_argument("AIS between RBMs: the two RBMs have different unit types");
  }
  if (rbm1.nv() != rbm2.nv() || rbm1.groups != rbm2.groups) {
    throw std::invalid_argument("AIS between RBMs: the two RBMs have different visible layers");
  }
}

}  // namespace

RowMatrix<double> typed_ais_pair_init(const TypedRbm<double>& rbm, Index n_particles, int burn_in,
                                      std::uint64_t seed) {
  rbm.check();
  if (n_particles < 1 || burn_in < 0) throw std::invalid_argument("n_particles must be positive, burn_in >= 0");
  RowMatrix<double> V(n_particles, rbm.nv());
  for_each_chunk(n_particles, kAisChunkRows, [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, kStreamAisInit, static_cast<std::uint64_t>(chunk));
    OwnParameters own(rbm);
    const TypedRbm<double> model{rbm.visible, rbm.hidden, {own.W.data(), own.W.rows(), own.W.cols()},
                                 {own.b.data(), own.b.size()}, {own.c.data(), own.c.size()},
                                 {own.sigma.data(), own.sigma.size()}, rbm.groups};
    RowMatrix<double> v(end - begin, rbm.nv()), h(end - begin, rbm.nh());
    random_hidden(rbm.hidden, h, rng);
    typed_visible_potential_block<double>(model, h, 1.0, v);
    typed_sample_visible_block<double>(model, v, rng);
    for (int step = 0; step < burn_in; ++step) gibbs_step(model, v, h, rng);
    V.middleRows(begin, end - begin) = v;
  });
  return V;
}

void typed_ais_pair(const TypedRbm<double>& rbm1, const TypedRbm<double>& rbm2, ConstVectorRef<double> betas,
                    std::int64_t first_step, int burn_in, MatrixRef<double> V, VectorRef<double> log_weights,
                    std::uint64_t seed) {
  check_pair(rbm1, rbm2);
  if (V.cols() != rbm1.nv() || V.rows() != log_weights.size()) {
    throw std::invalid_argument("AIS between RBMs: particles and log weights do not match the visible layer");
  }
  if (burn_in < 0) throw std::invalid_argument("burn_in must be >= 0");
  const Index n_chunks = chunk_count(V.rows(), kAisChunkRows);
  for_each_chunk(V.rows(), kAisChunkRows, [&](Index chunk, Index begin, Index end) {
    const Index m = end - begin;
    // copies of our own: bits independent of the alignment of the caller's arrays
    RowMatrix<double> v = V.middleRows(begin, m), h(m, rbm1.nh() + rbm2.nh());
    Vector<double> logw = log_weights.segment(begin, m), free_energy(m);
    MixedRbm mixed(rbm1, rbm2);
    for (Index i = 1; i < betas.size(); ++i) {
      typed_free_energy_block<double>(mixed.at(betas[i - 1]), v, free_energy);
      logw += free_energy;
      const TypedRbm<double>& model = mixed.at(betas[i]);
      typed_free_energy_block<double>(model, v, free_energy);
      logw -= free_energy;
      if (burn_in == 0) continue;
      const auto step = static_cast<std::uint64_t>(first_step + i - 1);
      RandomStream rng(seed, kStreamAis, step * static_cast<std::uint64_t>(n_chunks) + static_cast<std::uint64_t>(chunk));
      for (int sweep = 0; sweep < burn_in; ++sweep) gibbs_step(model, v, h, rng);
    }
    V.middleRows(begin, m) = v;
    log_weights.segment(begin, m) = logw;
  });
}

}  // namespace condgen
