// The only file that includes pybind11: converts arguments, releases the GIL around the kernels
// of condgen:: and returns. No algorithms here. Validation of user input happens in Python before
// these functions are called; the C++ side only throws std::invalid_argument (-> ValueError) on
// inconsistent shapes as a last line of defence.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "condgen/ais.hpp"
#include "condgen/ais_pair.hpp"
#include "condgen/cgan.hpp"
#include "condgen/dbm.hpp"
#include "condgen/multimodal.hpp"
#include "condgen/parallel.hpp"
#include "condgen/random_fill.hpp"
#include "condgen/rbm.hpp"
#include "condgen/rbm_types.hpp"
#include "condgen/rng.hpp"

namespace py = pybind11;
using condgen::Index;

namespace {

using ReleaseGil = py::call_guard<py::gil_scoped_release>;

void bind_common(py::module_& m) {
  m.def("get_num_threads", &condgen::get_num_threads, "Threads used by the parallel kernels.");
  m.def("set_num_threads", &condgen::set_num_threads, py::arg("n"),
        "Set the number of threads used by the parallel kernels.");
  m.def(
      "random_uniform",
      [](std::uint64_t seed, std::uint64_t n) {
        condgen::Vector<double> out(static_cast<Index>(n));
        {
          py::gil_scoped_release release;
          condgen::fill_uniform(seed, condgen::kStreamTest, out);
        }
        return out;
      },
      py::arg("seed"), py::arg("n"), "n uniforms on [0, 1) from the chunked streams of seed.");
  m.def(
      "random_normal",
      [](std::uint64_t seed, std::uint64_t n) {
        condgen::Vector<double> out(static_cast<Index>(n));
        {
          py::gil_scoped_release release;
          condgen::fill_normal(seed, condgen::kStreamTest, out);
        }
        return out;
      },
      py::arg("seed"), py::arg("n"), "n standard normals from the chunked streams of seed.");
}

// ---- CGAN ---------------------------------------------------------------------------------------
template <class T>
using NetworkArrays = std::pair<std::vector<condgen::RowMatrix<T>>, std::vector<condgen::Vector<T>>>;

template <class T>
condgen::DenseNetwork<T> make_network(std::vector<condgen::RowMatrix<T>> weights, std::vector<condgen::Vector<T>> biases,
                                      std::vector<condgen::Activation> activations) {
  return {std::move(weights), std::move(biases), std::move(activations)};
}

template <class T>
NetworkArrays<T> network_arrays(const condgen::DenseNetwork<T>& net) {
  return {net.weights, net.biases};
}

template <class T>
void bind_cgan_precision(py::module_& m, const char* trainer_name, const char* generate_name) {
  using Trainer = condgen::CganTrainer<T>;
  using Matrix = condgen::RowMatrix<T>;
  using Vec = condgen::Vector<T>;
  using ConstRef = condgen::ConstMatrixRef<T>;
  using Order = Eigen::Ref<const Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>>;
  py::class_<Trainer>(m, trainer_name, "CGAN training state (private; use condgen.CGAN).")
      .def(py::init([](std::vector<Matrix> gw, std::vector<Vec> gb, std::vector<condgen::Activation> ga,
                       std::vector<Matrix> dw, std::vector<Vec> db, std::vector<condgen::Activation> da,
                       Index n_noise, double learning_rate, double beta1, double beta2, double adam_eps,
                       double noise_sd, bool noise_on_condition, double ema_decay, std::uint64_t seed,
                       Index max_batch) {
             condgen::CganOptions options;
             options.learning_rate = learning_rate;
             options.beta1 = beta1;
             options.beta2 = beta2;
             options.adam_eps = adam_eps;
             options.noise_sd = noise_sd;
             options.noise_on_condition = noise_on_condition;
             options.ema_decay = ema_decay;
             return Trainer(make_network(std::move(gw), std::move(gb), std::move(ga)),
                            make_network(std::move(dw), std::move(db), std::move(da)), n_noise, options, seed,
                            max_batch);
           }),
           py::arg("generator_weights"), py::arg("generator_biases"), py::arg("generator_activations"),
           py::arg("discriminator_weights"), py::arg("discriminator_biases"),
           py::arg("discriminator_activations"), py::arg("n_noise"), py::arg("learning_rate"), py::arg("beta1"),
           py::arg("beta2"), py::arg("adam_eps"), py::arg("noise_sd"), py::arg("noise_on_condition"),
           py::arg("ema_decay"), py::arg("seed"), py::arg("max_batch"))
      .def(
          "run_epoch",
          [](Trainer& trainer, const ConstRef& x, const ConstRef& y, const Order& order, Index batch_size) {
            condgen::CganEpochLosses losses;
            {
              py::gil_scoped_release release;
              losses = trainer.run_epoch(x, y, order, batch_size);
            }
            return py::make_tuple(losses.discriminator_seed, losses.generator_seed, losses.discriminator_mean,
                                  losses.generator_mean);
          },
          py::arg("x").noconvert(), py::arg("y").noconvert(), py::arg("order").noconvert(), py::arg("batch_size"),
          "One epoch; returns (discriminator_seed, generator_seed, discriminator_mean, generator_mean).")
      .def("losses_and_gradients", &Trainer::losses_and_gradients, py::arg("x"), py::arg("y"), py::arg("z"),
           py::arg("noise"), ReleaseGil(), "(discriminator loss, generator loss); gradients stored.")
      .def("generator", [](const Trainer& t) { return network_arrays(t.generator()); })
      .def("discriminator", [](const Trainer& t) { return network_arrays(t.discriminator()); })
      .def("generator_average", [](const Trainer& t) { return network_arrays(t.generator_average()); })
      .def("generator_gradient", [](const Trainer& t) { return network_arrays(t.generator_gradient()); })
      .def("discriminator_gradient", [](const Trainer& t) { return network_arrays(t.discriminator_gradient()); })
      .def_property_readonly("steps", &Trainer::steps);
  m.def(
      generate_name,
      [](std::vector<Matrix> weights, std::vector<Vec> biases, std::vector<condgen::Activation> activations,
         const ConstRef& y, Index n_noise, std::uint64_t seed, int kind) {
        const auto net = make_network(std::move(weights), std::move(biases), std::move(activations));
        Matrix out(y.rows(), net.weights.empty() ? 0 : net.n_outputs());
        {
          py::gil_scoped_release release;
          condgen::cgan_generate<T>(net, y, n_noise, seed, kind, out);
        }
        return out;
      },
      py::arg("weights"), py::arg("biases"), py::arg("activations"), py::arg("y").noconvert(), py::arg("n_noise"),
      py::arg("seed"), py::arg("kind"), "Generator samples for the rows of y (kind 0 rounded, 1 probabilities, 2 Bernoulli).");
}

void bind_cgan(py::module_& m) {
  py::enum_<condgen::Activation>(m, "Activation")
      .value("identity", condgen::Activation::identity)
      .value("leaky_relu", condgen::Activation::leaky_relu)
      .value("relu", condgen::Activation::relu)
      .value("sigmoid", condgen::Activation::sigmoid)
      .value("tanh", condgen::Activation::tanh);
  bind_cgan_precision<float>(m, "CganTrainerF32", "cgan_generate_f32");
  bind_cgan_precision<double>(m, "CganTrainerF64", "cgan_generate_f64");
}
// ---- end CGAN -----------------------------------------------------------------------------------

// AIS (condgen.likelihood). Lists of layers come as lists of C-contiguous float64 arrays (states
// are updated in place, so Python passes them in exactly that layout); they are mapped, not copied.
using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;
using MutableDoubleArray = py::array_t<double, py::array::c_style>;

condgen::LayerChain layer_chain(const std::vector<DoubleArray>& weights, const std::vector<DoubleArray>& biases) {
  condgen::LayerChain chain;
  for (const auto& w : weights) {
    if (w.ndim() != 2) throw std::invalid_argument("AIS: weights must be 2-D");
    chain.weights.emplace_back(Eigen::Map<const condgen::RowMatrix<double>>(w.data(), w.shape(0), w.shape(1)));
  }
  for (const auto& b : biases) {
    if (b.ndim() != 1) throw std::invalid_argument("AIS: biases must be 1-D");
    chain.biases.emplace_back(Eigen::Map<const condgen::Vector<double>>(b.data(), b.shape(0)));
  }
  return chain;
}

std::vector<condgen::MatrixRef<double>> mutable_matrices(std::vector<MutableDoubleArray>& arrays) {
  std::vector<condgen::MatrixRef<double>> out;
  for (auto& a : arrays) {
    if (a.ndim() != 2) throw std::invalid_argument("AIS: states must be 2-D");
    out.emplace_back(Eigen::Map<condgen::RowMatrix<double>>(a.mutable_data(), a.shape(0), a.shape(1)));
  }
  return out;
}

void bind_ais(py::module_& m) {
  using condgen::ConstMatrixRef;
  using condgen::ConstVectorRef;
  m.def(
      "ais_init_states",
      [](const std::vector<DoubleArray>& logits, std::vector<MutableDoubleArray> states, std::uint64_t seed) {
        std::vector<ConstVectorRef<double>> logit_refs;
        for (const auto& l : logits) {
          logit_refs.emplace_back(Eigen::Map<const condgen::Vector<double>>(l.data(), l.size()));
        }
        auto refs = mutable_matrices(states);
        py::gil_scoped_release release;
        condgen::ais_init_states(logit_refs, refs, seed);
      },
      py::arg("logits"), py::arg("states"), py::arg("seed"), "AIS start states, in place.");
  m.def(
      "ais_chain",
      [](const std::vector<DoubleArray>& weights, const std::vector<DoubleArray>& biases,
         const Eigen::Ref<const condgen::Vector<double>>& betas, std::int64_t first_step, Index burn_in,
         bool synchronous, std::vector<MutableDoubleArray> states,
         Eigen::Ref<condgen::Vector<double>> log_weights, std::uint64_t seed) {
        const auto chain = layer_chain(weights, biases);
        auto refs = mutable_matrices(states);
        py::gil_scoped_release release;
        condgen::ais_chain(chain, betas, first_step, burn_in, synchronous, refs, log_weights, seed);
      },
      py::arg("weights"), py::arg("biases"), py::arg("betas"), py::arg("first_step"), py::arg("burn_in"),
      py::arg("synchronous"), py::arg("states"), py::arg("log_weights").noconvert(), py::arg("seed"),
      "AIS steps on a chain of binary layers, in place.");
  m.def(
      "ais_chain_rows",
      [](const std::vector<DoubleArray>& weights, const std::vector<DoubleArray>& biases,
         const ConstMatrixRef<double>& bottom_biases, const Eigen::Ref<const condgen::Vector<double>>& betas,
         Index n_particles, Index burn_in, std::int64_t first_row, std::uint64_t seed) {
        const auto chain = layer_chain(weights, biases);
        py::gil_scoped_release release;
        return condgen::ais_chain_rows(chain, bottom_biases, betas, n_particles, burn_in, first_row, seed);
      },
      py::arg("weights"), py::arg("biases"), py::arg("bottom_biases"), py::arg("betas"), py::arg("n_particles"),
      py::arg("burn_in"), py::arg("first_row"), py::arg("seed"), "Per-row AIS log weights (rows x particles).");
}

// ---- DBM (condgen.dbm) ----------------------------------------------------------------------
// Model parameters and particles arrive as lists of C-contiguous numpy arrays of one dtype
// (float32 or float64, chosen by the first weight matrix); condgen.dbm prepares them.

template <class T>
condgen::MatrixMap<T> dbm_matrix(py::handle obj, const std::string& name, bool write) {
  if (!py::isinstance<py::array_t<T>>(obj)) {
    throw py::type_error(name + " must be a numpy array of the model's dtype");
  }
  auto array = py::reinterpret_borrow<py::array>(obj);
  if (array.ndim() != 2 || !(array.flags() & py::array::c_style)) {
    throw py::value_error(name + " must be a C-contiguous 2-D array");
  }
  if (write && !array.writeable()) throw py::value_error(name + " must be writeable");
  // Read-only inputs are only read by the kernels (`write` is false for them).
  return condgen::MatrixMap<T>(const_cast<T*>(static_cast<const T*>(array.data())), array.shape(0),
                               array.shape(1));
}

template <class T>
condgen::VectorMap<T> dbm_vector(py::handle obj, const std::string& name, bool write) {
  if (!py::isinstance<py::array_t<T>>(obj)) {
    throw py::type_error(name + " must be a numpy array of the model's dtype");
  }
  auto array = py::reinterpret_borrow<py::array>(obj);
  if (array.ndim() != 1 || !(array.flags() & py::array::c_style)) {
    throw py::value_error(name + " must be a contiguous 1-D array");
  }
  if (write && !array.writeable()) throw py::value_error(name + " must be writeable");
  return condgen::VectorMap<T>(const_cast<T*>(static_cast<const T*>(array.data())), array.shape(0));
}

template <class T>
std::vector<condgen::MatrixMap<T>> dbm_matrices(const py::list& list, const char* name, bool write) {
  std::vector<condgen::MatrixMap<T>> maps;
  for (std::size_t i = 0; i < list.size(); ++i) {
    maps.push_back(dbm_matrix<T>(list[i], std::string(name) + "[" + std::to_string(i) + "]", write));
  }
  return maps;
}

template <class T>
condgen::DbmParams<T> dbm_params(const py::list& weights, const py::list& visible_bias,
                                 const py::list& hidden_bias, bool write) {
  condgen::DbmParams<T> params;
  params.weights = dbm_matrices<T>(weights, "weights", write);
  for (std::size_t i = 0; i < visible_bias.size(); ++i) {
    params.visible_bias.push_back(dbm_vector<T>(visible_bias[i], "visible_bias", write));
  }
  for (std::size_t i = 0; i < hidden_bias.size(); ++i) {
    params.hidden_bias.push_back(dbm_vector<T>(hidden_bias[i], "hidden_bias", write));
  }
  params.check();
  return params;
}

/// Calls f.template operator()<T>() with T the dtype of the first weight matrix.
template <class F>
auto dbm_dispatch(const py::list& weights, F&& f) {
  if (weights.empty()) throw py::value_error("a DBM needs at least one weight matrix");
  if (py::isinstance<py::array_t<float>>(weights[0])) return f(float{});
  if (py::isinstance<py::array_t<double>>(weights[0])) return f(double{});
  throw py::type_error("DBM weights must be float32 or float64 numpy arrays");
}

condgen::Sampler dbm_sampler(int sampler) {
  if (sampler != 0 && sampler != 1) throw py::value_error("sampler must be 0 (alternating) or 1 (synchronous)");
  return static_cast<condgen::Sampler>(sampler);
}

void bind_dbm(py::module_& m) {
  m.def(
      "dbm_gibbs",
      [](const py::list& weights, const py::list& visible_bias, const py::list& hidden_bias,
         const py::list& particles, int steps, int sampler, const std::vector<Index>& clamped,
         std::uint64_t seed) {
        dbm_dispatch(weights, [&](auto zero) {
          using T = decltype(zero);
          const auto params = dbm_params<T>(weights, visible_bias, hidden_bias, false);
          auto states = dbm_matrices<T>(particles, "particles", true);
          py::gil_scoped_release release;
          condgen::dbm_gibbs(params, states, steps, dbm_sampler(sampler), clamped, seed);
        });
      },
      py::arg("weights"), py::arg("visible_bias"), py::arg("hidden_bias"), py::arg("particles"),
      py::arg("steps"), py::arg("sampler"), py::arg("clamped"), py::arg("seed"),
      "Gibbs sweeps on DBM particles in place (clamped visible columns keep their values).");
  m.def(
      "dbm_mean_field",
      [](const py::list& weights, const py::list& visible_bias, const py::list& hidden_bias, py::array X,
         double tol, int max_iter) {
        return dbm_dispatch(weights, [&](auto zero) {
          using T = decltype(zero);
          const auto params = dbm_params<T>(weights, visible_bias, hidden_bias, false);
          const auto input = dbm_matrix<T>(X, "X", false);
          py::list out;
          std::vector<condgen::MatrixMap<T>> mu;
          for (Index k = 1; k <= params.n_rbms(); ++k) {
            py::array_t<T> layer({input.rows(), params.units(k)});
            mu.emplace_back(layer.mutable_data(), input.rows(), params.units(k));
            out.append(layer);
          }
          int iterations;
          {
            py::gil_scoped_release release;
            iterations = condgen::dbm_mean_field<T>(params, input, mu, static_cast<T>(tol), max_iter);
          }
          return py::make_tuple(out, iterations);
        });
      },
      py::arg("weights"), py::arg("visible_bias"), py::arg("hidden_bias"), py::arg("X").noconvert(),
      py::arg("tol"), py::arg("max_iter"),
      "Mean-field activations of the hidden layers and the largest number of iterations used.");
  m.def(
      "dbm_fine_tune_epoch",
      [](const py::list& weights, const py::list& visible_bias, const py::list& hidden_bias,
         const py::list& particles, py::array X, Index batch_size, double learning_rate, int gibbs_steps,
         int sampler, double mean_field_tol, int mean_field_max_iter, std::uint64_t seed,
         const std::vector<Index>& clamped) {
        return dbm_dispatch(weights, [&](auto zero) {
          using T = decltype(zero);
          auto params = dbm_params<T>(weights, visible_bias, hidden_bias, true);
          auto states = dbm_matrices<T>(particles, "particles", true);
          const auto input = dbm_matrix<T>(X, "X", false);
          const condgen::FineTuneSettings<T> settings{batch_size,          static_cast<T>(learning_rate),
                                                      gibbs_steps,         dbm_sampler(sampler),
                                                      static_cast<T>(mean_field_tol), mean_field_max_iter,
                                                      clamped};
          py::gil_scoped_release release;
          return condgen::dbm_fine_tune_epoch<T>(params, states, input, settings, seed);
        });
      },
      py::arg("weights"), py::arg("visible_bias"), py::arg("hidden_bias"), py::arg("particles"),
      py::arg("X").noconvert(), py::arg("batch_size"), py::arg("learning_rate"), py::arg("gibbs_steps"),
      py::arg("sampler"), py::arg("mean_field_tol"), py::arg("mean_field_max_iter"), py::arg("seed"),
      py::arg("clamped") = std::vector<Index>{},
      "One DBM fine-tuning epoch, parameters and particles updated in place; returns the largest "
      "number of mean-field iterations. With `clamped` visible columns it fine-tunes the conditional "
      "likelihood given them, on one particle per row of X.");
  m.def(
      "dbm_exact_log_partition",
      [](const py::list& weights, const py::list& visible_bias, const py::list& hidden_bias) {
        const auto params = dbm_params<double>(weights, visible_bias, hidden_bias, false);
        py::gil_scoped_release release;
        return condgen::dbm_exact_log_partition(params);
      },
      py::arg("weights"), py::arg("visible_bias"), py::arg("hidden_bias"),
      "Exact log partition function of a small float64 DBM.");
  m.def(
      "dbm_exact_log_unnormalized",
      [](const py::list& weights, const py::list& visible_bias, const py::list& hidden_bias, py::array X) {
        const auto params = dbm_params<double>(weights, visible_bias, hidden_bias, false);
        const auto input = dbm_matrix<double>(X, "X", false);
        condgen::Vector<double> out(input.rows());
        {
          py::gil_scoped_release release;
          condgen::dbm_exact_log_unnormalized(params, input, out);
        }
        return out;
      },
      py::arg("weights"), py::arg("visible_bias"), py::arg("hidden_bias"), py::arg("X").noconvert(),
      "Exact unnormalised log-probability of each row of X under a small float64 DBM.");
}
// ---- end DBM ---------------------------------------------------------------------------------

// ---- Multimodal DBM (condgen/multimodal.hpp) -------------------------------------------------
// The first layer arrives as a list of blocks (visible code, hidden code, W, b, c, sigma, groups),
// the Bernoulli RBMs above as three lists, all float64 C-contiguous (condgen.multimodal prepares them).
condgen::MultimodalParams<double> multimodal_params(const py::list& blocks, const py::list& weights,
                                                    const py::list& visible_bias, const py::list& hidden_bias,
                                                    bool write) {
  std::vector<condgen::TypedRbm<double>> first;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const std::string name = "blocks[" + std::to_string(i) + "]";
    const auto block = blocks[i].cast<py::tuple>();
    if (block.size() != 7) throw py::value_error(name + " must be (visible, hidden, W, b, c, sigma, groups)");
    const int visible = block[0].cast<int>(), hidden = block[1].cast<int>();
    if (visible < 0 || visible > 4 || hidden < 0 || hidden > 1) throw py::value_error(name + ": unknown unit type");
    first.push_back(condgen::TypedRbm<double>{
        static_cast<condgen::VisibleUnits>(visible), static_cast<condgen::HiddenUnits>(hidden),
        dbm_matrix<double>(block[2], name + ".W", write), dbm_vector<double>(block[3], name + ".b", write),
        dbm_vector<double>(block[4], name + ".c", write), dbm_vector<double>(block[5], name + ".sigma", write),
        block[6].cast<std::vector<Index>>()});
  }
  return {std::move(first), dbm_params<double>(weights, visible_bias, hidden_bias, write)};
}

