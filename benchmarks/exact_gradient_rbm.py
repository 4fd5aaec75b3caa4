"""Diagnosis of the DBM's bias on quality.py's "weak" setting: an RBM trained by the exact
likelihood gradient.

With few hidden units the hidden states can be enumerated, so the model's expectations, and
with them the likelihood gradient, are exact (no Gibbs chains, no mean-field), and so is the
conditional ``P(gene_j = 1 | SNPs)`` of the fitted RBM (the genes summed out analytically per
hidden state). The RBM is trained on quality.py's training rows (genes, then SNPs) by full-batch
ascent on the joint log-likelihood or on the conditional one, ``log p(genes | SNPs)`` (what
``DBM.fit(X, condition_on=snp_columns)`` fine-tunes), with Adam or plain gradient steps, from
small random weights or from condgen's centered pre-training of a DBM's first layer; the joint
one also by minibatches, with persistent chains or the exact negative phase. It is
measured with quality.py's worst cell on its test rows (exact probabilities, no sampling noise),
plus the mean conditional of the linked genes on the first quarter (A), second quarter (B) and
second half (C) of the training rows along the way.

    python benchmarks/exact_gradient_rbm.py [--family weak] [--hidden 10] [--steps 20000]
        [--learning-rate 0.01] [--objective joint|conditional] [--optimizer adam|sgd]
        [--init random|pretrained] [--pretrain-pcd probabilities|tieleman] [--rows 300]
        [--centering] [--input-rate 1] [--batch-size 0] [--pcd-chains 0] [--decay] [--seeds 1-3]

Runs of 2026-12-06, weak, 10 hidden units, worst cell on seeds 1-3 (condgen's DBM: defaults
.049 +- .020, conditional fine-tuning .052 +- .018 over seeds 1-20, both with A/linked about -.04
and C/linked about +.04):

* joint, Adam at 0.01, 20,000 steps: .013, .014, .039. On seed 1's training rows A/linked 0.324
  after 2,000 steps, 0.346 after 4,000, 0.353 after 6,000, 0.361 from 10,000 on (Bayes-optimal
  0.354, observed 0.411), C/linked 0.300 -> 0.276 (0.280). 4,000 steps with 12 hidden units give
  .029, .028, .033; with 4 hidden units .030, .048, .049.
* joint, plain gradient steps at 0.3, 3,000 steps from the pre-trained start (2026-12-07): .048,
  .034, .052 (A/linked -.025 to -.031, B/linked -.034 to -.052, C/linked +.014 to +.037). So the
  joint gradient is slow in the same direction, and Adam is what gets the joint runs there.
* joint, Adam at 0.01, 3,000 minibatch steps of 30 random rows from the pre-trained start
  (2026-12-07, seeds 1-5, ``--batch-size 30``): with 100 PCD chains (``--pcd-chains 100``) .097
  +- .032 at the flat rate (B/linked down to -.130), .056 +- .009 with the fine-tuning's decay
  (``--decay``); with the exact negative phase .048 +- .010 flat, .054 +- .009 decayed. So the
  chains' noise unsettles Adam, and even with exact negatives 3,000 minibatch steps stay far
  from the 20,000 full-batch steps' .013-.039.
* conditional, plain gradient steps at 0.3, 3,000 steps: .051, .059, .084 from random weights
  (A/linked -.039 to -.045, C/linked +.046 to +.054: the DBM's bias), .046, .027, .047 from the
  pre-trained start. So the bias appears without any sampling: gradient steps on the exact
  gradient are this slow in the direction that tells group A from group C.
* conditional, Adam at 0.03, 1,500 steps: .033, .044, .081 from random weights, .031, .017, .038
  from the pre-trained start (seeds 4 and 5: .017, .046; A/linked 0.307 -> 0.333 on seed 1).
  Adam gets there through large weights (SNP weights up to 17, hidden biases up to 24 on seed
  1), and it needs the exact gradient: Adam on the DBM's sampled conditional gradient
  (``dbm_defaults_study.py``'s ``conditional_adam`` variants, seeds 1-5) gives weak .056 (0.01)
  and .059 (0.03), and .053 with 1,000 full-batch updates of all 300 chains, against .055 for the
  conditional fine-tuning's plain steps; the bias stays (A/linked -.04, C/linked +.045).

* conditional, centered plain steps at 0.3, 3,000 steps (``--centering``: the steps of the
  centered parametrisation with the data means as offsets, mapped back): .046, .024, .068 from
  random weights, .039, .027, .037 from the pre-trained start; with the SNP rows' steps x10 as
  well (``--input-rate 10``): .031, .019, .041 (x10 alone: .040, .027, .050).
* conditional, Adam at 0.03 for 10,000 steps from the pre-trained start, near the maximum of the
  conditional likelihood (the training rows' group means change by less than .01 over the
  last 5,000 steps): .023, .015, .037 (seeds 4 and 5: .015, .048). The exact maximum-likelihood
  fit of this RBM lands at .028 on average over seeds 1-5, just under the target of 0.03.

So on weak-300 even exact maximisation of the likelihood of a small RBM lands near 0.03 only
after thousands of full-batch Adam steps, and the sampled gradient within the fit-time budget
(about 1,000 minibatch updates) does not get there.

Pre-training chains (2026-12-07, ``--init pretrained --steps 0``: the pre-trained RBM itself,
seeds 1-5): with BoltzmannMachines.jl's chain of hidden probabilities (``--pretrain-pcd
probabilities``, the start of all runs above) the worst cell is .089 at 300 rows and .065 at
3000 (``--rows 3000``); with true Gibbs chains (``--pretrain-pcd tieleman``) .036 and .027. At
3000 rows the exact joint gradient (Adam at 0.01, 5,000 full-batch steps from random weights)
gives .008 and .007 on seeds 1 and 2, and ``BernoulliRBM(pcd="tieleman", n_chains=100,
learning_rate=0.01, batch_size=10, centering=True)`` .007 and .003. So the bias that no
fine-tuning removed came from the pre-training chain, which is not a Gibbs chain of the model:
with the exact gradient or true Gibbs chains the same RBM tells the groups apart, the better
the more rows it has. ``DBM.fit(X, condition_on=...)`` pre-trains with Gibbs chains since
(``dbm_defaults_study.py``).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from quality import simulate  # noqa: E402

import condgen  # noqa: E402
from condgen.metrics import conditional_marginal_error  # noqa: E402


def _softplus(x):
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _log_normalise(log_p, axis):
    return log_p - np.logaddexp.reduce(log_p, axis=axis, keepdims=True)


class ExactRBM:
    """Bernoulli RBM whose hidden states are enumerated: exact gradient, likelihood, conditionals."""

    def __init__(self, n_hidden, seed):
        self.n_hidden = n_hidden
        self.rng = np.random.default_rng(seed)
        self.states = np.array(list(itertools.product([0.0, 1.0], repeat=n_hidden)))
        self.chains = None  # sampled_joint_gradient's persistent chains

    def init_random(self, X):
        mean = X.mean(axis=0)
        self.W = self.rng.normal(0.0, 0.01, (X.shape[1], self.n_hidden))
        self.b = np.log((mean + 1e-3) / (1.0 - mean + 1e-3))
        self.c = np.zeros(self.n_hidden)
        return self

    def init_pretrained(self, X, seed, pcd=True):
        """Centered pre-training as condgen's DBM gives its first layer: 300 epochs at 0.002 with
        at most 300 updates per epoch, persistent chains of ``pcd`` (BernoulliRBM's), one per batch row."""
        rbm = condgen.BernoulliRBM(n_hidden=self.n_hidden, epochs=300, learning_rate=0.002,
                                   batch_size=-(-len(X) // 300), pcd=pcd, centering=True, seed=seed).fit(X)
        self.W, self.b, self.c = rbm.weights_.copy(), rbm.visible_bias_.copy(), rbm.hidden_bias_.copy()
        return self

    def _positive(self, X):
        hidden = _sigmoid(X @ self.W + self.c)
        return X.T @ hidden / len(X), X.mean(axis=0), hidden.mean(axis=0)

    def _exact_negative(self):
        inputs = self.states @ self.W.T + self.b  # visible inputs per hidden state
        p = np.exp(_log_normalise(self.states @ self.c + _softplus(inputs).sum(axis=1), 0))
        visible = _sigmoid(inputs)  # E[v | h]
        return (visible * p[:, None]).T @ self.states, p @ visible, p @ self.states

    def joint_gradient(self, X):
        """Gradient of the mean log-likelihood of the rows X in (W, b, c)."""
        return [pos - neg for pos, neg in zip(self._positive(X), self._exact_negative())]

    def sampled_joint_gradient(self, X, batch_size, n_chains):
        """joint_gradient with the positive phase of batch_size random rows of X and, with n_chains,
        the negative phase of that many persistent chains after one more Gibbs sweep (PCD, started
        from random rows) instead of the enumeration."""
        rng = self.rng
        positive = self._positive(X[rng.choice(len(X), batch_size, replace=False)])
        if not n_chains:
            return [pos - neg for pos, neg in zip(positive, self._exact_negative())]
        if self.chains is None:
            self.chains = X[rng.integers(0, len(X), n_chains)].copy()
        hidden = (rng.random((n_chains, self.n_hidden)) < _sigmoid(self.chains @ self.W + self.c)).astype(float)
        self.chains = (rng.random(self.chains.shape) < _sigmoid(hidden @ self.W.T + self.b)).astype(float)
        negative = self._positive(self.chains)
        return [pos - neg for pos, neg in zip(positive, negative)]

    def conditional_gradient(self, X, n_first):
        """Gradient of the mean of log p(X[:, :n_first] | X[:, n_first:]) in (W, b, c).

        Given the conditioning columns s, p(h | s) is proportional to exp(c h + s W_s h) prod_j
        (1 + exp(b_j + W_j h)) over the free columns j, so the negative phase is an enumeration
        per row; the conditioning columns' own biases do not enter (their gradient is zero).
        """
        n = len(X)
        hidden = _sigmoid(X @ self.W + self.c)
        free = self.states @ self.W[:n_first].T + self.b[:n_first]
        log_p = (X[:, n_first:] @ self.W[n_first:] @ self.states.T + self.states @ self.c
                 + _softplus(free).sum(axis=1))
        p = np.exp(_log_normalise(log_p, 1))  # rows x hidden states
        expected_hidden = p @ self.states
        per_state = p.sum(axis=0)
        grad_W = np.empty_like(self.W)
        grad_W[:n_first] = (X[:, :n_first].T @ hidden - (_sigmoid(free) * per_state[:, None]).T @ self.states) / n
        grad_W[n_first:] = X[:, n_first:].T @ (hidden - expected_hidden) / n
        grad_b = np.zeros_like(self.b)
        grad_b[:n_first] = X[:, :n_first].mean(axis=0) - per_state @ _sigmoid(free) / n
        return grad_W, grad_b, (hidden - expected_hidden).mean(axis=0)

    def centered(self, X, grad_W, grad_b, grad_c):
        """The gradient step of the centered parametrisation (Melchior et al. 2016) in (W, b, c).

        Offsets: the data means of the visible units and of the hidden probabilities. The step is
        taken in the centered coordinates and mapped back, so the model stays a plain RBM.
        """
        mu = X.mean(axis=0)
        lam = _sigmoid(X @ self.W + self.c).mean(axis=0)
        step_W = grad_W - np.outer(mu, grad_c) - np.outer(grad_b, lam)
        return [step_W, grad_b - step_W @ lam, grad_c - step_W.T @ mu]

    def fit(self, X, steps, learning_rate, gradient, optimizer="adam", report=None, every=2000, centering=False,
            first_input=0, input_rate=1.0, decay_epoch=0):
        """Ascent on gradient(X): Adam, or plain gradient steps ("sgd"); centered steps with
        ``centering``; the weights of columns first_input: step input_rate times as far. The rate
        is flat, or with decay_epoch the fine-tuning's learning_rate * 11 / (10 + epoch) for
        epochs of decay_epoch steps."""
        params = [self.W, self.b, self.c]
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        for t in range(1, steps + 1):
            grads = list(gradient(X))
            if centering:
                grads = self.centered(X, *grads)
            grads[0][first_input:] *= input_rate
            rate = learning_rate * 11 / (10 + (t - 1) // decay_epoch + 1) if decay_epoch else learning_rate
            for param, g, m_i, v_i in zip(params, grads, m, v):
                if optimizer == "sgd":
                    param += rate * g
                    continue
                m_i *= 0.9
                m_i += 0.1 * g
                v_i *= 0.999
                v_i += 0.001 * g * g
                param += rate * (m_i / (1 - 0.9 ** t)) / (np.sqrt(v_i / (1 - 0.999 ** t)) + 1e-8)
            if report is not None and t % every == 0:
                report(t)
        return self

    def conditional_first(self, given, n_first):
        """P(v_j = 1 | v[n_first:] = given) for j < n_first."""
        W_free, b_free = self.W[:n_first], self.b[:n_first]
        inputs = self.states @ W_free.T + b_free
        log_p = given @ self.W[n_first:] @ self.states.T + self.states @ self.c + _softplus(inputs).sum(axis=1)
        return np.exp(_log_normalise(log_p, 1)) @ _sigmoid(inputs)


def _seeds(text):
    lo, _, hi = text.partition("-")
    return range(int(lo), int(hi or lo) + 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="weak", help="quality.py's family")
    parser.add_argument("--rows", type=int, default=300, help="training rows")
    parser.add_argument("--hidden", type=int, default=10, help="hidden units (2**hidden states are enumerated)")
    parser.add_argument("--steps", type=int, default=20000, help="gradient steps")
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--objective", choices=["joint", "conditional"], default="joint",
                        help="log p(genes, SNPs) or log p(genes | SNPs)")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam",
                        help="Adam, or plain gradient steps of the learning rate")
    parser.add_argument("--init", choices=["random", "pretrained"], default="random",
                        help="small random weights, or condgen's centered pre-training of a DBM's first layer")
    parser.add_argument("--pretrain-pcd", choices=["probabilities", "tieleman"], default="probabilities",
                        help="pre-training chains of --init pretrained: BoltzmannMachines.jl's chain of hidden "
                             "probabilities, or true Gibbs chains (condgen's DBM)")
    parser.add_argument("--centering", action="store_true",
                        help="steps in the centered parametrisation (data-mean offsets), mapped back")
    parser.add_argument("--input-rate", type=float, default=1.0,
                        help="learning-rate factor for the SNP rows of the weights")
    parser.add_argument("--batch-size", type=int, default=0,
                        help="joint objective: positive phase of this many random rows per step (0: all rows)")
    parser.add_argument("--pcd-chains", type=int, default=0,
                        help="with --batch-size: negative phase of this many persistent chains (0: exact)")
    parser.add_argument("--decay", action="store_true",
                        help="rate * 11 / (10 + epoch), epochs of rows / batch-size steps (1 step without)")
    parser.add_argument("--seeds", default="1-3", help="range 'a-b'")
    args = parser.parse_args(argv)
    if args.batch_size < 0 or args.pcd_chains < 0:
        parser.error("--batch-size and --pcd-chains must be >= 0")
    if args.pcd_chains and not args.batch_size:
        parser.error("--pcd-chains needs --batch-size")
    if args.batch_size and args.objective != "joint":
        parser.error("--batch-size needs --objective joint")
    for seed in _seeds(args.seeds):
        snps, genes, test_snps, truth = simulate(args.family, args.rows, seed)
        n_genes, n_snps = genes.shape[1], snps.shape[1]
        X = np.hstack([genes, snps])
        quarter, half = len(X) // 4, len(X) // 2
        rbm = ExactRBM(args.hidden, seed)
        if args.init == "random":
            rbm.init_random(X)
        else:
            rbm.init_pretrained(X, seed, pcd=True if args.pretrain_pcd == "probabilities" else "tieleman")
        if args.batch_size:
            def gradient(X, rbm=rbm):
                return rbm.sampled_joint_gradient(X, args.batch_size, args.pcd_chains)
        elif args.objective == "joint":
            gradient = rbm.joint_gradient
        else:
            def gradient(X, rbm=rbm, n_genes=n_genes):
                return rbm.conditional_gradient(X, n_genes)

        def report(step, rbm=rbm, snps=snps, n_genes=n_genes, n_snps=n_snps, quarter=quarter, half=half):
            linked = rbm.conditional_first(snps, n_genes)[:, :n_snps]
            print(f"  seed {seed} step {step}: training rows' linked genes A {linked[:quarter].mean():.3f} "
                  f"B {linked[quarter:half].mean():.3f} C {linked[half:].mean():.3f}", flush=True)

        rbm.fit(X, args.steps, args.learning_rate, gradient, args.optimizer, report=report,
                every=max(1, args.steps // 10), centering=args.centering,
                first_input=n_genes, input_rate=args.input_rate,
                decay_epoch=(len(X) // (args.batch_size or len(X))) if args.decay else 0)
        error = conditional_marginal_error(rbm.conditional_first(test_snps, n_genes), truth, n_linked=n_snps)
        signed = ", ".join(f"{g}/{b} {c.frequency - c.truth:+.3f}" for (g, b), c in error.cells.items())
        print(f"{args.family} seed {seed}: worst cell {error.worst_cell.error:.3f} ({signed})", flush=True)


if __name__ == "__main__":
    main()
