// GCC 12 reports -Wmaybe-uninitialized inside Eigen's inlined AVX-512 packet code (a false
// positive of its intrinsics headers); silence it here rather than for the whole project.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "condgen/cgan.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "condgen/normal.hpp"
#include "condgen/parallel.hpp"
#include "condgen/rng.hpp"

namespace condgen {

namespace {

// ------------------------------------------------------------------------------------------------
// Activations, in place on a block of pre-activations, and their derivatives expressed through
// the activations themselves (so the pre-activations need not be kept).

template <class T>
using FlatArray = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

/// The first `rows` rows of a row-major matrix as one flat array (they are contiguous).
template <class T>
FlatArray<T> flat(RowMatrix<T>& m, Index rows) {
  return FlatArray<T>(m.data(), rows * m.cols());
}

template <class T>
void activate(Activation act, FlatArray<T> a) {
  switch (act) {
    case Activation::identity:
      return;
    case Activation::leaky_relu:
      a = a.max(T(kLeakyReluSlope) * a);
      return;
    case Activation::relu:
      a = a.max(T(0));
      return;
    case Activation::sigmoid:
      a = a.logistic();
      return;
    case Activation::tanh:
      a = a.tanh();
      return;
  }
}

/// d <- d * act'(z), given a = act(z). For the (leaky) ReLU, a > 0 exactly when z > 0.
template <class T>
void activation_backward(Activation act, FlatArray<T> a, FlatArray<T> d) {
  switch (act) {
    case Activation::identity:
      return;
    case Activation::leaky_relu:
      d = (a > T(0)).select(d, T(kLeakyReluSlope) * d);
      return;
    case Activation::relu:
      d = (a > T(0)).select(d, T(0) * d);
      return;
    case Activation::sigmoid:
      d *= a * (T(1) - a);
      return;
    case Activation::tanh:
      d *= T(1) - a.square();
      return;
  }
}

/// log(1 + exp(x)) = -log(sigmoid(-x)) without overflow, and sigmoid(x), from one exponential.
inline double softplus_and_sigmoid(double x, double& sigmoid) {
  const double e = std::exp(-std::abs(x));
  sigmoid = (x >= 0.0 ? 1.0 : e) / (1.0 + e);
  return std::max(x, 0.0) + std::log1p(e);
}

template <class T>
DenseNetwork<T> zeros_like(const DenseNetwork<T>& net) {
  DenseNetwork<T> out = net;
  for (auto& w : out.weights) w.setZero();
  for (auto& b : out.biases) b.setZero();
  return out;
}

/// The first `rows` rows of out <- act(in W + b); in has `rows` rows. The product is added to
/// the broadcast bias, which saves Eigen's zeroing of the destination.
template <class T, class In>
void forward_layer(const DenseNetwork<T>& net, Index layer, const In& in, RowMatrix<T>& out, Index rows,
                   bool apply_activation) {
  auto block = out.topRows(rows);
  block.rowwise() = net.biases[layer].transpose();
  block.noalias() += in * net.weights[layer];
  if (apply_activation) activate<T>(net.activations[layer], flat(out, rows));
}

// ------------------------------------------------------------------------------------------------
// Small products on padded row-major layouts. The matrices here are tens of rows and columns, where
// Eigen's GEMM spends much of its time packing operands and on partial packets. These kernels keep
// a tile of R rows x NP packets of the result in registers, broadcast one left-hand element and
// load NP right-hand packets per inner step, and need no packing: the right-hand rows are padded
// to whole packets. Every result element is init + its terms k = 0, 1, ... added with one FMA
// each, so the bits do not depend on the tiling, the alignment or the build's packet path.

namespace ei = Eigen::internal;
// 256-bit packets even where AVX-512 is there: on AMD Zen 4 a 512-bit FMA issues at half the
// rate of a 256-bit one, so both have the same peak, and 8 float lanes waste less on padding for
// these widths (20 -> 24 and 50 -> 56 rather than 32 and 64).
template <class T>
using Packet = typename ei::find_best_packet<T, 32 / sizeof(T)>::type;
template <class T>
constexpr Index kLanes = ei::unpacket_traits<Packet<T>>::size;

/// n rounded up to whole packets.
template <class T>
Index padded(Index n) {
  return (n + kLanes<T> - 1) / kLanes<T> * kLanes<T>;
}

template <class T, int R, int NP>
inline void gemm_tile(const T* lhs, Index rs, Index cs, Index depth, const T* rhs, Index ldr, const T* init, T* out,
                      Index ldo) {
  using P = Packet<T>;
  constexpr Index L = kLanes<T>;
  P acc[R][NP];
  for (int p = 0; p < NP; ++p) {
    const P start = init ? ei::ploadu<P>(init + p * L) : ei::pset1<P>(T(0));
    for (int r = 0; r < R; ++r) acc[r][p] = start;
  }
  for (Index k = 0; k < depth; ++k) {
    P b[NP];
    for (int p = 0; p < NP; ++p) b[p] = ei::ploadu<P>(rhs + k * ldr + p * L);
#if defined(__GNUC__) && defined(__AVX__)
    // Keep the right-hand packets in registers: GCC would fold their loads into every row's FMA,
    // and then the loads, not the FMAs, limit the loop.
    for (int p = 0; p < NP; ++p) __asm__("" : "+v"(b[p]));
#endif
    for (int r = 0; r < R; ++r) {
      const P a = ei::pset1<P>(lhs[r * rs + k * cs]);
      for (int p = 0; p < NP; ++p) acc[r][p] = ei::pmadd(a, b[p], acc[r][p]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int p = 0; p < NP; ++p) ei::pstoreu(out + r * ldo + p * L, acc[r][p]);
  }
}

template <class T, int NP>
void gemm_panel(const T* lhs, Index rs, Index cs, Index rows, Index depth, const T* rhs, Index ldr, const T* init,
                T* out, Index ldo) {
  Index i = 0;
  for (; i + 4 <= rows; i += 4) gemm_tile<T, 4, NP>(lhs + i * rs, rs, cs, depth, rhs, ldr, init, out + i * ldo, ldo);
  for (; i < rows; ++i) gemm_tile<T, 1, NP>(lhs + i * rs, rs, cs, depth, rhs, ldr, init, out + i * ldo, ldo);
}

/// out(rows x cols) = 1 init^T + A rhs, where A(i, k) = lhs[i rs + k cs] (rs, cs select A or a
/// transpose), rhs is (depth x cols) row-major with leading dimension ldr, cols is a whole number
/// of packets, and init (cols entries, a bias) may be null for zero.
template <class T>
void small_gemm(const T* lhs, Index rs, Index cs, Index rows, Index depth, const T* rhs, Index ldr, Index cols,
                const T* init, T* out, Index ldo) {
  constexpr Index L = kLanes<T>;
  for (Index j = 0; j < cols;) {
    const T* r = rhs + j;
    const T* b = init ? init + j : nullptr;
    T* o = out + j;
    switch (std::min<Index>(4, (cols - j) / L)) {
      case 4: gemm_panel<T, 4>(lhs, rs, cs, rows, depth, r, ldr, b, o, ldo); j += 4 * L; break;
      case 3: gemm_panel<T, 3>(lhs, rs, cs, rows, depth, r, ldr, b, o, ldo); j += 3 * L; break;
      case 2: gemm_panel<T, 2>(lhs, rs, cs, rows, depth, r, ldr, b, o, ldo); j += 2 * L; break;
      default: gemm_panel<T, 1>(lhs, rs, cs, rows, depth, r, ldr, b, o, ldo); j += L; break;
    }
  }
}

/// First `rows` rows of out = act(in W + b) for a padded layer (W: n_in x padded n_out).
template <class T>
void padded_forward(const DenseNetwork<T>& net, Index layer, const RowMatrix<T>& in, RowMatrix<T>& out, Index rows,
                    bool apply_activation) {
  const RowMatrix<T>& w = net.weights[layer];
  small_gemm<T>(in.data(), in.cols(), 1, rows, w.rows(), w.data(), w.cols(), w.cols(), net.biases[layer].data(),
                out.data(), out.cols());
  if (apply_activation) activate<T>(net.activations[layer], flat(out, rows));
}

/// Weight and bias gradients of a padded layer from its input a and output delta d (first rows).
template <class T>
void padded_gradients(const RowMatrix<T>& a, const RowMatrix<T>& d, Index rows, RowMatrix<T>& grad_w,
                      Vector<T>& grad_b) {
  small_gemm<T>(a.data(), 1, a.cols(), grad_w.rows(), rows, d.data(), d.cols(), d.cols(), nullptr, grad_w.data(),
                grad_w.cols());
  using P = Packet<T>;
  for (Index j = 0; j < d.cols(); j += kLanes<T>) {
    P sum = ei::pset1<P>(T(0));
    for (Index i = 0; i < rows; ++i) sum = ei::padd(sum, ei::ploadu<P>(d.data() + i * d.cols() + j));
    ei::pstoreu(grad_b.data() + j, sum);
  }
}

/// First rows of out = d W^T through the transposed weights (n_out x padded n_in); cols of out.
template <class T>
void padded_backward(const RowMatrix<T>& d, const RowMatrix<T>& transposed, Index rows, Index cols,
                     RowMatrix<T>& out) {
  small_gemm<T>(d.data(), d.cols(), 1, rows, transposed.rows(), transposed.data(), transposed.cols(), cols, nullptr,
                out.data(), out.cols());
}

}  // namespace

template <class T>
void DenseNetwork<T>::check(const char* name) const {
  const std::string who(name);
  if (weights.empty()) throw std::invalid_argument(who + " has no layers");
  if (biases.size() != weights.size() || activations.size() != weights.size()) {
    throw std::invalid_argument(who + ": weights, biases and activations differ in number");
  }
  for (std::size_t l = 0; l < weights.size(); ++l) {
    if (weights[l].rows() < 1 || weights[l].cols() < 1) {
      throw std::invalid_argument(who + ": layer " + std::to_string(l) + " is empty");
    }
    if (biases[l].size() != weights[l].cols()) {
      throw std::invalid_argument(who + ": bias " + std::to_string(l) + " does not match its weights");
    }
    if (l > 0 && weights[l].rows() != weights[l - 1].cols()) {
      throw std::invalid_argument(who + ": layer " + std::to_string(l) + " does not take layer " +
                                  std::to_string(l - 1) + "'s output");
    }
  }
}

namespace {

/// net with its weight rows and biases padded with zeros to whole packets.
template <class T>
DenseNetwork<T> padded_network(const DenseNetwork<T>& net) {
  DenseNetwork<T> out;
  out.activations = net.activations;
  for (Index l = 0; l < net.n_layers(); ++l) {
    const Index cols = net.weights[l].cols();
    out.weights.push_back(RowMatrix<T>::Zero(net.weights[l].rows(), padded<T>(cols)));
    out.weights.back().leftCols(cols) = net.weights[l];
    out.biases.push_back(Vector<T>::Zero(padded<T>(cols)));
    out.biases.back().head(cols) = net.biases[l];
  }
  return out;
}

template <class T>
std::vector<Index> layer_widths(const DenseNetwork<T>& net) {
  std::vector<Index> widths;
  for (const auto& w : net.weights) widths.push_back(w.cols());
  return widths;
}

}  // namespace

template <class T>
DenseNetwork<T> CganTrainer<T>::unpadded(const DenseNetwork<T>& net, const std::vector<Index>& widths) {
  DenseNetwork<T> out;
  out.activations = net.activations;
  for (Index l = 0; l < net.n_layers(); ++l) {
    out.weights.push_back(net.weights[l].leftCols(widths[l]));
    out.biases.push_back(net.biases[l].head(widths[l]));
  }
  return out;
}

template <class T>
CganTrainer<T>::CganTrainer(DenseNetwork<T> generator, DenseNetwork<T> discriminator, Index n_noise,
                            CganOptions options, std::uint64_t seed, Index max_batch)
    : n_noise_(n_noise), max_batch_(max_batch), options_(options), seed_(seed) {
  generator.check("generator");
  discriminator.check("discriminator");
  n_x_ = generator.n_outputs();
  n_y_ = generator.n_inputs() - n_noise_;
  if (n_noise_ < 1 || n_y_ < 1) throw std::invalid_argument("generator input must be [noise, condition]");
  if (discriminator.n_inputs() != n_x_ + n_y_ || discriminator.n_outputs() != 1) {
    throw std::invalid_argument("discriminator must map [x, y] to one unit");
  }
  if (generator.activations.back() != Activation::sigmoid || discriminator.activations.back() != Activation::sigmoid) {
    throw std::invalid_argument("both networks must end in a sigmoid layer");
  }
  if (max_batch_ < 1) throw std::invalid_argument("max_batch must be at least 1");
  gen_widths_ = layer_widths(generator);
  disc_widths_ = layer_widths(discriminator);
  gen_ = padded_network(generator);
  disc_ = padded_network(discriminator);
  gen_grad_ = zeros_like(gen_);
  gen_m_ = zeros_like(gen_);
  gen_v_ = zeros_like(gen_);
  disc_grad_ = zeros_like(disc_);
  disc_m_ = zeros_like(disc_);
  disc_v_ = zeros_like(disc_);
  ema_ = gen_;
  transpose_weights(gen_, gen_widths_, 1, gen_t_);
  transpose_weights(disc_, disc_widths_, 0, disc_t_);

  noise_.resize(max_batch_, noise_columns());
  normals_.resize(static_cast<std::size_t>(max_batch_ * (n_noise_ + noise_columns())));
  words_.resize(2 * normals_.size());
  // Deltas start at zero: their padding columns must stay zero (see the backward passes).
  gen_act_.resize(gen_.n_layers() + 1);
  gen_delta_.resize(gen_.n_layers() + 1);
  gen_act_[0] = RowMatrix<T>::Zero(max_batch_, padded<T>(generator.n_inputs()));
  for (Index l = 0; l < gen_.n_layers(); ++l) {
    gen_act_[l + 1] = RowMatrix<T>::Zero(max_batch_, gen_.weights[l].cols());
    gen_delta_[l + 1] = RowMatrix<T>::Zero(max_batch_, gen_.weights[l].cols());
  }
  // Real and fake rows go through the discriminator in one product: 2 * max_batch rows.
  disc_act_.resize(disc_.n_layers() + 1);
  disc_delta_.resize(disc_.n_layers() + 1);
  disc_act_[0] = RowMatrix<T>::Zero(2 * max_batch_, padded<T>(discriminator.n_inputs()));
  for (Index l = 0; l < disc_.n_layers(); ++l) {
    disc_act_[l + 1] = RowMatrix<T>::Zero(2 * max_batch_, disc_.weights[l].cols());
    disc_delta_[l + 1] = RowMatrix<T>::Zero(2 * max_batch_, disc_.weights[l].cols());
  }
}

template <class T>
void CganTrainer<T>::transpose_weights(const DenseNetwork<T>& net, const std::vector<Index>& widths, Index first,
                                       std::vector<RowMatrix<T>>& transposed) {
  transposed.resize(net.weights.size());
  for (Index l = first; l < net.n_layers(); ++l) {
    const Index n_in = net.weights[l].rows();
    if (transposed[l].size() == 0) transposed[l] = RowMatrix<T>::Zero(widths[l], padded<T>(n_in));
    transposed[l].leftCols(n_in) = net.weights[l].leftCols(widths[l]).transpose();
  }
}

template <class T>
Index CganTrainer<T>::noise_columns() const {
  return options_.noise_on_condition ? n_x_ + n_y_ : n_x_;
}

template <class T>
void CganTrainer<T>::load_batch(ConstMatrixRef<T> x, ConstMatrixRef<T> y, const std::int64_t* rows, Index n) {
  auto& disc_in = disc_act_[0];
  auto& gen_in = gen_act_[0];
  for (Index i = 0; i < n; ++i) {
    const Index r = rows ? static_cast<Index>(rows[i]) : i;
    disc_in.row(i).head(n_x_) = x.row(r);
    disc_in.row(i).segment(n_x_, n_y_) = y.row(r);
    gen_in.row(i).segment(n_noise_, n_y_) = y.row(r);
  }
}

template <class T>
void CganTrainer<T>::draw_noise(Index n) {
  // One stream per step: the noise depends on the seed and the step only.
  RandomStream rng(seed_, kStreamCgan, static_cast<std::uint64_t>(steps_));
  const Index n_z = n * n_noise_, n_total = n_z + n * noise_.cols();
  fill_normals(rng, normals_.data(), n_total, words_.data());
  auto& gen_in = gen_act_[0];
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < n_noise_; ++j) gen_in(i, j) = static_cast<T>(normals_[i * n_noise_ + j]);
  }
  const T sd = static_cast<T>(options_.noise_sd);
  flat(noise_, n) = sd * Eigen::Map<const Eigen::ArrayXf>(normals_.data() + n_z, n_total - n_z).template cast<T>();
}

