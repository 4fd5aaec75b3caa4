"""The seed's DBM procedure (experiment.md §2) on the seed data, measured against the simulator's
Bayes-optimal conditional distribution (experiment.md §3, 40 conditional samples per test row),
for BoltzmannMachines.jl's preset and for condgen's defaults, 5 training seeds each."""

import numpy as np
import pytest

import condgen
from condgen.metrics import bayes_conditional_genes, conditional_marginal_error

SNP_COLUMNS = list(range(50, 60))
SEEDS = range(1, 6)
# The seed's settings: hidden layers [30, 10, 2], pre-training 300 epochs at 0.002 (batch 1),
# fine-tuning 100 epochs.
SEED_SETTINGS = dict(n_hiddens=[30, 10, 2], pretrain_epochs=300, pretrain_learning_rate=0.002, epochs=100)


@pytest.fixture(scope="module")
def seed_data():
    rng = np.random.default_rng(1)  # the seed's Random.seed!(1): training set, then test set
    snps, genes = condgen.simulate_snp_gep(seed=rng)
    test_snps, _ = condgen.simulate_snp_gep(200, n_random_samples=100, seed=rng)
    truth = bayes_conditional_genes(test_snps, n_samples=200, n_random_samples=100)
    return np.hstack([genes, snps]), test_snps, truth


def cells_over_seeds(seed_data, **params):
    """Per training seed: the experiment's cells (group x gene block) of the generated genes."""
    X, test_snps, truth = seed_data
    results = []
    for seed in SEEDS:
        dbm = condgen.DBM(seed=seed, **SEED_SETTINGS, **params).fit(X)
        samples = dbm.sample_conditional(test_snps, SNP_COLUMNS, steps=50, n_per_row=40, seed=100 + seed)
        np.testing.assert_array_equal(samples[:, SNP_COLUMNS], np.repeat(test_snps, 40, axis=0))
        results.append(conditional_marginal_error(samples[:, :50], truth))
    return results


def mean_cell(results, group, block):
    return np.mean([r.cells[(group, block)].frequency for r in results])


# The cell means below average 5 x (rows x 40 samples x genes) draws, e.g. 5 x 50 x 40 x 10 =
# 100,000 for group B x linked genes: Monte Carlo standard errors are about 0.002 (the
# `frequency_se` of conditional_marginal_error, 0.003-0.004 per seed). The thresholds are the
# issue's, far outside that noise; what varies is the training (seed-to-seed spread about 0.03
# for condgen's defaults, 0.1 for the preset).


def test_boltzmannmachines_jl_preset_learns_the_association(seed_data):
    results = cells_over_seeds(seed_data, preset="boltzmannmachines.jl", learning_rate=0.003)
    b_linked = mean_cell(results, "B", "linked")  # truth 0.68: the seed's DBM underestimates it
    c_linked = mean_cell(results, "C", "linked")  # truth 0.19
    assert b_linked > 0.50, b_linked
    assert c_linked < 0.35, c_linked
    for group in ("A", "B", "C"):
        noise = mean_cell(results, group, "noise")
        assert abs(noise - 0.15) < 0.05, (group, noise)


def test_condgen_defaults_reproduce_the_bayes_optimal_conditionals(seed_data):
    results = cells_over_seeds(seed_data)
    worst = np.mean([r.worst_cell.error for r in results])
    b_linked = mean_cell(results, "B", "linked")
    truth_b = results[0].cells[("B", "linked")].truth
    assert worst <= 0.04, worst  # measured 0.028 (dbm-quality.md's recipe: 0.024)
    assert abs(b_linked - truth_b) < 0.05, (b_linked, truth_b)


