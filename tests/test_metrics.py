import itertools
import json
import math

import numpy as np
import pytest
from condgen import simulate_snp_gep
from condgen.metrics import (
    bayes_conditional_genes,
    bayes_conditional_log_likelihood,
    bayes_conditional_snps,
    conditional_marginal_error,
    expected_marginal_error,
    experiment_groups,
    log_odds_ratio_rmse,
    membership_precision,
)

# A large simulation in which group C splits: k = n - n_random = 5/8 n lies between h and n.
N = 96_000
PARAMS = {"n_samples": N, "n_random_samples": 3 * N // 8}


@pytest.fixture(scope="module")
def large():
    return simulate_snp_gep(seed=7, **PARAMS)


def _assert_calibrated(outcome, prob, strata):
    """Given the conditioning variables, outcome - P(outcome | ...) has mean 0 and variance
    p (1 - p) per row, so within each stratum z = sum(residual) / sqrt(sum p (1 - p)) is
    standard normal. About 200 strata are tested; |z| < 4.5 has family-wise error < 0.2%."""
    for key in np.unique(strata):
        rows = strata == key
        if rows.sum() < 50:
            continue
        p = prob[rows]
        z = (outcome[rows] - p).sum() / math.sqrt((p * (1 - p)).sum())
        assert abs(z) < 4.5, (key, z)


def test_bayes_genes_match_monte_carlo(large):
    snps, genes = large
    prob = bayes_conditional_genes(snps, **PARAMS)
    assert prob.shape == genes.shape
    n_present = snps.sum(axis=1).astype(int)
    for j in range(10):
        # strata: number of present SNPs and SNP j itself (the sufficient statistics of P(gene_j | s))
        _assert_calibrated(genes[:, j], prob[:, j], 2 * n_present + snps[:, j].astype(int))
    noise_genes = genes[:, 10:]
    np.testing.assert_array_equal(prob[:, 10:], 0.15)
    assert abs(noise_genes.mean() - 0.15) < 4 * math.sqrt(0.15 * 0.85 / noise_genes.size)


def test_bayes_genes_all_zero_and_all_one_rows(large):
    # defaults: A (prior 1/4, p 0.05), B (1/4, 0.95), C (1/2, 0.15, unlinked as k = h)
    pa, pc = 0.25 * 0.95**10, 0.5 * 0.85**10
    pb = 0.25 * 0.05**10
    expected_zero = (pa * 0.3 + pb * 0.3 + pc * 0.15) / (pa + pb + pc)
    pa1, pb1, pc1 = 0.25 * 0.05**10, 0.25 * 0.95**10, 0.5 * 0.15**10
    expected_one = ((pa1 + pb1) * 0.7 + pc1 * 0.15) / (pa1 + pb1 + pc1)
    prob = bayes_conditional_genes(np.array([[0.0] * 10, [1.0] * 10]))
    np.testing.assert_allclose(prob[0, :10], expected_zero, rtol=1e-12)
    np.testing.assert_allclose(prob[1, :10], expected_one, rtol=1e-12)
    assert round(expected_zero, 3) == 0.240
    assert round(expected_one, 3) == 0.700
    # and against the large simulation (its priors differ from the defaults: pass them)
    snps, genes = large
    prob = bayes_conditional_genes(np.array([[0.0] * 10, [1.0] * 10]), **PARAMS)
    for row, pattern in enumerate((0.0, 1.0)):
        selected = genes[np.all(snps == pattern, axis=1), :10]
        p = prob[row, 0]
        se = math.sqrt(p * (1 - p) / selected.size)
        assert abs(selected.mean() - p) < 4 * se


def test_bayes_snps_match_monte_carlo(large):
    snps, genes = large
    prob = bayes_conditional_snps(genes, **PARAMS)
    assert prob.shape == snps.shape
    n_on = genes[:, :10].sum(axis=1).astype(int)
    for j in range(10):
        _assert_calibrated(snps[:, j], prob[:, j], 2 * n_on + genes[:, j].astype(int))


def test_hand_computed_single_snp_case():
    # n = 4 rows: A = row 0 (p = 0.1, linked), B = row 1 (p = 0.9, linked), C = rows 2-3 (p = 0.2,
    # unlinked). Joint weights of (snp = 1, group): 0.25*0.1, 0.25*0.9, 0.5*0.2 = 0.025, 0.225, 0.1.
    params = {"n_samples": 4, "n_snps": 1, "n_genes": 1, "snp_noise": 0.1, "noise": 0.2,
              "activation_prob": 0.8, "n_random_samples": 2}
    # P(gene = 1 | snp = 1) = (0.025 + 0.225) / 0.35 * 0.8 + 0.1 / 0.35 * 0.2 = 22 / 35
    assert bayes_conditional_genes([[1.0]], **params)[0, 0] == pytest.approx(22 / 35, rel=1e-14)
    # weights for snp = 0: 0.225, 0.025, 0.4 -> (0.25 * 0.2 + 0.4 * 0.2) / 0.65 = 0.2
    assert bayes_conditional_genes([[0.0]], **params)[0, 0] == pytest.approx(0.2, rel=1e-14)
    ll = bayes_conditional_log_likelihood([[1.0], [1.0]], [[1.0], [0.0]], **params)
    np.testing.assert_allclose(ll, np.log([22 / 35, 13 / 35]), rtol=1e-14)
    # reverse: P(snp=1, gene=1) = 0.025*0.8 + 0.225*0.8 + 0.1*0.2 = 0.22,
    #          P(snp=0, gene=1) = 0.225*0.2 + 0.025*0.2 + 0.4*0.2 = 0.13
    assert bayes_conditional_snps([[1.0]], **params)[0, 0] == pytest.approx(0.22 / 0.35, rel=1e-14)
    # P(snp=1, gene=0) = 0.13, P(snp=0, gene=0) = 0.52
    assert bayes_conditional_snps([[0.0]], **params)[0, 0] == pytest.approx(0.2, rel=1e-14)


def test_log_likelihood_is_normalised_and_consistent_with_marginals():
    params = {"n_samples": 20, "n_snps": 3, "n_genes": 4, "snp_noise": 0.1, "noise": 0.25,
              "activation_prob": 0.75, "n_random_samples": 7}
    gene_rows = np.array(list(itertools.product([0.0, 1.0], repeat=4)))
    for snp_row in itertools.product([0.0, 1.0], repeat=3):
        snps = np.tile(snp_row, (len(gene_rows), 1))
        p = np.exp(bayes_conditional_log_likelihood(snps, gene_rows, **params))
        assert p.sum() == pytest.approx(1.0, abs=1e-13)
        marginal = bayes_conditional_genes([snp_row], **params)[0]
        np.testing.assert_allclose(p @ gene_rows, marginal, atol=1e-13)


def test_degenerate_probabilities_are_exact():
    # snp_noise = 0: group A only has zero SNPs, B only ones; a mixed row must come from C
    params = {"snp_noise": 0.0, "n_snps": 2, "n_genes": 2}
    prob = bayes_conditional_genes([[1.0, 0.0], [1.0, 1.0]], **params)
    np.testing.assert_allclose(prob[0], 0.15)
    assert np.all(np.isfinite(bayes_conditional_log_likelihood([[1.0, 0.0]], [[1.0, 1.0]], **params)))
    with pytest.raises(ValueError, match="probability zero"):
        bayes_conditional_genes([[1.0, 0.0]], snp_noise=0.0, noise=0.0, n_snps=2, n_genes=2)
    # noise = 0 and activation 1: a noise gene that is on is impossible
    ll = bayes_conditional_log_likelihood([[1.0]], [[1.0, 1.0]], n_snps=1, n_genes=2, noise=0.0,
                                          activation_prob=1.0)
    assert ll[0] == -np.inf


def test_bayes_input_errors():
    with pytest.raises(TypeError, match="unknown simulator parameter"):
        bayes_conditional_genes(np.zeros((1, 10)), seed=1)
    with pytest.raises(ValueError, match="binary"):
        bayes_conditional_genes(np.full((1, 10), 0.5))
    with pytest.raises(ValueError, match="columns"):
        bayes_conditional_genes(np.zeros((1, 10)), n_snps=9)
    with pytest.raises(ValueError, match="n_snps"):
        bayes_conditional_genes(np.zeros((1, 10)), n_genes=5)
    with pytest.raises(ValueError, match="noise"):
        bayes_conditional_snps(np.zeros((1, 50)), noise=1.5)
    with pytest.raises(ValueError, match="same number of rows"):
        bayes_conditional_log_likelihood(np.zeros((2, 10)), np.zeros((3, 50)))


def test_experiment_groups_follow_integer_division():
    groups = experiment_groups(10)
    assert [g.tolist() for g in groups.values()] == [[0, 1], [2, 3, 4], [5, 6, 7, 8, 9]]
    assert list(experiment_groups(2)) == ["B", "C"]


def test_marginal_error_hand_computed():
    truth = np.array([[0.5, 0.2, 0.1], [0.4, 0.2, 0.3], [0.9, 0.6, 0.5], [0.1, 0.0, 1.0]])
    samples = np.array([
        [[1, 0, 0], [0, 0, 0]],   # freq 0.5 0 0
        [[1, 1, 0], [1, 0, 0]],   # freq 1 0.5 0
        [[1, 1, 1], [1, 0, 1]],   # freq 1 0.5 1
        [[0, 0, 1], [0, 0, 1]],   # freq 0 0 1
    ], dtype=float)
    groups = {"first": [0, 1], "rest": slice(2, None)}
    result = conditional_marginal_error(samples, truth, groups=groups, n_linked=1)
    abs_error = np.array([[0, 0.2, 0.1], [0.6, 0.3, 0.3], [0.1, 0.1, 0.5], [0.1, 0.0, 0.0]])
    assert result.mae == pytest.approx(abs_error.mean(), abs=1e-15)
    assert result.n_per_row == 2
    cell = result.cells[("first", "noise")]
    assert cell.frequency == pytest.approx((0 + 0 + 0.5 + 0) / 4)
    assert cell.truth == pytest.approx((0.2 + 0.1 + 0.2 + 0.3) / 4)
    assert cell.bias == pytest.approx(0.125 - 0.2)
    assert cell.mae == pytest.approx((0.2 + 0.1 + 0.3 + 0.3) / 4)
    # frequency_se: per row and sample the cell mean, rows 0: (0, 0), row 1: (0.5, 0)
    # -> variances 0 and 0.125, sqrt((0 + 0.125) / 2) / 2
    assert cell.frequency_se == pytest.approx(math.sqrt(0.125 / 2) / 2)
    # linked cell of "first": freqs 0.5, 1 vs 0.5, 0.4 -> bias 0.3, the largest |bias|
    assert result.cells[("first", "linked")].bias == pytest.approx(0.3)
    assert result.worst_cell.group == "first"
    assert result.worst_cell.block == "linked"
    assert result.worst_cell.error == pytest.approx(0.3)
    # the 2-D layout (samples of row i consecutive) gives the same numbers
    flat = conditional_marginal_error(samples.reshape(8, 3), truth, groups=groups, n_linked=1)
    assert flat.to_dict() == result.to_dict()
    json.dumps(result.to_dict())


def _replicate(model, truth, rng, n_per_row=40, n_replications=200):
    maes, biases, mae_ses, bias_ses = [], [], [], []
    for _ in range(n_replications):
        samples = (rng.random((truth.shape[0], n_per_row, truth.shape[1])) < model[:, None, :]).astype(float)
        result = conditional_marginal_error(samples, truth)
        maes.append(result.mae)
        mae_ses.append(result.mae_se)
        cell = result.cells[("B", "linked")]
        biases.append(cell.bias)
        bias_ses.append(cell.frequency_se)
    return np.array(maes), np.mean(mae_ses), np.array(biases), np.mean(bias_ses)


def test_marginal_error_standard_errors_match_replications():
    # The reported standard errors must match the spread of the estimates over independent
    # replications. With 200 replications the sample sd has a relative error of about
    # 1 / sqrt(2 * 199) = 5%, so 20% is 4 of those.
    rng = np.random.default_rng(3)
    truth = bayes_conditional_genes(simulate_snp_gep(80, n_random_samples=40, seed=2)[0])
    # every frequency off the truth by 0.25, over 3 sds of a frequency of 40 samples (at most
    # sqrt(0.25 / 40) = 0.079): the linearisation of the MAE is accurate
    maes, mae_se, biases, bias_se = _replicate(truth + 0.25, truth, rng)
    assert np.std(maes, ddof=1) == pytest.approx(mae_se, rel=0.2)
    assert np.std(biases, ddof=1) == pytest.approx(bias_se, rel=0.2)
    # the cell bias is estimated without bias: mean over replications within 4 standard errors
    assert abs(biases.mean() - 0.25) < 4 * bias_se / math.sqrt(len(biases))
    # a model equal to the truth: the cell se stays exact, the MAE's se is conservative
    maes, mae_se, biases, bias_se = _replicate(truth, truth, rng)
    assert np.std(biases, ddof=1) == pytest.approx(bias_se, rel=0.2)
    assert np.std(maes, ddof=1) < mae_se


def test_marginal_error_one_sample_per_row_has_nan_se_and_errors():
    truth = np.full((4, 12), 0.3)
    result = conditional_marginal_error(np.zeros((4, 12)), truth)
    assert math.isnan(result.mae_se)
    assert result.mae == pytest.approx(0.3)
    assert list(result.cells) == [(g, b) for g in "ABC" for b in ("linked", "noise")]
    with pytest.raises(ValueError, match="multiple"):
        conditional_marginal_error(np.zeros((6, 12)), truth)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        conditional_marginal_error(np.full((4, 12), 2.0), truth)
    with pytest.raises(ValueError, match="selects nothing"):
        conditional_marginal_error(np.zeros((4, 12)), truth, groups={"x": []})
    with pytest.raises(ValueError, match="outside"):
        conditional_marginal_error(np.zeros((4, 12)), truth, blocks={"x": [12]})


def test_log_odds_ratio_rmse_hand_computed():
    # reference pair table: n11 = 2, n00 = 1, n10 = 1, n01 = 0 (floored to 0.5) -> log 4
    reference = np.array([[1, 1], [1, 1], [0, 0], [1, 0]], dtype=float)
    # synthetic: one row per cell -> log odds ratio 0
    synthetic = np.array([[1, 1], [0, 0], [1, 0], [0, 1]], dtype=float)
    assert log_odds_ratio_rmse(synthetic, reference) == pytest.approx(math.log(4))
    assert log_odds_ratio_rmse(reference, reference) == 0.0
    # three columns: pairs (1,0), (2,0), (2,1); the third column copies the first
    ref3 = np.column_stack([reference, reference[:, 0]])
    syn3 = np.column_stack([synthetic, synthetic[:, 0]])
    # pair (2, 0) in ref3: n11 = 3, n00 = 1, others 0 -> log(3 / 0.25); in syn3: 2*2/(0.25)
    # pair (2, 1) equals pair (1, 0) in both
    diffs = [math.log(4), math.log(3 / 0.25) - math.log(4 / 0.25), math.log(4)]
    expected = math.sqrt(np.mean(np.square(diffs)))
    assert log_odds_ratio_rmse(syn3, ref3) == pytest.approx(expected)
    with pytest.raises(ValueError, match="columns"):
        log_odds_ratio_rmse(synthetic, ref3)


def test_membership_precision_hand_computed():
    train = np.array([[0, 0, 0, 0], [1, 1, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]], dtype=float)
    holdout = np.array([[0, 0, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0]], dtype=float)
    synthetic = train[:2].copy()
    # threshold 0: train rows 0, 1 and holdout row 3 (a copy of train row 0) are claimed
    assert membership_precision(synthetic, train, holdout, 0) == pytest.approx(2 / 3)
    # threshold 1 adds holdout row 0 (distance 1 to train row 0)
    assert membership_precision(synthetic, train, holdout, 1) == pytest.approx(2 / 4)
    assert math.isnan(membership_precision(np.array([[1, 1, 1, 0.0]]), holdout[:1], holdout[:1], 0))
    with pytest.raises(ValueError, match="threshold"):
        membership_precision(synthetic, train, holdout, -1)


def test_expected_marginal_error_of_a_perfect_sampler():
    truth = np.array([[0.0, 0.3, 1.0], [0.5, 0.15, 0.7]])
    # one sample: E|x - t| = 2 t (1 - t)
    assert expected_marginal_error(truth, 1) == pytest.approx(np.mean(2 * truth * (1 - truth)), rel=1e-14)
    # two samples, t = 0.5: |f - t| is 0.5 with probability 1/2 and 0 otherwise
    assert expected_marginal_error([[0.5]], 2) == pytest.approx(0.25, rel=1e-14)
    # against 400 replications of conditional_marginal_error with exact draws: within 4 standard
    # errors (sd / sqrt(400)) of the replications' mean
    rng = np.random.default_rng(5)
    truth = rng.random((60, 100))
    maes = [conditional_marginal_error((rng.random((60, 7, 100)) < truth[:, None, :]).astype(float), truth).mae
            for _ in range(400)]
    assert np.mean(maes) == pytest.approx(expected_marginal_error(truth, 7), abs=4 * np.std(maes) / 20)
    with pytest.raises(ValueError, match="probabilities"):
        expected_marginal_error([[1.5]], 3)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 40, 41, 500])
def test_expected_marginal_error_matches_the_binomial_sum(n):
    """de Moivre's closed form against the direct sum over the Binomial(n, t) pmf."""
    import math

    truth = np.concatenate([np.random.default_rng(n).random(30), [0.0, 1.0, 0.5, 0.25, 0.1, 1 / n]])
    k = np.arange(n + 1)
    pmf = np.array([[math.comb(n, i) * t**i * (1 - t) ** (n - i) for i in k] for t in truth])
    direct = np.mean((pmf * np.abs(k / n - truth[:, None])).sum(axis=1))
    assert expected_marginal_error(truth, n) == pytest.approx(direct, rel=1e-10, abs=1e-15)