template <class T>
void CganTrainer<T>::generator_forward(Index n) {
  for (Index l = 0; l < gen_.n_layers(); ++l) padded_forward(gen_, l, gen_act_[l], gen_act_[l + 1], n, true);
}

// In the backward passes the padding columns of every delta stay zero (the transposed weights are
// zero there), so the padding of the gradients, Adam moments and weights stays zero too.

template <class T>
double CganTrainer<T>::discriminator_step_gradients(Index n) {
  // Rows [0, n): real [x, y]; rows [n, 2n): fake [G(z, y), y]; the same noise on both halves.
  auto& in = disc_act_[0];
  const Index n_layers = gen_.n_layers();
  in.middleRows(n, n).leftCols(n_x_) = gen_act_[n_layers].topRows(n).leftCols(n_x_);
  in.middleRows(n, n).middleCols(n_x_, n_y_) = in.topRows(n).middleCols(n_x_, n_y_);
  const Index cols = noise_.cols();
  in.topRows(n).leftCols(cols) += noise_.topRows(n);
  in.middleRows(n, n).leftCols(cols) += noise_.topRows(n);

  const Index m = 2 * n;
  const Index last = disc_.n_layers() - 1;
  for (Index l = 0; l <= last; ++l) padded_forward(disc_, l, disc_act_[l], disc_act_[l + 1], m, l < last);
  // L = 0.5 (mean softplus(-logit_real) + mean softplus(logit_fake)) = the seed's
  // -0.5 (mean log D(real) + mean log(1 - D(fake))) without its eps.
  const auto& logits = disc_act_[last + 1];
  auto& delta = disc_delta_[last + 1];
  double loss = 0.0;
  const double scale = 0.5 / static_cast<double>(n);
  for (Index i = 0; i < n; ++i) {
    // d/dr softplus(-r) = -sigmoid(-r); d/df softplus(f) = sigmoid(f).
    double sigmoid_minus_real, sigmoid_fake;
    loss += softplus_and_sigmoid(-static_cast<double>(logits(i, 0)), sigmoid_minus_real) +
            softplus_and_sigmoid(logits(n + i, 0), sigmoid_fake);
    delta(i, 0) = static_cast<T>(-scale * sigmoid_minus_real);
    delta(n + i, 0) = static_cast<T>(scale * sigmoid_fake);
  }
  for (Index l = last; l >= 0; --l) {
    padded_gradients(disc_act_[l], disc_delta_[l + 1], m, disc_grad_.weights[l], disc_grad_.biases[l]);
    if (l > 0) {
      padded_backward(disc_delta_[l + 1], disc_t_[l], m, disc_delta_[l].cols(), disc_delta_[l]);
      activation_backward<T>(disc_.activations[l - 1], flat(disc_act_[l], m), flat(disc_delta_[l], m));
    }
  }
  return loss * scale;
}

