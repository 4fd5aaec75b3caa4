"""Time of the main job: training and sampling of `condgen compare`'s models (target <= 3 s).

Runs the experiment's model phase (simulation, training, conditional sampling, numbers; no
figures or report) for --jobs 1 and for the default (one job per thread), and prints the wall time,
the process CPU time and each model's fit and sampling seconds. The machine's load average is
printed too: on a shared machine, wall times above the CPU time divided by the jobs mean that
other processes took the cores.

    python benchmarks/compare.py [--seed 1] [--repeats 1]
"""

from __future__ import annotations

import argparse
import os
import time

import condgen
from condgen import compare


def measure(jobs, seed):
    settings = compare.CompareSettings(seed=seed)
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    result, _ = compare._run_once(settings, compare.default_variants(), seed, progress=False, jobs=jobs)
    return time.perf_counter() - start_wall, time.process_time() - start_cpu, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    threads = condgen.get_num_threads()
    print(f"condgen {condgen.__version__}, {threads} threads, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    for jobs in sorted({1, threads}):
        for repeat in range(args.repeats):
            wall, cpu, result = measure(jobs, args.seed + repeat)
            print(f"\njobs={jobs} seed={args.seed + repeat}: training and sampling {wall:.2f} s wall, "
                  f"{cpu:.2f} s CPU (load average now {os.getloadavg()[0]:.1f})")
            for key, numbers in result["models"].items():
                sample = numbers["sample_seconds"] + numbers.get("reverse_sample_seconds", 0.0)
                print(f"  {key:14s} fit {numbers['fit_seconds']:6.2f} s   sample {sample:5.2f} s   "
                      f"worst cell {numbers['worst_cell_error']:.3f}")


if __name__ == "__main__":
    main()