void bind_multimodal(py::module_& m) {
#define CONDGEN_MULTIMODAL_ARGS \
  py::arg("blocks"), py::arg("weights"), py::arg("visible_bias"), py::arg("hidden_bias")
  m.def(
      "multimodal_gibbs",
      [](const py::list& blocks, const py::list& weights, const py::list& visible_bias, const py::list& hidden_bias,
         const py::list& particles, int steps, const std::vector<Index>& clamped, std::uint64_t seed) {
        const auto params = multimodal_params(blocks, weights, visible_bias, hidden_bias, false);
        auto states = dbm_matrices<double>(particles, "particles", true);
        py::gil_scoped_release release;
        condgen::multimodal_gibbs<double>(params, states, steps, clamped, seed);
      },
      CONDGEN_MULTIMODAL_ARGS, py::arg("particles"), py::arg("steps"), py::arg("clamped"), py::arg("seed"),
      "Alternating Gibbs sweeps on the particles in place (clamped visible columns keep their values).");
  m.def(
      "multimodal_mean_field",
      [](const py::list& blocks, const py::list& weights, const py::list& visible_bias, const py::list& hidden_bias,
         py::array X, double tol, int max_iter) {
        const auto params = multimodal_params(blocks, weights, visible_bias, hidden_bias, false);
        const auto input = dbm_matrix<double>(X, "X", false);
        py::list out;
        std::vector<condgen::MatrixMap<double>> mu;
        for (Index k = 1; k <= params.n_rbms(); ++k) {
          py::array_t<double> layer({input.rows(), params.units(k)});
          mu.emplace_back(layer.mutable_data(), input.rows(), params.units(k));
          out.append(layer);
        }
        int iterations;
        {
          py::gil_scoped_release release;
          iterations = condgen::multimodal_mean_field<double>(params, input, mu, tol, max_iter);
        }
        return py::make_tuple(out, iterations);
      },
      CONDGEN_MULTIMODAL_ARGS, py::arg("X"), py::arg("tol"), py::arg("max_iter"),
      "Mean-field activations of the hidden layers and the largest number of iterations used.");
  m.def(
      "multimodal_fine_tune_epoch",
      [](const py::list& blocks, const py::list& weights, const py::list& visible_bias, const py::list& hidden_bias,
         const py::list& particles, py::array X, const std::vector<Index>& order, Index batch_size,
         double learning_rate, double sd_learning_rate, int gibbs_steps, double mean_field_tol,
         int mean_field_max_iter, std::uint64_t seed) {
        auto params = multimodal_params(blocks, weights, visible_bias, hidden_bias, true);
        auto states = dbm_matrices<double>(particles, "particles", true);
        const auto input = dbm_matrix<double>(X, "X", false);
        const condgen::MultimodalFineTuneSettings<double> settings{
            batch_size, learning_rate, sd_learning_rate, gibbs_steps, mean_field_tol, mean_field_max_iter};
        py::gil_scoped_release release;
        return condgen::multimodal_fine_tune_epoch<double>(params, states, input, order, settings, seed);
      },
      CONDGEN_MULTIMODAL_ARGS, py::arg("particles"), py::arg("X"), py::arg("order"), py::arg("batch_size"),
      py::arg("learning_rate"), py::arg("sd_learning_rate"), py::arg("gibbs_steps"), py::arg("mean_field_tol"),
      py::arg("mean_field_max_iter"), py::arg("seed"),
      "One fine-tuning epoch, parameters and particles updated in place; returns the largest number of "
      "mean-field iterations.");
  m.def(
      "multimodal_log_partition_zero_weights",
      [](const py::list& blocks, const py::list& weights, const py::list& visible_bias, const py::list& hidden_bias) {
        return condgen::multimodal_log_partition_zero_weights(
            multimodal_params(blocks, weights, visible_bias, hidden_bias, false));
      },
      CONDGEN_MULTIMODAL_ARGS, "log Z of the model with zero weights.");
  m.def(
      "multimodal_ais_log_weights",
      [](const py::list& blocks, const py::list& weights, const py::list& visible_bias, const py::list& hidden_bias,
         const Eigen::Ref<const condgen::Vector<double>>& betas, Index n_particles, int burn_in, std::uint64_t seed) {
        const auto params = multimodal_params(blocks, weights, visible_bias, hidden_bias, false);
        py::gil_scoped_release release;
        return condgen::multimodal_ais_log_weights(params, betas, n_particles, burn_in, seed);
      },
      CONDGEN_MULTIMODAL_ARGS, py::arg("betas"), py::arg("n_particles"), py::arg("burn_in"), py::arg("seed"),
      "AIS log importance weights from the zero-weight model.");
#undef CONDGEN_MULTIMODAL_ARGS
}
// ---- end multimodal DBM --------------------------------------------------------------------------