template <class T>
double CganTrainer<T>::generator_step_gradients(Index n) {
  // The discriminator (as it is now) sees [G(z, y), y] without noise; only the gradient w.r.t.
  // its input's data columns is needed, not its weight gradients.
  auto& in = disc_act_[0];
  const Index gen_last = gen_.n_layers() - 1;
  in.topRows(n).leftCols(n_x_) = gen_act_[gen_last + 1].topRows(n).leftCols(n_x_);
  in.topRows(n).middleCols(n_x_, n_y_) = gen_act_[0].topRows(n).middleCols(n_noise_, n_y_);
  const Index last = disc_.n_layers() - 1;
  for (Index l = 0; l <= last; ++l) padded_forward(disc_, l, disc_act_[l], disc_act_[l + 1], n, l < last);
  // L = mean softplus(-logit) = -mean log D([G, y]).
  const auto& logits = disc_act_[last + 1];
  auto& delta = disc_delta_[last + 1];
  double loss = 0.0;
  const double scale = 1.0 / static_cast<double>(n);
  for (Index i = 0; i < n; ++i) {
    double sigmoid_minus;
    loss += softplus_and_sigmoid(-static_cast<double>(logits(i, 0)), sigmoid_minus);
    delta(i, 0) = static_cast<T>(-scale * sigmoid_minus);
  }
  for (Index l = last; l >= 1; --l) {
    padded_backward(disc_delta_[l + 1], disc_t_[l], n, disc_delta_[l].cols(), disc_delta_[l]);
    activation_backward<T>(disc_.activations[l - 1], flat(disc_act_[l], n), flat(disc_delta_[l], n));
  }
  // Only the data columns of the discriminator's input: the packets holding them, then the
  // condition columns that share the last packet are cleared.
  auto& out_delta = gen_delta_[gen_last + 1];
  padded_backward(disc_delta_[1], disc_t_[0], n, out_delta.cols(), out_delta);
  out_delta.topRows(n).rightCols(out_delta.cols() - n_x_).setZero();

  for (Index l = gen_last; l >= 0; --l) {
    activation_backward<T>(gen_.activations[l], flat(gen_act_[l + 1], n), flat(gen_delta_[l + 1], n));
    padded_gradients(gen_act_[l], gen_delta_[l + 1], n, gen_grad_.weights[l], gen_grad_.biases[l]);
    if (l > 0) padded_backward(gen_delta_[l + 1], gen_t_[l], n, gen_delta_[l].cols(), gen_delta_[l]);
  }
  return loss * scale;
}

