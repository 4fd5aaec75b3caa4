#pragma once
// Parallel loops over fixed chunks of work.
//
// Results must not depend on the number of threads: every chunk has a fixed size (a constant, not
// n / n_threads), draws randomness from its own stream, and writes its partial results into a
// slot of its own; reductions then add the slots in chunk order on one thread.
#include <algorithm>
#include <exception>
#include <mutex>

#include "condgen/types.hpp"

namespace condgen {

/// Rows per chunk of sampling / inference work.
constexpr Index kChunkRows = 64;

/// Threads used by the parallel kernels (defaults to OpenMP's, which honours OMP_NUM_THREADS).
int get_num_threads();
/// Set the number of threads; n < 1 is rejected with std::invalid_argument.
void set_num_threads(int n);

inline Index chunk_count(Index n_rows, Index chunk_rows = kChunkRows) {
  return (n_rows + chunk_rows - 1) / chunk_rows;
}

/// Calls body(chunk, begin, end) for every chunk of [0, n_rows), in parallel. An exception thrown
/// in a chunk is kept and rethrown after the loop (it must not escape an OpenMP region).
template <class Body>
void for_each_chunk(Index n_rows, Index chunk_rows, Body&& body) {
  const Index n_chunks = chunk_count(n_rows, chunk_rows);
  std::exception_ptr error = nullptr;
  std::mutex error_mutex;
  const int threads = static_cast<int>(std::min<Index>(get_num_threads(), std::max<Index>(n_chunks, 1)));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index chunk = 0; chunk < n_chunks; ++chunk) {
    try {
      const Index begin = chunk * chunk_rows;
      body(chunk, begin, std::min(n_rows, begin + chunk_rows));
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

/// Below this many multiply-adds (a few milliseconds) a chunk loop runs on the calling thread:
/// waking the other threads costs more than it saves, far more when the cores are shared with
/// other processes.
constexpr double kMinParallelWork = 3e7;

/// for_each_chunk when `work` (multiply-adds in all) reaches kMinParallelWork, else the same chunks in
/// order on the calling thread: the chunks and their streams are the same either way, so are the
/// results.
template <class Body>
void for_each_chunk_if(double work, Index n_rows, Index chunk_rows, Body&& body) {
  if (work >= kMinParallelWork) {
    for_each_chunk(n_rows, chunk_rows, body);
    return;
  }
  for (Index chunk = 0, begin = 0; begin < n_rows; ++chunk, begin += chunk_rows) {
    body(chunk, begin, std::min(n_rows, begin + chunk_rows));
  }
}

}  // namespace condgen
