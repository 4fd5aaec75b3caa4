"""Cost growth of the DBM: fit and conditional sampling time as the data grow (samples 300 ->
30,000 at the seed's 60 variables; variables 60 -> 6,000 with the hidden layers scaled like the
seed's [30, 10, 2]), the fitted log-log exponent, 1 against 2 threads and float32 against float64.

    python benchmarks/growth.py [--quick]

The seed's settings (preset "boltzmannmachines.jl": batch-1 pre-training, full-batch fine-tuning,
100 particles) with fewer epochs, so that the largest cases fit the benchmark's time budget, and
exactly 10 mean-field iterations per fine-tuning update (the work then depends on the size only):
- samples: 5 pre-training and 5 fine-tuning epochs; sampling = 50 clamped Gibbs steps for every
  row, the SNP columns clamped (the seed's conditional sampling on n rows).
- variables: one pre-training epoch at batch size 32 (batch 1 over a 6000 x 3000 weight matrix
  would take minutes per epoch) and one fine-tuning epoch on 300 rows; sampling = time per clamped
  Gibbs sweep of 300 rows with the last sixth of the columns clamped (fewer sweeps at the largest
  size, where one sweep is already long).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import Row, format_table, measure, threads  # noqa: E402

import condgen  # noqa: E402

PRETRAIN_EPOCHS, FINE_TUNE_EPOCHS, STEPS, MEAN_FIELD_ITERATIONS = 5, 5, 50, 10


def data(n_samples, n_visible, seed=0):
    """The seed simulator's genes and SNPs side by side, a sixth of the columns SNPs."""
    n_snps = n_visible // 6
    snps, genes = condgen.simulate_snp_gep(n_samples=n_samples, n_snps=n_snps, n_genes=n_visible - n_snps,
                                           n_random_samples=n_samples // 2, seed=seed)
    return np.hstack([genes, snps])


def hidden_layers(n_visible):
    """The seed's [30, 10, 2] for 60 variables, scaled with the number of variables."""
    return [max(1, n_visible // 2), max(1, n_visible // 6), max(1, n_visible // 30)]


def _model(n_visible, dtype, pretrain_epochs, epochs, pretrain_batch_size):
    # a fixed number of mean-field iterations per update (tolerance 0, at most 10), so that the
    # work depends on the size only and not on how far the model has converged
    return condgen.DBM(n_hiddens=hidden_layers(n_visible), pretrain_epochs=pretrain_epochs, epochs=epochs,
                       pretrain_learning_rate=0.002, learning_rate=0.003,
                       pretrain_batch_size=pretrain_batch_size, preset="boltzmannmachines.jl",
                       mean_field_tol=0.0, mean_field_max_iter=MEAN_FIELD_ITERATIONS, dtype=dtype, seed=1)


def _point(n_samples, n_visible, dtype=np.float64, n_threads=None, repeat=3, quick_epochs=False,
           per_sweep=False):
    """Fit and sampling timings of one size; returns (fit Timing, sampling Timing, details)."""
    X = data(n_samples, n_visible)
    snp_columns = np.arange(n_visible - n_visible // 6, n_visible)
    if per_sweep:  # variables sweep: one epoch each, batch-32 pre-training, time per Gibbs sweep
        model = _model(n_visible, dtype, 1, 1, 32)
        steps = 2 if n_visible >= 5000 else 10
    else:
        epochs = 1 if quick_epochs else PRETRAIN_EPOCHS
        model = _model(n_visible, dtype, epochs, 1 if quick_epochs else FINE_TUNE_EPOCHS, 1)
        steps = STEPS
    # large single runs take seconds: warm-up and repetitions would not fit the time budget
    big = n_samples * n_visible >= 300 * 5000
    reps, warm = (1, 0) if big else (repeat, 1)
    with threads(n_threads):
        fit = measure(lambda: model.fit(X), repeat=reps, warmup=warm)
        values = X[:, snp_columns]
        sample = measure(lambda: model.sample_conditional(values, snp_columns, steps=steps, seed=2),
                         repeat=reps, warmup=warm, per=steps if per_sweep else 1)
    return fit, sample, {"n_samples": n_samples, "n_visible": n_visible, "hidden": hidden_layers(n_visible),
                         "dtype": np.dtype(dtype).name, "threads": n_threads or condgen.get_num_threads(),
                         "sampling_steps": steps, "single_run": big}


def exponent(sizes, seconds) -> float:
    """Slope of log(time) against log(size), least squares."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def samples_sweep(quick=False):
    sizes = [300, 3000] if quick else [300, 1000, 3000, 10_000, 30_000]
    rows, fits, samples = [], [], []
    for n in sizes:
        fit, sample, info = _point(n, 60, quick_epochs=quick)
        fits.append(fit.median)
        samples.append(sample.median)
        rows.append(Row("growth: samples (60 variables)", f"DBM fit, {n} samples", fit, extra=info))
        rows.append(Row("growth: samples (60 variables)", f"conditional sampling, {n} rows x {info['sampling_steps']} steps",
                        sample, extra=info))
    series = {"sizes": sizes, "fit_s": fits, "sampling_s": samples,
              "fit_exponent": exponent(sizes, fits), "sampling_exponent": exponent(sizes, samples)}
    rows[-2].note = f"fitted exponent of fit time vs samples: {series['fit_exponent']:.2f}"
    rows[-1].note = f"fitted exponent of sampling time vs rows: {series['sampling_exponent']:.2f}"
    return rows, series


def variables_sweep(quick=False):
    sizes = [60, 200, 600] if quick else [60, 200, 600, 2000, 6000]
    rows, fits, samples = [], [], []
    for nv in sizes:
        fit, sample, info = _point(300, nv, per_sweep=True)
        fits.append(fit.median)
        samples.append(sample.median)
        label = f"{nv}-{'-'.join(map(str, info['hidden']))}"
        rows.append(Row("growth: variables (300 samples)", f"DBM fit 1+1 epochs, {label}", fit, extra=info))
        rows.append(Row("growth: variables (300 samples)", f"clamped Gibbs sweep, 300 rows, {label}", sample,
                        extra=info))
    series = {"sizes": sizes, "fit_s": fits, "sampling_s": samples,
              "fit_exponent": exponent(sizes, fits), "sampling_exponent": exponent(sizes, samples)}
    rows[-2].note = f"fitted exponent of fit time vs variables: {series['fit_exponent']:.2f}"
    rows[-1].note = f"fitted exponent of sweep time vs variables: {series['sampling_exponent']:.2f}"
    return rows, series


def threads_and_precision(quick=False):
    """1 vs 2 threads and float32 vs float64 on the large cases of both sweeps."""
    cases = [(3000, 60, False), (300, 600, True)] if quick else [(30_000, 60, False), (300, 2000, True)]
    rows, table = [], []
    for n, nv, per_sweep in cases:
        results = {}
        for dtype, n_threads in ((np.float64, 2), (np.float64, 1), (np.float32, 2)):
            fit, sample, info = _point(n, nv, dtype=dtype, n_threads=n_threads, per_sweep=per_sweep,
                                       quick_epochs=quick, repeat=2)
            results[(np.dtype(dtype).name, n_threads)] = (fit, sample)
        label = f"{n} samples x {nv} variables"
        for what, index in (("DBM fit", 0), ("conditional sampling", 1)):
            base = results[("float64", 2)][index]
            one, single = results[("float64", 1)][index], results[("float32", 2)][index]
            thread_speedup, float32_speedup = one.median / base.median, base.median / single.median
            row = Row("threads and precision (float64, 2 threads vs variants)", f"{what}, {label}", base,
                      {"float64 1 thread": one, "float32 2 threads": single},
                      note=f"1 -> 2 threads: {thread_speedup:.2f}x; float32 is {float32_speedup:.2f}x "
                           f"the speed of float64",
                      extra={"thread_speedup": thread_speedup, "float32_speedup": float32_speedup})
            if nv >= 2000 or n >= 30_000:  # the target for the large cases
                row.target = ">= 1.7x 1->2 threads"
                row.met = thread_speedup >= 1.7
            rows.append(row)
            table.append({"case": label, "work": what, "thread_speedup": thread_speedup,
                          "float32_speedup": float32_speedup})
    return rows, table


def measure_all(quick=False):
    rows_n, by_samples = samples_sweep(quick)
    rows_v, by_variables = variables_sweep(quick)
    rows_t, scaling = threads_and_precision(quick)
    return rows_n + rows_v + rows_t, {"samples": by_samples, "variables": by_variables, "threads_precision": scaling}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    rows, _ = measure_all(args.quick)
    print(format_table(rows))


if __name__ == "__main__":
    main()