// --- RBM kernels (condgen/rbm.hpp): one overload per dtype; noconvert makes pybind11 pick the
// overload of the array's dtype instead of silently copying.
template <class T>
void bind_rbm_dtype(py::module_& m) {
  using Mat = condgen::RowMatrix<T>;
  using Vec = condgen::Vector<T>;
  using In = Eigen::Ref<const Mat>;
  using InVec = Eigen::Ref<const Vec>;
  using Out = Eigen::Ref<Mat>;
  using OutVec = Eigen::Ref<Vec>;
  m.def(
      "rbm_hidden_probs",
      [](In W, InVec c, In V, T factor) {
        Mat H(V.rows(), W.cols());
        py::gil_scoped_release release;
        condgen::rbm_hidden_probs<T>(W, c, V, factor, H);
        return H;
      },
      py::arg("W").noconvert(), py::arg("c").noconvert(), py::arg("V").noconvert(), py::arg("factor"),
      "sigmoid(factor * (V W + c)).");
  m.def(
      "rbm_visible_probs",
      [](In W, InVec b, In H, T factor) {
        Mat V(H.rows(), W.rows());
        py::gil_scoped_release release;
        condgen::rbm_visible_probs<T>(W, b, H, factor, V);
        return V;
      },
      py::arg("W").noconvert(), py::arg("b").noconvert(), py::arg("H").noconvert(), py::arg("factor"),
      "sigmoid(factor * (H W^T + b)).");
  m.def(
      "rbm_sample_hidden",
      [](In W, InVec c, In V, T factor, std::uint64_t seed) {
        Mat H(V.rows(), W.cols());
        py::gil_scoped_release release;
        condgen::rbm_sample_hidden<T>(W, c, V, factor, seed, H);
        return H;
      },
      py::arg("W").noconvert(), py::arg("c").noconvert(), py::arg("V").noconvert(), py::arg("factor"),
      py::arg("seed"), "Bernoulli draws of the hidden units given V.");
  m.def(
      "rbm_sample_visible",
      [](In W, InVec b, In H, T factor, std::uint64_t seed) {
        Mat V(H.rows(), W.rows());
        py::gil_scoped_release release;
        condgen::rbm_sample_visible<T>(W, b, H, factor, seed, V);
        return V;
      },
      py::arg("W").noconvert(), py::arg("b").noconvert(), py::arg("H").noconvert(), py::arg("factor"),
      py::arg("seed"), "Bernoulli draws of the visible units given H.");
  m.def(
      "rbm_free_energy",
      [](In W, InVec b, InVec c, In V) {
        Vec out(V.rows());
        py::gil_scoped_release release;
        condgen::rbm_free_energy<T>(W, b, c, V, out);
        return out;
      },
      py::arg("W").noconvert(), py::arg("b").noconvert(), py::arg("c").noconvert(), py::arg("V").noconvert(),
      "Free energy of every row of V.");
  m.def("rbm_gibbs", &condgen::rbm_gibbs<T>, py::arg("W").noconvert(), py::arg("b").noconvert(),
        py::arg("c").noconvert(), py::arg("V").noconvert(), py::arg("H").noconvert(), py::arg("steps"),
        py::arg("up_factor"), py::arg("down_factor"), py::arg("seed"), ReleaseGil(),
        "Alternating Gibbs steps on the particles (V, H) in place.");
  m.def(
      "rbm_train_epoch",
      [](Out W, OutVec b, OutVec c, In X, Out chain, InVec visible_offset, OutVec hidden_offset, Index batch_size,
         int cd_steps, const std::string& pcd, T learning_rate, T up_factor, T down_factor, bool centering,
         T offset_rate, std::uint64_t seed) {
        condgen::RbmTrainOptions<T> options;
        if (pcd == "none") {
          options.pcd = condgen::PcdMode::kNone;
        } else if (pcd == "mean_field") {
          options.pcd = condgen::PcdMode::kMeanField;
        } else if (pcd == "tieleman") {
          options.pcd = condgen::PcdMode::kTieleman;
        } else {
          throw std::invalid_argument("pcd must be 'none', 'mean_field' or 'tieleman', got '" + pcd + "'");
        }
        options.batch_size = batch_size;
        options.cd_steps = cd_steps;
        options.learning_rate = learning_rate;
        options.up_factor = up_factor;
        options.down_factor = down_factor;
        options.centering = centering;
        options.offset_rate = offset_rate;
        options.seed = seed;
        py::gil_scoped_release release;
        condgen::rbm_train_epoch<T>(W, b, c, X, chain, visible_offset, hidden_offset, options);
      },
      py::arg("W").noconvert(), py::arg("b").noconvert(), py::arg("c").noconvert(), py::arg("X").noconvert(),
      py::arg("chain").noconvert(), py::arg("visible_offset").noconvert(), py::arg("hidden_offset").noconvert(),
      py::arg("batch_size"), py::arg("cd_steps"), py::arg("pcd"), py::arg("learning_rate"), py::arg("up_factor"),
      py::arg("down_factor"), py::arg("centering"), py::arg("offset_rate"), py::arg("seed"),
      "One epoch of CD/PCD training, parameters and chain updated in place.");
}

