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

}  // namespace

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
  m.doc() = "condgen's compiled core (private; use the condgen package)";
  m.attr("__version__") = CONDGEN_VERSION;
  bind_common(m);
}