def test_condgen_defaults_do_not_collapse_on_wide_sparse_data():
    # 20 SNPs x 100 genes, activation 0.8, noise 0.1 (benchmarks/quality.py's "wide" setting, data
    # seeds 2 and 4): with hidden offsets tracking the hidden means, centered pre-training drifted
    # and these fits generated every linked gene as on (worst cell 0.81 and 0.76). Healthy fits
    # measure 0.02-0.09 over 20 seeds, a collapse 0.5 or more; 0.2 separates them far outside
    # the Monte Carlo noise (standard error about 0.005 per cell).
    params = dict(n_snps=20, n_genes=100, snp_noise=0.05, noise=0.1, activation_prob=0.8)
    for seed in (2, 4):
        rng = np.random.default_rng(seed)
        snps, genes = condgen.simulate_snp_gep(300, n_random_samples=150, seed=rng, **params)
        test_snps, _ = condgen.simulate_snp_gep(200, n_random_samples=100, seed=rng, **params)
        truth = bayes_conditional_genes(test_snps, n_samples=200, n_random_samples=100, **params)
        dbm = condgen.DBM(seed=seed, **SEED_SETTINGS).fit(np.hstack([genes, snps]))
        samples = dbm.sample_conditional(test_snps, list(range(100, 120)), steps=50, n_per_row=40, seed=100 + seed)
        worst = conditional_marginal_error(samples[:, :100], truth, n_linked=20).worst_cell.error
        assert worst < 0.2, (seed, worst)


def test_conditional_fine_tuning_meets_the_target_on_wide_data():
    # benchmarks/quality.py's "wide" setting (20 SNPs x 100 genes, 300 rows), data and training
    # seeds 1-5: the joint fine-tuning's worst cell swings with its random stream (.041 +- .029
    # over seeds 1-20), fine-tuning the genes given the SNPs measured .019 +- .011 (these seeds:
    # .018). The target is 0.03 on average; the mean of 5 seeds has a seed-to-seed
    # standard error of about .005, so 0.03 is over 2 of them above the measured mean, and Monte
    # Carlo noise (about .004 per cell) is smaller still.
    params = dict(n_snps=20, n_genes=100, snp_noise=0.05, noise=0.1, activation_prob=0.8)
    worst = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        snps, genes = condgen.simulate_snp_gep(300, n_random_samples=150, seed=rng, **params)
        test_snps, _ = condgen.simulate_snp_gep(200, n_random_samples=100, seed=rng, **params)
        truth = bayes_conditional_genes(test_snps, n_samples=200, n_random_samples=100, **params)
        snp_columns = list(range(100, 120))
        dbm = condgen.DBM(seed=seed, **SEED_SETTINGS).fit(np.hstack([genes, snps]), condition_on=snp_columns)
        samples = dbm.sample_conditional(test_snps, snp_columns, steps=50, n_per_row=40, seed=100 + seed)
        worst.append(conditional_marginal_error(samples[:, :100], truth, n_linked=20).worst_cell.error)
    assert np.mean(worst) <= 0.03, worst


def test_conditional_fine_tuning_meets_the_target_on_weak_data():
    # benchmarks/quality.py's "weak" setting (activation 0.6, noise 0.25, 300 rows), data and
    # training seeds 1-5. The first quarter's rows (few SNPs, linked genes raised) must be told
    # from the unlinked half by the SNP count alone; pre-training with BoltzmannMachines.jl's
    # chain of hidden probabilities never learned that (A/linked -.04, C/linked +.04 over seeds
    # 1-20, worst cell .051 +- .019), true Gibbs chains do (worst cell .034 +- .016 over seeds
    # 1-20, these seeds .028). The mean of 5 seeds has a seed-to-seed standard error of about .007:
    # 0.04 is well above the new mean and over 1.5 of them below the old one; the signed A/linked
    # error's standard error over 5 seeds is about .005.
    params = dict(n_snps=10, n_genes=50, snp_noise=0.05, noise=0.25, activation_prob=0.6)
    worst, a_linked = [], []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        snps, genes = condgen.simulate_snp_gep(300, n_random_samples=150, seed=rng, **params)
        test_snps, _ = condgen.simulate_snp_gep(200, n_random_samples=100, seed=rng, **params)
        truth = bayes_conditional_genes(test_snps, n_samples=200, n_random_samples=100, **params)
        dbm = condgen.DBM(seed=seed, **SEED_SETTINGS).fit(np.hstack([genes, snps]), condition_on=SNP_COLUMNS)
        samples = dbm.sample_conditional(test_snps, SNP_COLUMNS, steps=50, n_per_row=40, seed=100 + seed)
        error = conditional_marginal_error(samples[:, :50], truth)
        worst.append(error.worst_cell.error)
        cell = error.cells[("A", "linked")]
        a_linked.append(cell.frequency - cell.truth)
    assert np.mean(worst) <= 0.04, worst
    assert np.mean(a_linked) > -0.035, a_linked