void bind_rbm(py::module_& m) {
  bind_rbm_dtype<double>(m);
  bind_rbm_dtype<float>(m);
  m.def("rbm_exact_log_partition", &condgen::rbm_exact_log_partition, py::arg("W").noconvert(),
        py::arg("b").noconvert(), py::arg("c").noconvert(), ReleaseGil(),
        "log Z by enumerating the smaller layer (float64).");
}

// ---- RBMs of other unit types (condgen/rbm_types.hpp) -------------------------------------------
// A model travels as (visible, hidden, W, b, c, sigma, groups): unit-type codes, the parameter
// arrays (sigma empty unless Gaussian visible) and the softmax0 group sizes.
template <class T>
condgen::TypedRbm<T> typed_rbm(int visible, int hidden, const Eigen::Ref<const condgen::RowMatrix<T>>& W,
                               const Eigen::Ref<const condgen::Vector<T>>& b,
                               const Eigen::Ref<const condgen::Vector<T>>& c,
                               const Eigen::Ref<const condgen::Vector<T>>& sigma, const std::vector<Index>& groups) {
  if (visible < 0 || visible > 4 || hidden < 0 || hidden > 1) throw std::invalid_argument("unknown unit type code");
  if (W.outerStride() != W.cols()) throw std::invalid_argument("W must be C-contiguous");
  // The maps alias the caller's arrays; kernels taking a const TypedRbm never write through them.
  auto* w = const_cast<T*>(W.data());
  auto* pb = const_cast<T*>(b.data());
  auto* pc = const_cast<T*>(c.data());
  auto* ps = const_cast<T*>(sigma.data());
  condgen::TypedRbm<T> rbm{static_cast<condgen::VisibleUnits>(visible), static_cast<condgen::HiddenUnits>(hidden),
                           {w, W.rows(), W.cols()}, {pb, b.size()}, {pc, c.size()}, {ps, sigma.size()}, groups};
  rbm.check();
  return rbm;
}

