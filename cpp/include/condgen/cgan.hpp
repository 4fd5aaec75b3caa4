#pragma once
// The conditional GAN of the seed example: two chains of dense layers (generator and
// discriminator) trained with manual backprop and Adam, samples in rows.
//
// A dense layer maps its input A (n x n_in) to act(A W + 1 b^T), with W of shape (n_in, n_out).
// The generator maps [z, y] (noise first, then condition) to x; the discriminator maps [x, y] to
// the probability that the row is real, through a final one-unit sigmoid layer whose logit is
// kept so that the losses are computed stably with log-sigmoid.
//
// Training runs in float32 (the seed's precision); the same templates are instantiated for
// double so that the backprop can be checked against finite differences.
#include <cstdint>
#include <vector>

#include "condgen/types.hpp"

namespace condgen {

enum class Activation : int { identity = 0, leaky_relu = 1, relu = 2, sigmoid = 3, tanh = 4 };

/// Slope of the leaky ReLU for negative inputs (NNlib's default).
constexpr double kLeakyReluSlope = 0.01;

/// A chain of dense layers: A_{l+1} = act_l(A_l W_l + b_l), W_l of shape (n_in, n_out).
template <class T>
struct DenseNetwork {
  std::vector<RowMatrix<T>> weights;
  std::vector<Vector<T>> biases;
  std::vector<Activation> activations;

  Index n_layers() const { return static_cast<Index>(weights.size()); }
  Index n_inputs() const { return weights.front().rows(); }
  Index n_outputs() const { return weights.back().cols(); }
  /// Throws std::invalid_argument unless the layers chain up (name is used in the message).
  void check(const char* name) const;
};

/// Hyperparameters of one training run.
struct CganOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double adam_eps = 1e-8;
  /// Standard deviation of the instance noise added to the discriminator's inputs in its step.
  double noise_sd = 2.0;
  /// Noise on every discriminator input (the seed) or on the data columns only.
  bool noise_on_condition = true;
  /// Decay of the exponential moving average of the generator's parameters; 0 disables it.
  double ema_decay = 0.0;
};

/// Per-epoch monitors: the seed's (sum over batches of loss / batch size) and the mean batch loss.
struct CganEpochLosses {
  double discriminator_seed = 0.0;
  double generator_seed = 0.0;
  double discriminator_mean = 0.0;
  double generator_mean = 0.0;
};

/// Training state of one CGAN fit: both networks, Adam moments, the generator's moving average
/// and every work buffer, allocated once.
template <class T>
class CganTrainer {
 public:
  /// Checks the architecture (generator: n_noise + n_y -> n_x with sigmoid output;
  /// discriminator: n_x + n_y -> 1 with sigmoid output) and allocates buffers for batches of up
  /// to max_batch rows. seed selects the random streams of the per-batch noise.
  CganTrainer(DenseNetwork<T> generator, DenseNetwork<T> discriminator, Index n_noise,
              CganOptions options, std::uint64_t seed, Index max_batch);

  /// One epoch over the rows of (x, y) in the given order, cut into consecutive batches of
  /// batch_size rows (the last one smaller): per batch one discriminator step and one
  /// generator step, each followed by an Adam update.
  CganEpochLosses run_epoch(ConstMatrixRef<T> x, ConstMatrixRef<T> y,
                            const Eigen::Ref<const Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>>& order,
                            Index batch_size);

  /// Both losses and the gradients of the discriminator's loss w.r.t. its parameters and of the
  /// generator's loss w.r.t. its parameters, at the current weights (no update in between), for
  /// the given batch, generator noise z and discriminator input noise (n x n_x + n_y, or n x n_x
  /// when the noise is on the data columns only). Gradients are read with gradients().
  std::pair<double, double> losses_and_gradients(ConstMatrixRef<T> x, ConstMatrixRef<T> y,
                                                 ConstMatrixRef<T> z, ConstMatrixRef<T> noise);

  // Copies without the internal padding.
  DenseNetwork<T> generator() const { return unpadded(gen_, gen_widths_); }
  DenseNetwork<T> discriminator() const { return unpadded(disc_, disc_widths_); }
  /// The moving average of the generator's parameters (equal to the generator when disabled).
  DenseNetwork<T> generator_average() const { return unpadded(options_.ema_decay > 0.0 ? ema_ : gen_, gen_widths_); }
  DenseNetwork<T> generator_gradient() const { return unpadded(gen_grad_, gen_widths_); }
  DenseNetwork<T> discriminator_gradient() const { return unpadded(disc_grad_, disc_widths_); }
  /// Number of (discriminator, generator) step pairs taken so far.
  std::int64_t steps() const { return steps_; }
  Index noise_columns() const;

 private:
  void load_batch(ConstMatrixRef<T> x, ConstMatrixRef<T> y, const std::int64_t* rows, Index n);
  void draw_noise(Index n);
  void generator_forward(Index n);
  double discriminator_step_gradients(Index n);
  double generator_step_gradients(Index n);
  /// Adam on every parameter of net; also updates the moving average ema unless it is null.
  void adam_update(DenseNetwork<T>& net, const DenseNetwork<T>& grad, DenseNetwork<T>& m,
                   DenseNetwork<T>& v, DenseNetwork<T>* ema);
  /// transposed[l] = net.weights[l]^T for layers from `first` on (the ones the backward pass uses).
  void transpose_weights(const DenseNetwork<T>& net, const std::vector<Index>& widths, Index first,
                         std::vector<RowMatrix<T>>& transposed);
  static DenseNetwork<T> unpadded(const DenseNetwork<T>& net, const std::vector<Index>& widths);

  // Every network below is stored with its weight rows and biases padded with zeros to whole SIMD
  // packets, so that the small products run on full packets only (widths_ holds the real widths).
  DenseNetwork<T> gen_, disc_, gen_grad_, disc_grad_, gen_m_, gen_v_, disc_m_, disc_v_, ema_;
  Index n_noise_, n_x_, n_y_, max_batch_;
  CganOptions options_;
  std::uint64_t seed_;
  std::int64_t steps_ = 0;
  // Work buffers, sized for max_batch rows (2 * max_batch for the discriminator).
  RowMatrix<T> noise_;
  std::vector<float> normals_;
  std::vector<std::uint32_t> words_;
  std::vector<Index> gen_widths_, disc_widths_;
  // Transposed weights (n_out x padded n_in) for the backward products, refreshed after each update.
  std::vector<RowMatrix<T>> gen_t_, disc_t_;
  // Activations and deltas, columns padded; the padding of the deltas is kept at zero.
  std::vector<RowMatrix<T>> gen_act_, gen_delta_;    // [0] is the input [z, y]
  std::vector<RowMatrix<T>> disc_act_, disc_delta_;  // [0] is the input [x, y]; last: logits
};

/// Generator samples for every row of y: kind 0 = round(G(z, y)), 1 = G(z, y), 2 = Bernoulli
/// draws from G(z, y). Rows are processed in fixed chunks with their own random streams, so the
/// result does not depend on the number of threads. out must be (y.rows() x n_x).
template <class T>
void cgan_generate(const DenseNetwork<T>& generator, ConstMatrixRef<T> y, Index n_noise,
                   std::uint64_t seed, int kind, MatrixRef<T> out);

}  // namespace condgen