namespace {

/// One Adam step on `size` parameters (a whole number of packets) in one pass, and the moving
/// average ema <- decay ema + (1 - decay) param when ema is not null.
template <class T>
void adam_pass(T* param, const T* grad, T* mom, T* var, T* ema, Index size, const T (&c)[8]) {
  using P = Packet<T>;
  const P b1 = ei::pset1<P>(c[0]), one_b1 = ei::pset1<P>(c[1]), b2 = ei::pset1<P>(c[2]),
          one_b2 = ei::pset1<P>(c[3]), step = ei::pset1<P>(c[4]), inv_bc2 = ei::pset1<P>(c[5]),
          eps = ei::pset1<P>(c[6]), decay = ei::pset1<P>(c[7]), one_decay = ei::pset1<P>(T(1) - c[7]);
  for (Index i = 0; i < size; i += kLanes<T>) {
    const P g = ei::ploadu<P>(grad + i);
    const P m = ei::padd(ei::pmul(b1, ei::ploadu<P>(mom + i)), ei::pmul(one_b1, g));
    const P v = ei::padd(ei::pmul(b2, ei::ploadu<P>(var + i)), ei::pmul(one_b2, ei::pmul(g, g)));
    const P p = ei::psub(ei::ploadu<P>(param + i),
                         ei::pdiv(ei::pmul(step, m), ei::padd(ei::psqrt(ei::pmul(v, inv_bc2)), eps)));
    ei::pstoreu(mom + i, m);
    ei::pstoreu(var + i, v);
    ei::pstoreu(param + i, p);
    if (ema) ei::pstoreu(ema + i, ei::padd(ei::pmul(decay, ei::ploadu<P>(ema + i)), ei::pmul(one_decay, p)));
  }
}

}  // namespace