condgen::PcdMode pcd_mode(const std::string& pcd) {
  if (pcd == "none") return condgen::PcdMode::kNone;
  if (pcd == "mean_field") return condgen::PcdMode::kMeanField;
  if (pcd == "tieleman") return condgen::PcdMode::kTieleman;
  throw std::invalid_argument("pcd must be 'none', 'mean_field' or 'tieleman', got '" + pcd + "'");
}

template <class T>
void bind_types_dtype(py::module_& m) {
  using Mat = condgen::RowMatrix<T>;
  using Vec = condgen::Vector<T>;
  using In = Eigen::Ref<const Mat>;
  using InVec = Eigen::Ref<const Vec>;
  using Out = Eigen::Ref<Mat>;
  using OutVec = Eigen::Ref<Vec>;
  using Groups = std::vector<Index>;
#define CONDGEN_TYPED_ARGS                                                                                    \
  py::arg("visible"), py::arg("hidden"), py::arg("W").noconvert(), py::arg("b").noconvert(),               \
      py::arg("c").noconvert(), py::arg("sigma").noconvert(), py::arg("groups")
  m.def(
      "typed_hidden_potential",
      [](int vt, int ht, In W, InVec b, InVec c, InVec sigma, const Groups& groups, In V, T factor) {
        const auto rbm = typed_rbm<T>(vt, ht, W, b, c, sigma, groups);
        Mat H(V.rows(), W.cols());
        py::gil_scoped_release release;
        condgen::typed_hidden_potential<T>(rbm, V, factor, H);
        return H;
      },
      CONDGEN_TYPED_ARGS, py::arg("V").noconvert(), py::arg("factor"), "E[h | v] of every row of V.");
  m.def(
      "typed_visible_potential",
      [](int vt, int ht, In W, InVec b, InVec c, InVec sigma, const Groups& groups, In H, T factor) {
        const auto rbm = typed_rbm<T>(vt, ht, W, b, c, sigma, groups);
        Mat V(H.rows(), W.rows());
        py::gil_scoped_release release;
        condgen::typed_visible_potential<T>(rbm, H, factor, V);
        return V;
      },
      CONDGEN_TYPED_ARGS, py::arg("H").noconvert(), py::arg("factor"), "E[v | h] of every row of H.");
  m.def(
      "typed_sample_hidden",
      [](int vt, int ht, In W, InVec b, InVec c, InVec sigma, const Groups& groups, In V, std::uint64_t seed) {
        const auto rbm = typed_rbm<T>(vt, ht, W, b, c, sigma, groups);
        Mat H(V.rows(), W.cols());
        py::gil_scoped_release release;
        condgen::typed_sample_hidden<T>(rbm, V, seed, H);
        return H;
      },
      CONDGEN_TYPED_ARGS, py::arg("V").noconvert(), py::arg("seed"), "Samples of h | v for every row of V.");
  m.def(
      "typed_sample_visible",
      [](int vt, int ht, In W, InVec b, InVec c, InVec sigma, const Groups& groups, In H, std::uint64_t seed) {
        const auto rbm = typed_rbm<T>(vt, ht, W, b, c, sigma, groups);
        Mat V(H.rows(), W.rows());
        py::gil_scoped_release release;
        condgen::typed_sample_visible<T>(rbm, H, seed, V);
        return V;
      },
      CONDGEN_TYPED_ARGS, py::arg("H").noconvert(), py::arg("seed"), "Samples of v | h for every row of H.");
  m.def(
      "typed_free_energy",
      [](int vt, int ht, In W, InVec b, InVec c, InVec sigma, const Groups& groups, In V) {
        const auto rbm = typed_rbm<T>(vt, ht, W, b, c, sigma, groups);
        Vec out(V.rows());
        py::gil_scoped_release release;
        condgen::typed_free_energy<T>(rbm, V, out);
        return out;
      },
      CONDGEN_TYPED_ARGS, py::arg("V").noconvert(), "Free energy of every row of V.");
  m.def(
      "typed_gibbs",
      [](int vt, int ht, In W, InVec b, InVec c, InVec sigma, const Groups& groups, Out V, Out H, int steps,
         const std::vector<Index>& clamped, std::uint64_t seed) {
        const auto rbm = typed_rbm<T>(vt, ht, W, b, c, sigma, groups);
        py::gil_scoped_release release;
        condgen::typed_gibbs<T>(rbm, V, H, steps, clamped, seed);
      },
      CONDGEN_TYPED_ARGS, py::arg("V").noconvert(), py::arg("H").noconvert(), py::arg("steps"),
      py::arg("clamped"), py::arg("seed"), "Alternating Gibbs steps in place; clamped visible columns kept.");
  m.def(
      "typed_train_epoch",
      [](int vt, int ht, Out W, OutVec b, OutVec c, OutVec sigma, const Groups& groups, In X, Out chain,
         Index batch_size, int cd_steps, const std::string& pcd, T learning_rate, T sd_learning_rate, T up_factor,
         T down_factor, std::uint64_t seed) {
        auto rbm = typed_rbm<T>(vt, ht, W, b, c, sigma, groups);
        condgen::TypedTrainOptions<T> options;
        options.batch_size = batch_size;
        options.cd_steps = cd_steps;
        options.pcd = pcd_mode(pcd);
        options.learning_rate = learning_rate;
        options.sd_learning_rate = sd_learning_rate;
        options.up_factor = up_factor;
        options.down_factor = down_factor;
        options.seed = seed;
        py::gil_scoped_release release;
        condgen::typed_train_epoch<T>(rbm, X, chain, options);
      },
      CONDGEN_TYPED_ARGS, py::arg("X").noconvert(), py::arg("chain").noconvert(), py::arg("batch_size"),
      py::arg("cd_steps"), py::arg("pcd"), py::arg("learning_rate"), py::arg("sd_learning_rate"),
      py::arg("up_factor"), py::arg("down_factor"), py::arg("seed"),
      "One epoch of CD/PCD training, parameters (and sigma) and chain updated in place.");
  m.def(
      "typed_gradient_step",
      [](int vt, int ht, Out W, OutVec b, OutVec c, OutVec sigma, const Groups& groups, In vp, In hp, In vn,
         In hn, T learning_rate, T sd_learning_rate) {
        auto rbm = typed_rbm<T>(vt, ht, W, b, c, sigma, groups);
        condgen::GradientBuffers<T> buffers;
        py::gil_scoped_release release;
        condgen::typed_gradient_step<T>(rbm, vp, hp, vn, hn, learning_rate, sd_learning_rate, buffers);
      },
      CONDGEN_TYPED_ARGS, py::arg("vp").noconvert(), py::arg("hp").noconvert(), py::arg("vn").noconvert(),
      py::arg("hn").noconvert(), py::arg("learning_rate"), py::arg("sd_learning_rate"),
      "One gradient-ascent step from positive and negative statistics.");
}

