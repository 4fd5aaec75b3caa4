// The only file that includes pybind11: converts arguments, releases the GIL around the kernels
// of condgen:: and returns. No algorithms here. Validation of user input happens in Python before
// these functions are called; the C++ side only throws std::invalid_argument (-> ValueError) on
// inconsistent shapes as a last line of defence.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "condgen/parallel.hpp"
#include "condgen/random_fill.hpp"
#include "condgen/rbm.hpp"
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

}  // namespace

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
  m.doc() = "condgen's compiled core (private; use the condgen package)";
  m.attr("__version__") = CONDGEN_VERSION;
  bind_common(m);
  bind_rbm(m);
}
