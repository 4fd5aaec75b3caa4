// The only file that includes pybind11: converts arguments, releases the GIL around the kernels
// of condgen:: and returns. No algorithms here. Validation of user input happens in Python before
// these functions are called; the C++ side only throws std::invalid_argument (-> ValueError) on
// inconsistent shapes as a last line of defence.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "condgen/cgan.hpp"
#include "condgen/parallel.hpp"
#include "condgen/random_fill.hpp"
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

}  // namespace

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
  m.doc() = "condgen's compiled core (private; use the condgen package)";
  m.attr("__version__") = CONDGEN_VERSION;
  bind_common(m);
  bind_cgan(m);
}