template <class T>
void CganTrainer<T>::adam_update(DenseNetwork<T>& net, const DenseNetwork<T>& grad, DenseNetwork<T>& m,
                                 DenseNetwork<T>& v, DenseNetwork<T>* ema) {
  // theta -= lr * m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t).
  const double t = static_cast<double>(steps_ + 1);
  const T c[8] = {static_cast<T>(options_.beta1),
                  T(1) - static_cast<T>(options_.beta1),
                  static_cast<T>(options_.beta2),
                  T(1) - static_cast<T>(options_.beta2),
                  static_cast<T>(options_.learning_rate / (1.0 - std::pow(options_.beta1, t))),
                  static_cast<T>(1.0 / (1.0 - std::pow(options_.beta2, t))),
                  static_cast<T>(options_.adam_eps),
                  static_cast<T>(options_.ema_decay)};
  for (Index l = 0; l < net.n_layers(); ++l) {
    adam_pass(net.weights[l].data(), grad.weights[l].data(), m.weights[l].data(), v.weights[l].data(),
              ema ? ema->weights[l].data() : nullptr, net.weights[l].size(), c);
    adam_pass(net.biases[l].data(), grad.biases[l].data(), m.biases[l].data(), v.biases[l].data(),
              ema ? ema->biases[l].data() : nullptr, net.biases[l].size(), c);
  }
}

