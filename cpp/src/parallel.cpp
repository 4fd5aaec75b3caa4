#include "condgen/parallel.hpp"

#include <stdexcept>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace condgen {
namespace {
int& thread_setting() {
#ifdef _OPENMP
  static int n = omp_get_max_threads();
#else
  static int n = 1;
#endif
  return n;
}
}  // namespace

int get_num_threads() { return thread_setting(); }

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("number of threads must be at least 1");
  thread_setting() = n;
}

}  // namespace condgen