void bind_types(py::module_& m) {
  bind_types_dtype<double>(m);
  bind_types_dtype<float>(m);
  using In = Eigen::Ref<const condgen::RowMatrix<double>>;
  using InVec = Eigen::Ref<const condgen::Vector<double>>;
  using Groups = std::vector<Index>;
  m.def(
      "typed_exact_log_partition",
      [](int vt, int ht, In W, InVec b, InVec c, InVec sigma, const Groups& groups) {
        const auto rbm = typed_rbm<double>(vt, ht, W, b, c, sigma, groups);
        py::gil_scoped_release release;
        return condgen::typed_exact_log_partition(rbm);
      },
      CONDGEN_TYPED_ARGS, "log Z by enumerating the hidden layer (float64).");
  m.def(
      "typed_log_partition_zero_weights",
      [](int vt, int ht, In W, InVec b, InVec c, InVec sigma, const Groups& groups) {
        return condgen::typed_log_partition_zero_weights(typed_rbm<double>(vt, ht, W, b, c, sigma, groups));
      },
      CONDGEN_TYPED_ARGS, "log Z of the model with zero weights (float64).");
  m.def(
      "typed_ais_log_weights",
      [](int vt, int ht, In W, InVec b, InVec c, InVec sigma, const Groups& groups, InVec betas, Index n_particles,
         int burn_in, std::uint64_t seed) {
        const auto rbm = typed_rbm<double>(vt, ht, W, b, c, sigma, groups);
        py::gil_scoped_release release;
        return condgen::typed_ais_log_weights(rbm, betas, n_particles, burn_in, seed);
      },
      CONDGEN_TYPED_ARGS, py::arg("betas").noconvert(), py::arg("n_particles"), py::arg("burn_in"),
      py::arg("seed"), "AIS log importance weights from the zero-weight model (float64).");
#undef CONDGEN_TYPED_ARGS
}
// ---- end RBMs of other unit types ----------------------------------------------------------------