template <class T>
CganEpochLosses CganTrainer<T>::run_epoch(
    ConstMatrixRef<T> x, ConstMatrixRef<T> y,
    const Eigen::Ref<const Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>>& order, Index batch_size) {
  if (x.rows() != y.rows() || x.cols() != n_x_ || y.cols() != n_y_) {
    throw std::invalid_argument("x and y do not match the networks");
  }
  if (batch_size < 1 || batch_size > max_batch_) throw std::invalid_argument("batch_size out of range");
  for (Index i = 0; i < order.size(); ++i) {
    if (order[i] < 0 || order[i] >= x.rows()) throw std::invalid_argument("order has a row out of range");
  }
  CganEpochLosses out;
  Index n_batches = 0;
  for (Index begin = 0; begin < order.size(); begin += batch_size, ++n_batches) {
    const Index n = std::min(batch_size, order.size() - begin);
    load_batch(x, y, order.data() + begin, n);
    draw_noise(n);
    generator_forward(n);
    const double disc_loss = discriminator_step_gradients(n);
    adam_update(disc_, disc_grad_, disc_m_, disc_v_, nullptr);
    transpose_weights(disc_, disc_widths_, 0, disc_t_);
    const double gen_loss = generator_step_gradients(n);
    adam_update(gen_, gen_grad_, gen_m_, gen_v_, options_.ema_decay > 0.0 ? &ema_ : nullptr);
    transpose_weights(gen_, gen_widths_, 1, gen_t_);
    ++steps_;
    out.discriminator_seed += disc_loss / static_cast<double>(n);
    out.generator_seed += gen_loss / static_cast<double>(n);
    out.discriminator_mean += disc_loss;
    out.generator_mean += gen_loss;
  }
  if (n_batches > 0) {
    out.discriminator_mean /= static_cast<double>(n_batches);
    out.generator_mean /= static_cast<double>(n_batches);
  }
  return out;
}

