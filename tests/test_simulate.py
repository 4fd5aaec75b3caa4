import numpy as np
import pytest

from condgen import simulate_snp_gep

N = 40_000


@pytest.fixture(scope="module")
def large():
    return simulate_snp_gep(N, n_random_samples=N // 2, seed=123)


def _within(values, p, se_count=4):
    values = np.asarray(values)
    se = np.sqrt(p * (1 - p) / values.size)
    assert abs(values.mean() - p) <= se_count * se + 1e-12, (values.mean(), p, se)


def test_block_probabilities(large):
    snps, genes = large
    q, h = N // 4, N // 2
    k = N - N // 2
    _within(snps[:q], 0.05)
    _within(snps[q:h], 0.95)
    _within(snps[h:], 0.15)
    _within(genes[:, 10:], 0.15)
    _within(genes[k:, :10], 0.15)
    linked_genes, linked_snps = genes[:k, :10], snps[:k]
    _within(linked_genes[linked_snps == 1], 0.7)
    _within(linked_genes[linked_snps == 0], 0.3)


def test_shapes_values_and_dtype():
    snps, genes = simulate_snp_gep(seed=0)
    assert snps.shape == (300, 10)
    assert genes.shape == (300, 50)
    assert snps.dtype == genes.dtype == np.float64
    assert set(np.unique(snps)) <= {0.0, 1.0}
    assert set(np.unique(genes)) <= {0.0, 1.0}


@pytest.mark.parametrize("n", [1, 2, 3, 7, 13])
def test_block_boundaries_follow_integer_division(n):
    # with extreme probabilities every block is deterministic, so the boundaries are visible
    snps, genes = simulate_snp_gep(n, n_snps=2, n_genes=3, snp_noise=0.0, noise=0.0,
                                   activation_prob=1.0, n_random_samples=n // 3, seed=1)
    q, h, k = n // 4, n // 2, n - n // 3
    expected_snps = np.zeros((n, 2))
    expected_snps[q:h] = 1.0
    np.testing.assert_array_equal(snps, expected_snps)
    expected_genes = np.zeros((n, 3))
    expected_genes[:k, :2] = expected_snps[:k]  # p = 1 where the SNP is 1, 0 where it is 0
    np.testing.assert_array_equal(genes, expected_genes)


def test_same_seed_same_arrays_and_one_stream():
    a = simulate_snp_gep(seed=5)
    b = simulate_snp_gep(seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    rng = np.random.default_rng(5)
    first = simulate_snp_gep(seed=rng)
    second = simulate_snp_gep(seed=rng)
    np.testing.assert_array_equal(first[0], a[0])
    assert not np.array_equal(first[1], second[1])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_samples": -1}, "n_samples"),
        ({"n_samples": 0}, "n_samples"),
        ({"n_snps": -3}, "n_snps"),
        ({"n_genes": 0}, "n_genes"),
        ({"n_samples": 10.5}, "n_samples"),
        ({"n_samples": True}, "n_samples"),
        ({"snp_noise": 1.5}, "snp_noise"),
        ({"noise": -0.1}, "noise"),
        ({"activation_prob": float("nan")}, "activation_prob"),
        ({"n_random_samples": 301}, "n_random_samples"),
        ({"n_random_samples": -1}, "n_random_samples"),
        ({"n_snps": 60}, "n_snps"),
    ],
)
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        simulate_snp_gep(**kwargs)