// ---- AIS between two RBMs of one unit type (condgen/ais_pair.hpp) --------------------------------
void bind_ais_pair(py::module_& m) {
  using In = Eigen::Ref<const condgen::RowMatrix<double>>;
  using InVec = Eigen::Ref<const condgen::Vector<double>>;
  using Groups = std::vector<Index>;
  m.def(
      "typed_ais_pair_init",
      [](int vt, int ht, In W, InVec b, InVec c, InVec sigma, const Groups& groups, Index n_particles, int burn_in,
         std::uint64_t seed) {
        const auto rbm = typed_rbm<double>(vt, ht, W, b, c, sigma, groups);
        py::gil_scoped_release release;
        return condgen::typed_ais_pair_init(rbm, n_particles, burn_in, seed);
      },
      py::arg("visible"), py::arg("hidden"), py::arg("W").noconvert(), py::arg("b").noconvert(),
      py::arg("c").noconvert(), py::arg("sigma").noconvert(), py::arg("groups"), py::arg("n_particles"),
      py::arg("burn_in"), py::arg("seed"), "Start visibles for AIS between two RBMs (float64).");
  m.def(
      "typed_ais_pair",
      [](int vt, int ht, In W1, InVec b1, InVec c1, InVec sigma1, In W2, InVec b2, InVec c2, InVec sigma2,
         const Groups& groups, InVec betas, std::int64_t first_step, int burn_in,
         Eigen::Ref<condgen::RowMatrix<double>> V, Eigen::Ref<condgen::Vector<double>> log_weights,
         std::uint64_t seed) {
        const auto rbm1 = typed_rbm<double>(vt, ht, W1, b1, c1, sigma1, groups);
        const auto rbm2 = typed_rbm<double>(vt, ht, W2, b2, c2, sigma2, groups);
        py::gil_scoped_release release;
        condgen::typed_ais_pair(rbm1, rbm2, betas, first_step, burn_in, V, log_weights, seed);
      },
      py::arg("visible"), py::arg("hidden"), py::arg("W1").noconvert(), py::arg("b1").noconvert(),
      py::arg("c1").noconvert(), py::arg("sigma1").noconvert(), py::arg("W2").noconvert(), py::arg("b2").noconvert(),
      py::arg("c2").noconvert(), py::arg("sigma2").noconvert(), py::arg("groups"), py::arg("betas").noconvert(),
      py::arg("first_step"), py::arg("burn_in"), py::arg("V").noconvert(), py::arg("log_weights").noconvert(),
      py::arg("seed"), "AIS steps between two RBMs of one unit type, in place (float64).");
}

}  // namespace

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
  m.doc() = "condgen's compiled core (private; use the condgen package)";
  m.attr("__version__") = CONDGEN_VERSION;
  bind_common(m);
  bind_cgan(m);
  bind_ais(m);
  bind_rbm(m);
  bind_dbm(m);
  bind_multimodal(m);
  bind_types(m);
  bind_ais_pair(m);
}