template <class T>
std::pair<double, double> CganTrainer<T>::losses_and_gradients(ConstMatrixRef<T> x, ConstMatrixRef<T> y,
                                                               ConstMatrixRef<T> z, ConstMatrixRef<T> noise) {
  const Index n = x.rows();
  if (n < 1 || n > max_batch_ || y.rows() != n || z.rows() != n || noise.rows() != n) {
    throw std::invalid_argument("x, y, z and noise must have the same number of rows (1 to max_batch)");
  }
  if (x.cols() != n_x_ || y.cols() != n_y_ || z.cols() != n_noise_ || noise.cols() != noise_columns()) {
    throw std::invalid_argument("x, y, z or noise has the wrong number of columns");
  }
  load_batch(x, y, nullptr, n);
  gen_act_[0].topRows(n).leftCols(n_noise_) = z;
  noise_.topRows(n) = noise;
  generator_forward(n);
  const double disc_loss = discriminator_step_gradients(n);
  const double gen_loss = generator_step_gradients(n);
  return {disc_loss, gen_loss};
}

template <class T>
void cgan_generate(const DenseNetwork<T>& generator, ConstMatrixRef<T> y, Index n_noise, std::uint64_t seed,
                   int kind, MatrixRef<T> out) {
  generator.check("generator");
  const Index n_y = generator.n_inputs() - n_noise;
  if (n_noise < 1 || n_y != y.cols()) throw std::invalid_argument("y does not match the generator");
  if (out.rows() != y.rows() || out.cols() != generator.n_outputs()) {
    throw std::invalid_argument("out has the wrong shape");
  }
  if (kind < 0 || kind > 2) throw std::invalid_argument("kind must be 0, 1 or 2");
  for_each_chunk(y.rows(), kChunkRows, [&](Index chunk, Index begin, Index end) {
    RandomStream rng(seed, kStreamCganGenerate, static_cast<std::uint64_t>(chunk));
    const Index n = end - begin;
    std::vector<float> z(static_cast<std::size_t>(n * n_noise));
    std::vector<std::uint32_t> words(2 * z.size());
    fill_normals(rng, z.data(), n * n_noise, words.data());
    RowMatrix<T> a(n, generator.n_inputs());
    a.leftCols(n_noise) = Eigen::Map<const RowMatrix<float>>(z.data(), n, n_noise).template cast<T>();
    a.rightCols(n_y) = y.middleRows(begin, n);
    for (Index l = 0; l < generator.n_layers(); ++l) {
      RowMatrix<T> next(n, generator.weights[l].cols());
      forward_layer(generator, l, a, next, n, true);
      a.swap(next);
    }
    auto block = out.middleRows(begin, n);
    if (kind == 0) {
      block = (a.array() > T(0.5)).template cast<T>().matrix();  // round(), ties (0.5) to even: 0
    } else if (kind == 1) {
      block = a;
    } else {
      for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j < a.cols(); ++j) block(i, j) = rng.bernoulli<T>(a(i, j));
      }
    }
  });
}

template struct DenseNetwork<float>;
template struct DenseNetwork<double>;
template class CganTrainer<float>;
template class CganTrainer<double>;
template void cgan_generate<float>(const DenseNetwork<float>&, ConstMatrixRef<float>, Index, std::uint64_t, int,
                                   MatrixRef<float>);
template void cgan_generate<double>(const DenseNetwork<double>&, ConstMatrixRef<double>, Index, std::uint64_t,
                                    int, MatrixRef<double>);

}  // namespace condgen
