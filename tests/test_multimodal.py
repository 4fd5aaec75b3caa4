"""PartitionedRBM and MultimodalDBM (boltzmann.md §1.7-§1.8, §3.2-§3.3, §4, §5.3)."""

import itertools
import json

import condgen
import condgen.persist
import numpy as np
import pytest
from condgen import (
    BernoulliRBM,
    Binomial2BernoulliRBM,
    GaussianBernoulliRBM,
    MultimodalDBM,
    PartitionedRBM,
    Softmax0BernoulliRBM,
)


def bernoulli(W, b, c):
    rbm = BernoulliRBM()
    rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = W, b, c
    return rbm


def test_partitioned_bernoulli_rbms_equal_their_block_diagonal_join():
    rng = np.random.default_rng(0)
    parts = [bernoulli(rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal(2)),
             bernoulli(rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal(3))]
    joined = bernoulli(np.zeros((7, 5)), np.concatenate([p.visible_bias_ for p in parts]),
                       np.concatenate([p.hidden_bias_ for p in parts]))
    joined.weights_[:3, :2], joined.weights_[3:, 2:] = parts[0].weights_, parts[1].weights_
    model = PartitionedRBM.from_rbms(parts)
    V = (rng.random((20, 7)) < 0.5).astype(float)
    H = (rng.random((20, 5)) < 0.5).astype(float)
    np.testing.assert_allclose(model.hidden_probs(V, 2.0), joined.hidden_probs(V, 2.0), rtol=0, atol=1e-14)
    # The factor reaches every part (Julia's PartitionedRBM drops it on the visible side).
    np.testing.assert_allclose(model.visible_probs(H, 1.5), joined.visible_probs(H, 1.5), rtol=0, atol=1e-14)
    np.testing.assert_allclose(model.free_energy(V), joined.free_energy(V), rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.exact_log_partition(), joined.exact_log_partition(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.exact_log_likelihood(V), joined.exact_log_likelihood(V), rtol=0, atol=1e-10)


def test_partitioned_mixed_types_add_up():
    rng = np.random.default_rng(1)
    snp = Binomial2BernoulliRBM()
    snp.weights_, snp.visible_bias_, snp.hidden_bias_ = 0.5 * rng.standard_normal((4, 3)), rng.standard_normal(4), np.zeros(3)
    gene = GaussianBernoulliRBM()
    gene.weights_, gene.visible_bias_, gene.hidden_bias_ = 0.5 * rng.standard_normal((2, 3)), np.zeros(2), np.zeros(3)
    gene.visible_sd_ = np.array([0.5, 2.0])
    model = PartitionedRBM.from_rbms([snp, gene])
    V = np.hstack([rng.integers(0, 3, (10, 4)), rng.normal(size=(10, 2))])
    np.testing.assert_allclose(model.free_energy(V), snp.free_energy(V[:, :4]) + gene.free_energy(V[:, 4:]),
                               rtol=0, atol=1e-12)
    exact = snp.exact_log_partition() + gene.exact_log_partition()
    assert model.exact_log_partition() == pytest.approx(exact, abs=1e-12)
    assert model.log_partition_zero_weights() == pytest.approx(
        snp.log_partition_zero_weights() + gene.log_partition_zero_weights(), abs=1e-12)
    estimate = model.log_partition(n_particles=200, seed=2)
    # Independent AIS runs per part: the sds add in quadrature; 5 sd band (bias ~sd^2/2 negligible).
    assert abs(estimate.value - exact) < 5 * estimate.sd
    samples = model.sample(50, burn_in=3, seed=3)
    assert set(np.unique(samples[:, :4])) <= {0.0, 1.0, 2.0}
    assert samples.shape == (50, 6)


def test_fit_trains_each_part_on_its_block_with_its_settings():
    rng = np.random.default_rng(4)
    X = np.hstack([rng.integers(0, 3, (60, 3)).astype(float), condgen.data.one_or_none_encode(
        rng.integers(0, 3, (60, 2)), 3)])
    parts = [Binomial2BernoulliRBM(n_hidden=2, epochs=3, seed=5), Softmax0BernoulliRBM(categories=3, n_hidden=3,
                                                                                      epochs=2, seed=6)]
    model = PartitionedRBM(parts, n_visibles=[3, None]).fit(X)
    assert not hasattr(parts[0], "weights_")  # the given parts are templates, not modified
    alone = [Binomial2BernoulliRBM(n_hidden=2, epochs=3, seed=5).fit(X[:, :3]),
             Softmax0BernoulliRBM(categories=3, n_hidden=3, epochs=2, seed=6).fit(X[:, 3:])]
    for fitted, expected in zip(model.parts_, alone):
        np.testing.assert_array_equal(fitted.weights_, expected.weights_)
    assert model.hidden_ranges_ == [slice(0, 2), slice(2, 5)]
    assert model.hidden_probs(X).shape == (60, 5)


@pytest.mark.parametrize(("n_visibles", "message"), [
    ([3, 3], "add up to 6 but X has 7 columns"),
    ([None, None], "at most one entry of n_visibles may be None"),
    ([7, None], "none are left"),
    ([3], "n_visibles has 1 entries but there are 2 parts"),
])
def test_partitioned_block_sizes_are_checked(n_visibles, message):
    parts = [BernoulliRBM(n_hidden=2, epochs=1), BernoulliRBM(n_hidden=2, epochs=1)]
    with pytest.raises(ValueError, match=message):
        PartitionedRBM(parts, n_visibles=n_visibles).fit(np.zeros((5, 7)))


def test_partitioned_fit_names_the_failing_part():
    parts = [BernoulliRBM(n_hidden=2, epochs=1), Binomial2BernoulliRBM(n_hidden=2, epochs=1)]
    with pytest.raises(ValueError, match=r"parts\[1\] \(columns 2..3\): X must hold values in \{0, 1, 2\}"):
        PartitionedRBM(parts, n_visibles=[2, 2]).fit(np.hstack([np.zeros((5, 2)), np.full((5, 2), 3.0)]))


# The linked modalities of the multimodal tests: a latent group z (probability 1/2) drives the
# allele frequencies of 10 SNPs (0.7 if z else 0.3) and the means of 5 expressed genes (+1 / -1,
# sd 0.7). Given the SNPs, P(z | s) = sigmoid((2 S - 20) log(7 / 3)) with S = sum(s) (the binomial
# coefficients cancel), so E[gene | s] = 2 P(z | s) - 1 in closed form.
GROUP_ALLELE_FREQUENCY, GENE_SD = 0.7, 0.7


def _simulate_genotype_expression(n, seed):
    rng = np.random.default_rng(seed)
    z = rng.random(n) < 0.5
    snps = rng.binomial(2, np.where(z[:, None], GROUP_ALLELE_FREQUENCY, 1 - GROUP_ALLELE_FREQUENCY),
                        size=(n, 10)).astype(float)
    genes = rng.normal(np.where(z[:, None], 1.0, -1.0), GENE_SD, size=(n, 5))
    return np.hstack([snps, genes])


def _true_gene_mean(snps):
    log_odds = (2 * snps.sum(axis=1) - 20) * np.log(GROUP_ALLELE_FREQUENCY / (1 - GROUP_ALLELE_FREQUENCY))
    return 2 / (1 + np.exp(-log_odds)) - 1


@pytest.fixture(scope="module")
def genotype_expression():
    return _simulate_genotype_expression(1000, seed=0)


@pytest.fixture(scope="module")
def multimodal(genotype_expression):
    # Pre-training steps large enough for the SNP block's hidden units to encode the group (with
    # 0.01 / CD-1 they stay weak and the fitted E[gene | snps] reaches only 0.75-0.84 where the truth
    # is 1), a larger fine-tuning step and 60 fine-tuning epochs: with 20 the fitted means of the
    # test's rows missed the truth by up to 0.2 for some seeds, with 60 by at most 0.056 (seeds 1-6).
    first = PartitionedRBM([
        Binomial2BernoulliRBM(n_hidden=8, epochs=40, learning_rate=0.05, batch_size=10, pcd=True),
        GaussianBernoulliRBM(n_hidden=8, epochs=40, learning_rate=0.05, batch_size=10, pcd="tieleman",
                             sd_learning_rate=0.01),
    ], n_visibles=[10, None])
    return MultimodalDBM(first, n_hiddens=[8], epochs=40, learning_rate=0.05, batch_size=10, pcd=False,
                         fine_tune_epochs=60, fine_tune_learning_rate=0.1, seed=1).fit(genotype_expression)


def _states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def _exact_gene_mean(model, snps):
    """E[genes | snps] of the fitted two-layer MultimodalDBM by enumeration: the genes integrated
    out given the gene block's hidden units h1g (GaussianBernoulliRBM, spec §6.3), the SNP block's
    hidden units summed out given the top layer h2; h1g and h2 (2^16 states) enumerated."""
    first, top = model.layers_
    snp, gene = first.parts_
    n_snp_hidden = snp.weights_.shape[1]
    W2, b2, c2 = top.weights_, top.visible_bias_, top.hidden_bias_
    Hg, H2 = _states(gene.weights_.shape[1]), _states(W2.shape[1])
    G = Hg @ gene.weights_.T  # row: W h1g, so that E[genes | h1g] = b + sigma W h1g
    log_gene = Hg @ (gene.hidden_bias_ + b2[n_snp_hidden:]) + (gene.visible_bias_ * G / gene.visible_sd_
                                                                + 0.5 * G**2).sum(axis=1)
    log_top = log_gene[:, None] + Hg @ W2[n_snp_hidden:] @ H2.T + H2 @ c2
    means = []
    for s in snps:
        snp_input = s @ snp.weights_ + snp.hidden_bias_ + b2[:n_snp_hidden] + H2 @ W2[:n_snp_hidden].T
        log_p = log_top + np.logaddexp(0.0, snp_input).sum(axis=1)
        p_gene_hidden = np.exp(log_p - log_p.max()).sum(axis=1)
        means.append(gene.visible_bias_ + gene.visible_sd_ * (p_gene_hidden @ G) / p_gene_hidden.sum())
    return np.array(means)


def test_multimodal_dbm_reproduces_the_size_of_the_association(multimodal, genotype_expression):
    """Genes sampled given SNP rows that put the group beyond doubt (true E[gene | snps] = +-1 to 4
    decimals) have the true mean, not only its sign."""
    test_snps = _simulate_genotype_expression(40, seed=99)[:, :10]
    S = test_snps.sum(axis=1)
    rows = np.vstack([test_snps[S <= 5][:3], test_snps[S >= 15][:3]])
    truth = _true_gene_mean(rows)
    # Modelling slack: a model learns from the 1000 training rows, so it cannot be asked to be
    # closer to the truth than the plug-in estimate, the mean of the genes of the training rows in
    # the same evidence class (S <= 5 or S >= 15); its standard error is the sd of their row means
    # over the square root of their number (~170 rows: about 0.025).
    train_S = genotype_expression[:, :10].sum(axis=1)
    plugin_se = []
    for low in (True, False):
        group = genotype_expression[train_S <= 5 if low else train_S >= 15, 10:].mean(axis=1)
        assert abs(group.mean() - (-1.0 if low else 1.0)) < 3 * group.std(ddof=1) / np.sqrt(group.size)
        plugin_se += [group.std(ddof=1) / np.sqrt(group.size)] * 3
    plugin_se = np.array(plugin_se)
    # The fit itself, exactly (no sampling): within 3 plug-in standard errors of the truth. With
    # the earlier settings (pre-training steps 0.01 / 0.005, fine-tuning 0.03) the fitted means
    # were 0.75-0.84 on the S >= 15 rows.
    exact = _exact_gene_mean(multimodal, rows).mean(axis=1)
    np.testing.assert_array_less(np.abs(exact - truth), 3 * plugin_se)
    # The samples: 200 independent chains per row, so the Monte Carlo se of a row's mean is the sd
    # of its chains' gene means over sqrt(200) (about 0.03). Conditional chains of this model mix
    # slowly (Gaussian genes hold their hidden units and vice versa): with the exact means within
    # 0.035 of the truth, 100 sweeps left the sample means 0.07-0.34 short (fit seeds 1-3: up to
    # 0.48), 2000 sweeps within 0.03 (seeds 1-3: 0.09).
    n_chains = 200
    samples = multimodal.sample_conditional(rows, np.arange(10), steps=2000, n_per_row=n_chains, seed=2)
    np.testing.assert_array_equal(samples[:, :10], np.repeat(rows, n_chains, axis=0))  # kept clamped
    chain_means = samples[:, 10:].mean(axis=1).reshape(len(rows), n_chains)
    mc_se = chain_means.std(axis=1, ddof=1) / np.sqrt(n_chains)
    np.testing.assert_array_less(np.abs(chain_means.mean(axis=1) - truth), 3 * np.sqrt(mc_se**2 + plugin_se**2))
    # The Gaussian block keeps its scale: the learned sds are close to the within-group sd 0.7.
    gene_sd = multimodal.layers_[0].parts_[1].visible_sd_
    assert np.all(np.abs(gene_sd - GENE_SD) < 0.1)


def test_multimodal_mean_field_is_a_fixed_point(multimodal, genotype_expression):
    X = genotype_expression[:50]
    mu = multimodal.mean_field(X)
    first, top = multimodal.layers_
    input1 = np.hstack([X[:, :10] @ first.parts_[0].weights_ + first.parts_[0].hidden_bias_,
                        (X[:, 10:] / first.parts_[1].visible_sd_) @ first.parts_[1].weights_
                        + first.parts_[1].hidden_bias_])
    expected1 = 1 / (1 + np.exp(-(input1 + mu[2] @ top.weights_.T + top.visible_bias_)))
    expected2 = 1 / (1 + np.exp(-(mu[1] @ top.weights_ + top.hidden_bias_)))
    # Iteration stops once no entry moves by more than mean_field_tol = 1e-3.
    assert np.max(np.abs(mu[1] - expected1)) < 2e-3
    assert np.max(np.abs(mu[2] - expected2)) < 2e-3


def _all_arrays(model):
    """Every fitted array of a MultimodalDBM or PartitionedRBM, in order."""
    parts = [part for layer in model.layers_ for part in getattr(layer, "parts_", [layer])] \
        if isinstance(model, MultimodalDBM) else model.parts_
    return [a for part in parts for a in (part.weights_, part.visible_bias_, part.hidden_bias_,
                                          *([part.visible_sd_] if hasattr(part, "visible_sd_") else []))]


@pytest.mark.parametrize("which", ["multimodal", "partitioned"])
def test_multimodal_and_partitioned_save_load_identical(tmp_path, multimodal, which):
    model = multimodal if which == "multimodal" else multimodal.layers_[0]
    loaded = condgen.load(model.save(tmp_path / "m.npz"))
    assert type(loaded) is type(model)
    assert len(_all_arrays(loaded)) == len(_all_arrays(model)) > 0
    for a, b in zip(_all_arrays(model), _all_arrays(loaded)):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    # The per-block settings come back as estimators of the parts' classes (seeds are not stored).
    first, loaded_first = (model.first_layer, loaded.first_layer) if which == "multimodal" else (model, loaded)
    assert [type(p) for p in loaded_first.parts] == [type(p) for p in first.parts]
    for a, b in zip(first.parts, loaded_first.parts):
        assert b.get_params() == {**a.get_params(), "seed": None}
    if which == "multimodal":
        assert loaded.layer_sizes_ == model.layer_sizes_
        values = np.ones((2, 10))
        np.testing.assert_array_equal(model.sample_conditional(values, np.arange(10), steps=3, seed=4),
                                      loaded.sample_conditional(values, np.arange(10), steps=3, seed=4))
    else:
        assert loaded.visible_ranges_ == model.visible_ranges_
        np.testing.assert_array_equal(model.sample(5, burn_in=2, seed=4), loaded.sample(5, burn_in=2, seed=4))


def _rewrite(path, change):
    with np.load(path, allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    change(entries)
    with open(path, "wb") as handle:
        np.savez(handle, **entries)


def _shift_block(entries):
    """Move the second visible block by one column in the metadata (the arrays stay intact)."""
    metadata = json.loads(entries["__condgen_metadata__"].tobytes())
    metadata["fitted"]["layers_"]["list"][0]["state"]["visible_ranges_"]["list"][1]["slice"][0] += 1
    entries["__condgen_metadata__"] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)


@pytest.mark.parametrize(("damage", "message"), [
    (lambda e: e.__setitem__("fitted/layers_/0/parts_/1/visible_sd_", e["fitted/layers_/0/parts_/1/visible_sd_"] * 2),
     "SHA-256 does not match"),
    (lambda e: e.pop("fitted/layers_/0/parts_/0/weights_"), "arrays differ from the metadata"),
    (_shift_block, "visible_ranges_ does not match"),
])
def test_multimodal_tampered_file_rejected(tmp_path, multimodal, damage, message):
    path = multimodal.save(tmp_path / "m.npz")
    _rewrite(path, damage)
    with pytest.raises(condgen.persist.ModelFileError, match=message):
        condgen.load(path)


@pytest.mark.parametrize("n_hiddens", [[2], [2, 2], [2, 1, 2]])
def test_multimodal_exact_log_partition_matches_brute_force(n_hiddens):
    rng = np.random.default_rng(7)

    def params(cls, nv, nh):
        rbm = cls()
        rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = (rng.normal(0, 0.7, (nv, nh)), rng.normal(0, 0.5, nv),
                                                              rng.normal(0, 0.5, nh))
        return rbm

    binomial, bernoulli = params(Binomial2BernoulliRBM, 2, 2), params(BernoulliRBM, 2, 1)
    sizes = [3, *n_hiddens]
    upper = [params(BernoulliRBM, a, b) for a, b in zip(sizes, sizes[1:])]
    model = MultimodalDBM(PartitionedRBM([Binomial2BernoulliRBM(), BernoulliRBM()]), n_hiddens=n_hiddens)
    model.layers_ = [PartitionedRBM.from_rbms([binomial, bernoulli]), *upper]
    model.n_features_in_ = 4
    # Brute force over every state: v in {0,1,2}^2 x {0,1}^2, all hidden units binary. A Binomial(2)
    # unit is two Bernoulli units (spec 1.2), so v = 1 counts twice: log 2 per such unit.
    grids = [[0.0, 1.0, 2.0]] * 2 + [[0.0, 1.0]] * (2 + sum(sizes))
    states = np.array(list(itertools.product(*grids)))
    v, rest = states[:, :4], states[:, 4:]
    layers = np.split(rest, np.cumsum(sizes)[:-1], axis=1)
    h1 = layers[0]
    log_p = (np.einsum("ni,ij,nj->n", v[:, :2], binomial.weights_, h1[:, :2]) + v[:, :2] @ binomial.visible_bias_
             + h1[:, :2] @ binomial.hidden_bias_ + np.log(2.0) * np.sum(v[:, :2] == 1, axis=1)
             + np.einsum("ni,ij,nj->n", v[:, 2:], bernoulli.weights_, h1[:, 2:]) + v[:, 2:] @ bernoulli.visible_bias_
             + h1[:, 2:] @ bernoulli.hidden_bias_)
    for rbm, lower, higher in zip(upper, layers, layers[1:]):
        log_p += np.einsum("ni,ij,nj->n", lower, rbm.weights_, higher) + lower @ rbm.visible_bias_ \
            + higher @ rbm.hidden_bias_
    expected = np.logaddexp.reduce(log_p)
    assert model.exact_log_partition() == pytest.approx(expected, abs=1e-10)


def test_multimodal_exact_log_partition_refuses_large_models():
    model = MultimodalDBM(BernoulliRBM(), n_hiddens=[13])
    model.layers_ = [BernoulliRBM(), BernoulliRBM()]
    for layer, (nv, nh) in zip(model.layers_, [(2, 3), (3, 13)]):
        layer.weights_, layer.visible_bias_, layer.hidden_bias_ = np.zeros((nv, nh)), np.zeros(nv), np.zeros(nh)
    model.n_features_in_ = 2
    with pytest.raises(ValueError, match=r"2\^13 configurations"):
        model.exact_log_partition()


def test_multimodal_input_errors(multimodal):
    with pytest.raises(ValueError, match="columns must be distinct indices"):
        multimodal.sample_conditional(np.zeros((1, 2)), [0, 0])
    with pytest.raises(ValueError, match="values has 1 columns, expected 2"):
        multimodal.sample_conditional(np.zeros((1, 1)), [0, 1])
    with pytest.raises(ValueError, match="n_hiddens must not be empty"):
        MultimodalDBM(BernoulliRBM(), n_hiddens=[]).fit(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="first_layer must be a PartitionedRBM or an RBM estimator"):
        MultimodalDBM("rbm").fit(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="not fitted"):
        MultimodalDBM(BernoulliRBM()).sample(3)


def random_model(cls, nv, nh, seed):
    rng = np.random.default_rng(seed)
    model = cls()
    model.weights_ = rng.standard_normal((nv, nh))
    model.visible_bias_ = rng.standard_normal(nv)
    model.hidden_bias_ = rng.standard_normal(nh)
    if cls in (GaussianBernoulliRBM,):
        model.visible_sd_ = rng.uniform(0.5, 1.5, nv)
    return model


@pytest.mark.parametrize("cls", [BernoulliRBM, Binomial2BernoulliRBM, GaussianBernoulliRBM])
def test_joined_rbms_add_log_partition_and_free_energy(cls):
    parts = [random_model(cls, 3, 2, 8), random_model(cls, 2, 3, 9)]
    order = [np.array([4, 0, 2]), np.array([1, 3])]  # visible units interleaved
    joined = condgen.join_rbms(parts, visible_indices=order)
    assert type(joined) is cls
    assert joined.weights_.shape == (5, 5)
    assert joined.exact_log_partition() == pytest.approx(sum(p.exact_log_partition() for p in parts), abs=1e-10)
    rng = np.random.default_rng(10)
    V = rng.normal(size=(7, 5)) if cls is GaussianBernoulliRBM else rng.integers(0, 2, (7, 5)).astype(float)
    expected = parts[0].free_energy(V[:, order[0]]) + parts[1].free_energy(V[:, order[1]])
    np.testing.assert_allclose(joined.free_energy(V), expected, rtol=0, atol=1e-12)
    # Consecutive by default: the joined model is the PartitionedRBM of the parts.
    consecutive = condgen.join_rbms(parts)
    np.testing.assert_allclose(consecutive.hidden_probs(V), PartitionedRBM.from_rbms(parts).hidden_probs(V),
                               rtol=0, atol=1e-14)


def test_joined_dbms_add_log_partition():
    def dbm(sizes, seed):
        rng = np.random.default_rng(seed)
        return condgen.DBM.from_rbms([bernoulli(rng.standard_normal((a, b)), rng.standard_normal(a),
                                                rng.standard_normal(b)) for a, b in zip(sizes[:-1], sizes[1:])])

    parts = [dbm([3, 2, 3], 11), dbm([2, 3, 2], 12)]
    joined = condgen.join_dbms(parts, visible_indices=[[0, 2, 4], [1, 3]])
    assert joined.layer_sizes_ == [5, 5, 5]
    assert joined.exact_log_partition() == pytest.approx(sum(p.exact_log_partition() for p in parts), abs=1e-9)


def test_join_errors():
    a, b = random_model(BernoulliRBM, 2, 2, 0), random_model(Binomial2BernoulliRBM, 2, 2, 1)
    with pytest.raises(ValueError, match="must all be of one type"):
        condgen.join_rbms([a, b])
    with pytest.raises(ValueError, match=r"cover the columns 0\.\.3 exactly once"):
        condgen.join_rbms([a, a], visible_indices=[[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="visible_indices has 1 lists"):
        condgen.join_rbms([a, a], visible_indices=[[0, 1]])
    softmax = Softmax0BernoulliRBM(categories=2)
    softmax.weights_, softmax.visible_bias_, softmax.hidden_bias_ = np.zeros((2, 1)), np.zeros(2), np.zeros(1)
    with pytest.raises(ValueError, match="does not support Softmax0BernoulliRBM"):
        condgen.join_rbms([softmax, softmax])
