"""Study of the DBM's condgen defaults on quality.py's settings (issue 10; 300 rows by default).

For each variant, family (seed, wide, weak) and seed s this fits ``DBM(seed=s, **DBM_SETTINGS,
**variant)`` exactly as quality.py's ``run_setting`` (40 conditional samples per test row, 50
steps unless the variant says otherwise) and records the worst cell, every cell's SIGNED error
(mean generated frequency - mean Bayes-optimal probability: the same sign over seeds is a bias,
scattered signs are variance) and the fit CPU time. Pre-training is cached per (family, seed,
pre-training settings) together with the random generator's state after it, so a variant that
changes only fine-tuning settings continues exactly where ``DBM.fit`` would (the same bits as a
full fit) and is charged the cached pre-training CPU time.

    python benchmarks/dbm_defaults_study.py --variants defaults jl ... [--seeds 1-10]
        [--families seed wide weak] [--out dbm_study.jsonl]
    python benchmarks/dbm_defaults_study.py --summary [--out dbm_study.jsonl] [--variants ...]

Records are appended to ``--out`` (JSON lines), so runs can be split; ``--summary`` prints per
variant and family the worst cell (mean, sd, SE over seeds), the mean signed error of every
cell, and the fit CPU time with its ratio to the ``jl`` variant (the BoltzmannMachines.jl preset
at learning rate 0.003) over the same seeds. CPU times are process times with 1 thread; the
pre-training time of a cached stack is the one measured when it was first trained, so compare fit
times between variants of one run, or rerun without ``--cache``.

Findings of 2026-11-25 (1 thread, machine under load from other jobs; worst cell mean +- sd,
signed cell errors as means over seeds; seeds 1-10 unless said; the exploration variants use the
random start of the conditional chains, compare them with ``random_start``):

* BoltzmannMachines.jl preset, seeds 1-20: seed .097 +- .059, wide .097 +- .066, weak .111 +-
  .028. Pre-trained stack alone (``pretrained``): seed .108, wide .152, weak .109; B/linked sd
  over seeds .11 / .15 / .10: fine-tuning removes most of that.
* condgen defaults with random start (``random_start``), seeds 1-20: seed .026 +- .013,
  wide .043 +- .025 (max .108), weak .049 +- .019; fit 1.34x / 1.43x / 1.43x the preset.
* weak is BIAS: A/linked -.042, B/linked -.024, C/linked +.029 over 20 seeds (A/linked
  negative in 19 of 20). On its own training rows the fitted DBM gives the linked genes of the
  first quarter 0.310 and of the unlinked half 0.307 (Bayes-optimal 0.354 and 0.280, observed
  0.411 and 0.252; seeds 1-8): it does not tell the two groups apart, it only learns each gene's
  pairwise link to its SNP (pooled over both groups that is about 0.31). Nothing tried moves it
  beyond the noise: conditional sweeps (200, 2000), fine-tuning epochs (50, 200), learning rate
  (0.015, 0.06, flat 0.01 / 0.03, tapered to 0), updates per epoch (5, 20), particles (50, 300),
  Polyak averaging (last 20 / 50 epochs), per-layer fine-tuning rates (upper layers x0.3 / x3,
  first layer x0.3), a Gibbs instead of a mean-field positive phase (numpy, 10 sweeps), wider
  layers ([30, 10, 4], [60, 10, 2], [30, 30, 10]), pre-training epochs (100 - 600), rate 0.004,
  batch 5 / 10, uncentered: weak stays .045 - .060. A plain RBM (30 hidden, persistent chains,
  1000 epochs at 0.01 or 3000 at 0.03) is no better (.082 / .055). The fine-tuning random
  stream moves weak's cells by less than .01 (``random_start_s1``, ``_s2``): the bias is set by
  the model and its pre-training.
* wide is VARIANCE: mean signed cells within +-.015, but another fine-tuning random stream for
  the same pre-trained stack moves B/linked by +-.07 (sd within a stack; .05 between stacks), and
  the same seeds give .088 +- .08 with either of two other streams. Two causes: (1) the fitted
  DBM's upper layers form modes that chains hardly leave, also with the SNPs clamped: on
  wide/3 with stream 1 random conditional chains leave a third of group B's rows in the wrong
  mode (B/linked -0.27, unchanged after 500 and 3000 sweeps; 5% of fresh unclamped chains
  reach the B mode against 27% of the persistent particles); (2) the same stickiness in the
  fine-tuning particles lets B's linked genes drift during fine-tuning (on wide/3, stream 1:
  B/linked +.02 after 20 epochs, -.27 after 70). Parameter averaging and a tapered learning
  rate do not remove (2).
* Fix for (1): ``sample_conditional`` starts the chains from the mean-field state given the
  clamped values (the condgen preset's default now, ``defaults``): seeds 1-20 seed .026 +- .013,
  wide .032 +- .017 (max .062), weak .049 +- .019; with the other two fine-tuning streams wide
  .051 / .052 (random start .088 / .088). The fit is unchanged.
* Tried for (2), not adopted: fine-tuning particles started from random training rows and their
  mean-field hiddens (``ftdata``): wide .022 / .041 / .054 with the three streams (against
  .030 / .051 / .052), seed .029 (against .025), weak .052: within the noise, seed worse.
* seed-1000 / seed-3000 (seeds 1-5; not covered by the 300-row numbers above): the defaults of
  that time gave .029 +- .009 and .104 +- .029 (random start; mean-field start .085): at 3000
  rows the linked genes come out raised in every group (A/linked +.08, C/linked +.10). The
  pre-trained stack alone is worse (C/linked +.19) and its first-layer weights reach 13.7 (6.2
  at 1000 rows, 3.3 at 300): batch-1 centered PCD pre-training for 300 epochs makes 900,000
  updates on 3000 rows, and the weights grow with them. Fine-tuning longer, slower, with more
  particles or 5 sweeps does not repair it (.07-.11); moving hidden offsets (rate 0.01) halve it
  (.053). Fix: pre-training batches of ``ceil(n_rows / 300)`` rows (at most 300 updates per
  epoch, as on the seed's 300 rows; the 300-row settings are unchanged): ``pb4`` on seed-1000
  .018 +- .005, ``pb10`` on seed-3000 .016 +- .006.
* Cost levers: pre-training is 65-80% of the fit; 100 pre-training epochs instead of 300 give the
  same quality (seed .027, wide .040, weak .056) at 0.93-1.05x the preset, but ``pretrain_epochs``
  is the caller's setting. The C++ pre-training costs about 1 us per update with batch 1 and
  4.6 / 6.8 / 7.3 / 16 us with batches 2 / 3 / 4 / 10 (1.6-2.3x more per row), so the batch rule
  costs fit time: seed-1000 1.48x the preset (was 1.16x).

Defaults after both fixes (``defaults``), worst cell mean +- sd, fit CPU time ratio to the
BoltzmannMachines.jl preset measured in the same run (load average 3-4 on 2 cores): seed-300
.026 +- .013 1.35x, wide-300 .032 +- .017 1.30x, weak-300 .049 +- .019 1.38x (seeds 1-20);
seed-1000 .020 +- .007 1.48x, seed-3000 .019 +- .008 1.24x (seeds 1-10). After merging main's
vectorised logistic (other bits, so another draw of the fine-tuning noise) and faster batch
pre-training: seed-300 .028 +- .011 1.38x, wide-300 .041 +- .029 (max .087; random start .065 +-
.067, max .269) 1.41x, weak-300 .049 +- .020 1.47x (seeds 1-20); seed-1000 .023 +- .005 1.18x,
seed-3000 .018 +- .010 1.03x (seeds 1-10). Everything above this paragraph was measured before
that merge.

Conditional fine-tuning (``conditional``: ``fit(X, condition_on=snp_columns)``, the conditional
likelihood of the genes given the SNPs with one clamped persistent chain per training row), runs
of 2026-12-06 (1 thread, one other job on the second core), seeds 1-20: seed .023 +- .009
(``defaults`` in the same run .028 +- .012), wide .019 +- .011 (max .044; ``defaults`` .041 +-
.029), weak .052 +- .018 with the same bias (A/linked -.040, B/linked -.020, C/linked +.037);
fine-tuning costs less than the joint one (30 chains per update instead of 100 particles): fit
CPU 0.38 s against 0.46 s on seed. A numpy prototype gave the same picture on seeds 1-10 (seed
.022, wide .022, weak .052; mixing the joint and conditional negative phases half and half: seed
.022, wide .039, weak .052; Adam on the conditional gradient, more epochs, batches of 10 or 10
sweeps per update: weak .048-.057).

Adam instead of plain steps on the conditional fine-tuning's sampled gradient (numpy,
``conditional_adam0.01``, ``conditional_adam0.03``: step sizes scaled by the learning-rate
schedule; ``conditional_adam0.01_full``: 1,000 full-batch updates of all 300 chains), weak,
seeds 1-5, 2026-12-06: .056 +- .012, .059 +- .020 and .053 +- .016 against .055 +- .014 for
``conditional``, the same bias in each (A/linked -.037 to -.046, C/linked +.042 to +.055).
These decaying schedules move the parameters much less than the exact-gradient runs of
``exact_gradient_rbm.py`` (1,500 Adam steps at 0.03); a flat 0.03 for 1,500 updates
(``conditional_adam0.03_flat``, minibatches; ``conditional_adam0.03_flat_full``, all 300 chains
per update) breaks group B instead: .183 +- .105 and .138 +- .056 (B/linked -.16 and -.09).
``exact_gradient_rbm.py`` shows why plain steps stop short: on the exact conditional gradient of
a small RBM they leave the same bias after 3,000 full-batch steps, and Adam removes it only with
the exact gradient and large weights.

Centered conditional fine-tuning (numpy, Melchior et al.'s centering in every layer: visible
offsets the data means, hidden offsets moving averages of the positive phase at rate 0.1, steps
mapped back to the ordinary parameters) and larger steps for the SNP rows of the first weights
(``input_rate``: x10), weak, seeds 1-5, 2026-12-06; the numpy baseline of the same fine-tuning
(``conditional_numpy``) gives .056 +- .018:

* the default schedule (1,000 updates): centered .055 +- .016, SNP rows x10 .056 +- .019, both
  .053 +- .017, the bias unchanged (A/linked -.046, C/linked +.043);
* 10,000 updates at a flat 0.01 (10x the fine-tuning): plain .052 +- .016, centered with SNP rows
  x10 .043 +- .013 (A/linked -.036, B/linked -.024, C/linked +.041); a one-layer DBM (an RBM:
  mean-field is exact there) of 10 hidden units .048 / .043, of 30 units .059 / .059;
* 3,000 full-batch updates of all 300 chains at a flat 0.1 or 0.3 (``conditional_*_full*``):
  plain .066 +- .033 / .057 +- .031, centered with SNP rows x10 .051 +- .012 / .058 +- .021.

So centering and the SNP-row rate shrink the bias somewhat (A/linked -.046 -> -.03) only with
10x the fine-tuning, and larger or full-batch steps trade it for variance: the sampled gradient
does not reach 0.03 on weak-300 at any cost tried.

Adam at a flat rate on the sampled conditional gradient, weak, seeds 1-5, 2026-12-06 (numpy):

* the DBM ([30, 10, 2]) at 0.01: 1,500 minibatch updates (``conditional_adam0.01_flat``) .081 +-
  .040, 1,500 full-batch updates (``conditional_adam0.01_flat_full``) .088 +- .046, both with
  C/linked +.07: worse than the plain steps (.055);
* a one-layer DBM of 10 hidden units, 1,500 full-batch updates
  (``rbm10_conditional_adam{0.01,0.03}_flat_full``): .043 +- .011 (0.01) and .050 +- .026 (0.03;
  per seed .036, .023, .040, .059, .090, where 1,500 steps of the same Adam on the exact gradient
  give .031, .017, .038, .017, .046, mean .030). The bias shrinks (A/linked -.02 to -.03) and
  the spread grows; the fit takes about 2 s in numpy, 5x the preset.

So the sampled gradient comes close to the exact one only on the one-layer model and only on some
seeds, and the deep DBM does not take Adam's large steps.

Rao-Blackwellised negative statistics (``conditional_rb``: the odd layers' conditional
probabilities given the final even layers instead of their sampled states), weak, seeds 1-5,
2026-12-07 (numpy): .055 +- .013 against .056 +- .018 for ``conditional_numpy``; with 10,000
updates at a flat 0.01 (``conditional_rb_flat0.01_long``) .053 +- .015 against .052 +- .016
without; with 1,500 full-batch Adam updates at 0.01 (``conditional_rb_adam0.01_flat_full``)
.149 +- .142, group B breaking on seeds 4 and 5 (B/linked -.13 on average; .088 +- .046 without).
The bias is unchanged (A/linked -.046, C/linked +.045): less gradient noise does not move it, as
expected of an optimisation limit.

Where the limit shows, ``fit(X, condition_on=snp_columns)`` with the defaults on weak seeds 1 and 3
(40 conditional samples per training row, first-layer mean-field on the training rows): the
model's probability of a linked gene whose SNP is 0 is flat in the row's number of SNPs that are 1
(counts 0-3: .31 / .30 / .29 / .32 and .28 / .29 / .31 / .31; the training rows: .39 / .31 / .26 /
.25 and .36 / .29 / .30 / .29). Group A (count mostly 0) and group C (mostly 2-3) need a
first-layer unit that switches between count 0 and 1 (about -1.8 per SNP weight); the most
A-selective unit is on in .78 / .88 of group A's rows but also in .48 / .52 of group C's, with mean
SNP weights -.81 / -.76.

The cause: BoltzmannMachines.jl's pre-training chain (2026-12-07, 1 thread, the other core busy;
seeds 1-20 at 300 rows). Its persistent chain holds hidden probabilities computed from mean visible
units, not states of a Gibbs chain of the model (``boltzmann.md`` §2.3). Pre-training with true
Gibbs chains (``pretrain_pcd="tieleman"``, one per batch row) is the condgen preset's default for
conditional fits since; ``conditional`` below is that, ``conditional_prob_chain`` the previous
chain (the ``conditional`` of the runs above), worst cell mean +- sd, fit CPU / the preset's:

* weak .034 +- .016 (max .090; A/linked -.024, C/linked +.018), 0.91x, against .051 +- .019
  (A/linked -.039, C/linked +.038); paired difference over the 20 seeds -.018 +- .003 (SE);
* seed .023 +- .010 against .023 +- .009; wide .016 +- .006 (max .028) against .020 +- .012;
  0.99x and 1.08x (the Gibbs chain's pre-training is cheaper since the batch-1 kernel lists
  the active units without branches: 0.11 s, before 0.18 s, for 300 epochs of 300 rows x 60
  columns and 30 hidden units; the chain of probabilities 0.12 s);
* weak at more rows, seeds 1-5: .019 +- .007 at 1000 rows and .017 +- .005 at 3000, against
  .045 +- .011 and .041 +- .015 (A/linked -.044 / -.040): with the old chain the bias did not
  shrink with the data, with Gibbs chains what is left at 300 rows is a finite-sample effect;
* on top of it, fine-tuning at 0.015 or 0.06 or with 5 sweeps (``conditional_lr0.015``,
  ``conditional_lr0.06``, ``conditional_gibbs5``): weak .033 / .033 / .033, wide .027 / .013 /
  .016; 3 or 10 chains per layer (seeds 1-10): weak .030 / .034, wide .015 / .013 at 2-4x the
  fit time; hidden offsets moving at 0.01 collapse wide again (.64 +- .37 over seeds 1-10).
* The joint fine-tuning with Gibbs-chain pre-training (``gibbs_chain``) against ``defaults``: weak .036 +- .016 against .050 +- .020
  (paired -.014 +- .003), but seed .035 +- .021 against .027 +- .012 (+.008 +- .005) and wide
  .056 +- .033 against .043 +- .040 (+.013 +- .009), and in quality.py (seeds 1-5) seed-1000 .033
  and seed-3000 .028 against .022 and .017: the joint default keeps the chain of probabilities.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import pickle
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from quality import DBM_SETTINGS, N_PER_ROW, simulate  # noqa: E402

import condgen  # noqa: E402
from condgen.metrics import conditional_marginal_error  # noqa: E402

PRETRAIN_KEYS = {"pretrain_epochs", "pretrain_learning_rate", "pretrain_batch_size", "pretrain_pcd",
                 "pretrain_cd_steps", "pretrain_centering", "pretrain_offset_rate", "pretrain_layers",
                 "preset", "learning_rate", "n_hiddens"}
CELLS = [f"{g}/{b}" for g in "ABC" for b in ("linked", "noise")]

# name -> DBM arguments on top of quality.py's DBM_SETTINGS, plus study-only keys: "sample_steps"
# (conditional Gibbs sweeps, default 50), "sample_start" (start of the conditional chains; default
# the preset's), "fine_tune_stream" (fine-tune the same pre-trained stack with another random
# stream), "average_last" (Polyak average of the parameters after the last epochs),
# "layer_scale" (each epoch's parameter change of layer l times layer_scale[l]: per-layer
# learning rates), "numpy_positive" / "positive_steps" (numpy_fine_tune's positive phase),
# "conditional" (fine-tune the genes given the SNPs: fit's condition_on), "numpy_adam" (numpy_fine_tune
# with Adam steps of that size), "numpy_offset_rate" (numpy_fine_tune's centered steps, hidden offsets
# moving at that rate), "input_rate" (numpy_fine_tune's factor for the steps of the SNP weights),
# "rao_blackwell" (numpy_fine_tune's negative statistics from conditional probabilities).
# The exploration ran before sample_conditional's mean-field start existed, so its variants keep
# the random start (the old default): compare them with "random_start".
VARIANTS = {
    "jl": dict(preset="boltzmannmachines.jl", learning_rate=0.003),
    "defaults": {},
    "ftstream1": dict(fine_tune_stream=1),
    "ftstream2": dict(fine_tune_stream=2),
    "random_start": dict(sample_start="random"),
    "gibbs5": dict(gibbs_steps=5),
    "ftdata": dict(fine_tune_start="data"),
    "ftdata_s1": dict(fine_tune_start="data", fine_tune_stream=1),
    "ftdata_s2": dict(fine_tune_start="data", fine_tune_stream=2),
    "pb3": dict(pretrain_batch_size=3),
    "pb4": dict(pretrain_batch_size=4),
    "pb10": dict(pretrain_batch_size=10),
    "offset0.01": dict(pretrain_offset_rate=0.01),
    "gibbs5_offset0.01": dict(gibbs_steps=5, pretrain_offset_rate=0.01),
    "conditional": dict(conditional=True),
    "conditional_s1": dict(conditional=True, fine_tune_stream=1),
    "conditional_s2": dict(conditional=True, fine_tune_stream=2),
    "conditional_adam0.01": dict(conditional=True, numpy_adam=0.01),
    "conditional_adam0.03": dict(conditional=True, numpy_adam=0.03),
    "conditional_adam0.01_full": dict(conditional=True, numpy_adam=0.01, batch_size=300, epochs=1000),
    "conditional_adam0.03_flat": dict(conditional=True, numpy_adam=0.03, epochs=150,
                                      fine_tune_learning_rates=[0.03] * 150),
    "conditional_adam0.03_flat_full": dict(conditional=True, numpy_adam=0.03, batch_size=300, epochs=1500,
                                           fine_tune_learning_rates=[0.03] * 1500),
    "conditional_numpy": dict(conditional=True, numpy_positive="mean_field"),
    "conditional_rb": dict(conditional=True, rao_blackwell=True),
    "conditional_rb_flat0.01_long": dict(conditional=True, rao_blackwell=True, epochs=1000,
                                         fine_tune_learning_rates=[0.01] * 1000),
    "conditional_rb_adam0.01_flat_full": dict(conditional=True, rao_blackwell=True, numpy_adam=0.01, batch_size=300,
                                              epochs=1500, fine_tune_learning_rates=[0.01] * 1500),
    "conditional_centered": dict(conditional=True, numpy_offset_rate=0.1),
    "conditional_centered_input10": dict(conditional=True, numpy_offset_rate=0.1, input_rate=10.0),
    "conditional_input10": dict(conditional=True, input_rate=10.0),
    "conditional_flat0.01_long": dict(conditional=True, numpy_positive="mean_field", epochs=1000,
                                      fine_tune_learning_rates=[0.01] * 1000),
    "conditional_centered_input10_flat0.01_long": dict(conditional=True, numpy_offset_rate=0.1, input_rate=10.0,
                                                       epochs=1000, fine_tune_learning_rates=[0.01] * 1000),
    **{f"rbm{h}_conditional_{kind}_flat0.01_long": dict(
        conditional=True, n_hiddens=[h], epochs=1000, fine_tune_learning_rates=[0.01] * 1000,
        **(dict(numpy_offset_rate=0.1, input_rate=10.0) if kind == "centered_input10" else
           dict(numpy_positive="mean_field")))
       for h in (10, 30) for kind in ("plain", "centered_input10")},
    **{f"conditional_{kind}_full{rate}": dict(
        conditional=True, batch_size=300, epochs=3000, fine_tune_learning_rates=[rate] * 3000,
        **(dict(numpy_offset_rate=0.1, input_rate=10.0) if kind == "centered_input10" else
           dict(numpy_positive="mean_field")))
       for rate in (0.1, 0.3) for kind in ("plain", "centered_input10")},
    "conditional_adam0.01_flat": dict(conditional=True, numpy_adam=0.01, epochs=150,
                                      fine_tune_learning_rates=[0.01] * 150),
    "conditional_adam0.01_flat_full": dict(conditional=True, numpy_adam=0.01, batch_size=300, epochs=1500,
                                           fine_tune_learning_rates=[0.01] * 1500),
    **{f"rbm10_conditional_adam{rate}_flat_full": dict(
        conditional=True, n_hiddens=[10], numpy_adam=rate, batch_size=300, epochs=1500,
        fine_tune_learning_rates=[rate] * 1500) for rate in (0.01, 0.03)},
    "gibbs_chain": dict(pretrain_pcd="tieleman"),
    "conditional_prob_chain": dict(conditional=True, pretrain_pcd=True),
    "conditional_lr0.015": dict(conditional=True, learning_rate=0.015),
    "conditional_lr0.06": dict(conditional=True, learning_rate=0.06),
    "conditional_gibbs5": dict(conditional=True, gibbs_steps=5),
    "random_start_s1": dict(sample_start="random", fine_tune_stream=1),
    "random_start_s2": dict(sample_start="random", fine_tune_stream=2),
    **{name: dict(sample_start="random", **params) for name, params in {
        "pretrained": dict(epochs=0),
        "sample200": dict(sample_steps=200),
        "sample2000": dict(sample_steps=2000),
        "ft200": dict(epochs=200),
        "ft50": dict(epochs=50),
        "lr0.015": dict(learning_rate=0.015),
        "lr0.06": dict(learning_rate=0.06),
        "flatlr0.01": dict(fine_tune_learning_rates=[0.01] * 100),
        "flatlr0.03": dict(fine_tune_learning_rates=[0.03] * 100),
        "taper": dict(fine_tune_learning_rates=[0.03 * 11 / (10 + e) * min(1.0, 2 * (1 - (e - 1) / 100))
                                                for e in range(1, 101)]),
        "batch15": dict(batch_size=15),
        "batch60": dict(batch_size=60),
        "particles50": dict(n_particles=50),
        "particles300": dict(n_particles=300),
        "avg50": dict(average_last=50),
        "avg20": dict(average_last=20),
        "avg50_s1": dict(average_last=50, fine_tune_stream=1),
        "avg50_s2": dict(average_last=50, fine_tune_stream=2),
        "upper0.3": dict(layer_scale=[1.0, 0.3, 0.3]),
        "upper3": dict(layer_scale=[1.0, 3.0, 3.0]),
        "lower0.3": dict(layer_scale=[0.3, 1.0, 1.0]),
        "numpy_mf": dict(numpy_positive="mean_field"),
        "numpy_gibbs10": dict(numpy_positive="gibbs", positive_steps=10),
        "pre100": dict(pretrain_epochs=100),
        "pre150": dict(pretrain_epochs=150),
        "pre150_lr0.004": dict(pretrain_epochs=150, pretrain_learning_rate=0.004),
        "pre600": dict(pretrain_epochs=600),
        "pre300_lr0.004": dict(pretrain_learning_rate=0.004),
        "uncentered": dict(pretrain_centering=False),
        "pbatch5": dict(pretrain_batch_size=5),
        "pbatch10": dict(pretrain_batch_size=10),
        "pbatch10_lr0.01": dict(pretrain_batch_size=10, pretrain_learning_rate=0.01),
        "hid30-10-4": dict(n_hiddens=[30, 10, 4]),
        "hid60-10-2": dict(n_hiddens=[60, 10, 2]),
        "hid30-30-10": dict(n_hiddens=[30, 30, 10]),
    }.items()},
}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _alternating_sweeps(W, bias, state, steps, rng, clamp_visible=False, fixed_columns=None):
    """Alternating Gibbs sweeps (odd unit layers, then even ones) on state in place; returns the
    probabilities of the last update of every layer. clamp_visible keeps the whole visible layer,
    fixed_columns some of its columns."""
    L = len(W)
    probs = [None] * (L + 1)
    for _ in range(steps):
        for parity in (1, 0):
            for k in range(parity, L + 1, 2):
                if k == 0 and clamp_visible:
                    probs[0] = state[0]
                    continue
                a = bias[k] + (state[k - 1] @ W[k - 1] if k > 0 else 0.0)
                if k < L:
                    a = a + state[k + 1] @ W[k].T
                probs[k] = _sigmoid(a)
                new = (rng.random(a.shape) < probs[k]).astype(np.float64)
                if k == 0 and fixed_columns is not None:
                    new[:, fixed_columns] = state[0][:, fixed_columns]
                state[k] = new
    return probs


def numpy_fine_tune(model, X, settings, rng, positive="mean_field", positive_steps=10, clamped=(), adam=None,
                    offset_rate=None, input_rate=1.0, rao_blackwell=False):
    """condgen's fine-tuning in numpy (same updates; its own random numbers), with the positive
    phase by mean-field (as the C++ kernel) or by ``positive_steps`` alternating Gibbs sweeps
    with the batch clamped, started from the mean-field state, statistics from the last sweep's
    hidden probabilities (diagnosis of the mean-field bias). With ``clamped`` columns the negative
    phase is the conditional one of ``DBM.fit(condition_on=...)``: one chain per training row with
    those columns fixed, the minibatch rows' chains give the statistics. With ``adam`` (a step
    size) the updates are Adam steps on the same sampled gradient, scaled by the learning-rate
    schedule relative to its first value. With ``offset_rate`` the steps are centered ones
    (Melchior et al. 2016, for every layer of the DBM: visible offsets the data means, hidden
    offsets moving averages of the positive phase at that rate), mapped back to the ordinary
    parameters; ``input_rate`` multiplies the steps of the clamped columns' weights. With
    ``rao_blackwell`` the negative statistics take the odd layers' conditional probabilities given
    the final even layers instead of their sampled states (the same expectation, less variance)."""
    W = [layer.weights_ for layer in model.layers_]
    b = [layer.visible_bias_ for layer in model.layers_]
    c = [layer.hidden_bias_ for layer in model.layers_]
    L = len(W)
    if clamped:
        chains = [X.copy()] + [(rng.random(m.shape) < m).astype(np.float64) for m in model.mean_field(X)[1:]]
    else:
        particles = model.init_particles(settings["n_particles"], seed=rng)
    moments, t = [], 0
    n, batch = X.shape[0], settings["batch_size"]
    if offset_rate is not None:
        offsets = [X.mean(axis=0)] + [m.mean(axis=0) for m in model.mean_field(X)[1:]]
    for epoch in range(settings["epochs"]):
        lr = settings["rates"][epoch]
        order = rng.permutation(n)
        for first in range(0, n, batch):
            rows = order[first:first + batch]
            V = X[rows]
            bias = [b[0]] + [c[k - 1] + b[k] for k in range(1, L)] + [c[L - 1]]
            if clamped:
                particles = [chain[rows] for chain in chains]
                _alternating_sweeps(W, bias, particles, settings["gibbs_steps"], rng, fixed_columns=list(clamped))
                for chain, state in zip(chains, particles):
                    chain[rows] = state
            else:
                _alternating_sweeps(W, bias, particles, settings["gibbs_steps"], rng)
            negative = particles
            if rao_blackwell:
                negative = [state if k % 2 == 0 else _sigmoid(
                    bias[k] + particles[k - 1] @ W[k - 1] + (particles[k + 1] @ W[k].T if k < L else 0.0))
                    for k, state in enumerate(particles)]
            mu = model.mean_field(V)
            if positive == "gibbs":
                state = [V] + [(rng.random(m.shape) < m).astype(np.float64) for m in mu[1:]]
                mu = _alternating_sweeps(W, bias, state, positive_steps, rng, clamp_visible=True)
                mu[0] = V
            steps = []
            for r in range(L):
                step_W = mu[r].T @ mu[r + 1] / len(V) - negative[r].T @ negative[r + 1] / len(negative[0])
                step_b = mu[r].mean(axis=0) - negative[r].mean(axis=0)
                step_c = mu[r + 1].mean(axis=0) - negative[r + 1].mean(axis=0)
                if offset_rate is not None:
                    step_W -= np.outer(offsets[r], step_c) + np.outer(step_b, offsets[r + 1])
                    step_b = step_b - step_W @ offsets[r + 1]
                    step_c = step_c - step_W.T @ offsets[r]
                if r == 0 and clamped:
                    step_W[list(clamped)] *= input_rate
                steps += [(W[r], step_W), (b[r], step_b), (c[r], step_c)]
            if offset_rate is not None:
                for k in range(1, L + 1):
                    offsets[k] += offset_rate * (mu[k].mean(axis=0) - offsets[k])
            if adam is None:
                for param, grad in steps:
                    param += lr * grad
                continue
            if not moments:
                moments = [(np.zeros_like(param), np.zeros_like(param)) for param, _ in steps]
            t += 1
            for (param, grad), (m, v) in zip(steps, moments):
                m *= 0.9
                m += 0.1 * grad
                v *= 0.999
                v += 0.001 * grad * grad
                param += adam * lr / settings["rates"][0] * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)


def _setting(name):
    """"seed" -> ("seed", 300); "seed-1000" -> ("seed", 1000): quality.py's family and rows."""
    family, _, rows = name.partition("-")
    return family, int(rows or 300)


def _pretrain_key(family, seed, params, clamped):
    pre = {k: v for k, v in params.items() if k in PRETRAIN_KEYS}
    if clamped:  # a conditional fit's pre-training defaults differ (DBM's pretrain_pcd)
        pre["condition_on"] = clamped
    return f"{family}-{seed}-" + json.dumps(pre, sort_keys=True)


class _PretrainOnly(condgen.DBM):
    """DBM.fit without fine-tuning: keeps the generator as fine-tuning would receive it."""

    def _fine_tune(self, X, settings, rng, clamped=()):  # noqa: ARG002
        self.rng_after_pretrain_ = copy.deepcopy(rng)


def pretrained(family, seed, params, cache_dir, clamped=()):
    """(layers, generator after pre-training, pre-training CPU s) of a fit conditional on the
    columns ``clamped`` (none: joint), cached on disk."""
    key = _pretrain_key(family, seed, params, list(clamped))
    path = os.path.join(cache_dir, f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.pkl") if cache_dir else None
    if path and os.path.exists(path):
        with open(path, "rb") as f:
            entry = pickle.load(f)
        if entry["key"] == key:
            return entry["layers"], entry["rng"], entry["cpu"]
    snps, genes, _, _ = simulate(*_setting(family), seed)
    X = np.hstack([genes, snps])
    pre = {k: v for k, v in params.items() if k in PRETRAIN_KEYS}
    cpu = time.process_time()
    model = _PretrainOnly(seed=seed, **{**DBM_SETTINGS, **pre}).fit(X, condition_on=list(clamped) or None)
    cpu = time.process_time() - cpu
    if path:
        with open(path, "wb") as f:
            pickle.dump({"key": key, "layers": model.layers_, "rng": model.rng_after_pretrain_, "cpu": cpu}, f)
    return model.layers_, model.rng_after_pretrain_, cpu


def run(family, seed, variant, cache_dir):
    params = dict(VARIANTS[variant])
    sample_steps = params.pop("sample_steps", 50)
    numpy_positive = params.pop("numpy_positive", None)
    numpy_adam = params.pop("numpy_adam", None)
    offset_rate = params.pop("numpy_offset_rate", None)
    input_rate = params.pop("input_rate", 1.0)
    rao_blackwell = params.pop("rao_blackwell", False)
    params_steps = params.pop("positive_steps", 10)
    ft_stream = params.pop("fine_tune_stream", None)
    average_last = params.pop("average_last", 0)
    sample_start = params.pop("sample_start", None)
    layer_scale = params.pop("layer_scale", None)
    fine_tune_start = params.pop("fine_tune_start", "random")
    conditional = params.pop("conditional", False)
    snps, genes, test_snps, truth = simulate(*_setting(family), seed)
    n_snps, n_genes = snps.shape[1], genes.shape[1]
    clamped = list(range(n_genes, n_genes + n_snps)) if conditional else []
    X = np.hstack([genes, snps])
    layers, rng, pre_cpu = pretrained(family, seed, params, cache_dir, clamped)
    if ft_stream is not None:  # the same pre-trained stack, another random stream for fine-tuning
        rng = np.random.default_rng([seed, ft_stream])
    sums = []

    def accumulate(dbm, epoch):  # Polyak averaging of the parameters after the last epochs
        if epoch > dbm.epochs - average_last:
            arrays = [a for layer in dbm.layers_ for a in (layer.weights_, layer.visible_bias_, layer.hidden_bias_)]
            if sums:
                for total, a in zip(sums, arrays):
                    total += a
            else:
                sums.extend(a.copy() for a in arrays)

    previous = [[a.copy() for a in (layer.weights_, layer.visible_bias_, layer.hidden_bias_)] for layer in layers]

    def scale_layers(dbm, epoch):  # per-layer learning rates: each epoch's change of layer l times layer_scale[l]
        for layer, before, factor in zip(dbm.layers_, previous, layer_scale):
            for i, a in enumerate((layer.weights_, layer.visible_bias_, layer.hidden_bias_)):
                a[...] = before[i] + factor * (a - before[i])
                before[i][...] = a
        accumulate(dbm, epoch)

    model = condgen.DBM(seed=seed, **{**DBM_SETTINGS, **params},
                        monitor=scale_layers if layer_scale else accumulate if average_last else None)
    model._set_layers(copy.deepcopy(layers))
    if fine_tune_start == "data":  # fine-tuning particles: random training rows and their mean-field hiddens

        def data_particles(n, biased=False, seed=None):  # noqa: ARG001
            draw = np.random.default_rng(seed)
            rows = X[draw.integers(0, len(X), n)]
            return [rows.copy()] + [(draw.random(m.shape) < m).astype(float) for m in model.mean_field(rows)[1:]]

        model.init_particles = data_particles
    cpu = time.process_time()
    if numpy_positive or numpy_adam or offset_rate is not None or input_rate != 1.0 or rao_blackwell:
        numpy_fine_tune(model, X, model._fine_tune_settings(X.shape[0]), copy.deepcopy(rng),
                        numpy_positive or "mean_field", params_steps, clamped, numpy_adam, offset_rate, input_rate,
                        rao_blackwell)
    else:
        model._fine_tune(X.astype(model.dtype), model._fine_tune_settings(X.shape[0]), copy.deepcopy(rng), clamped)
    ft_cpu = time.process_time() - cpu
    if average_last:
        for i, layer in enumerate(model.layers_):
            layer.weights_[...], layer.visible_bias_[...], layer.hidden_bias_[...] = (
                sums[3 * i] / average_last, sums[3 * i + 1] / average_last, sums[3 * i + 2] / average_last)
    samples = model.sample_conditional(test_snps, list(range(n_genes, n_genes + n_snps)), steps=sample_steps,
                                       n_per_row=N_PER_ROW, seed=100 + seed, start=sample_start)
    error = conditional_marginal_error(samples[:, :n_genes], truth, n_linked=n_snps)
    return {
        "family": family, "seed": seed, "variant": variant, "params": VARIANTS[variant],
        "worst_cell": error.worst_cell.error, "worst_where": f"{error.worst_cell.group}/{error.worst_cell.block}",
        "signed": {f"{g}/{b}": c.frequency - c.truth for (g, b), c in error.cells.items()},
        "pretrain_cpu_s": pre_cpu, "fine_tune_cpu_s": ft_cpu, "fit_cpu_s": pre_cpu + ft_cpu,
        "max_abs_weight": [float(np.abs(layer.weights_).max()) for layer in model.layers_],
    }


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def summary(records, variants=None, families=("seed", "wide", "weak"), seeds=None):
    # the latest record of each (variant, family, seed) counts
    latest = {(r["variant"], r["family"], r["seed"]): r for r in records if seeds is None or r["seed"] in seeds}
    names = variants or list(dict.fromkeys(r["variant"] for r in records))
    print(f"{'variant':<16}{'family':<6}{'n':>3}{'worst mean':>11}{'sd':>7}{'se':>7}{'max':>7}  "
          + "".join(f"{c:>9}" for c in CELLS) + f"{'fit cpu':>9}{'/jl':>6}{'pre':>7}")
    for name in names:
        for family in families:
            rows = [r for (v, f, _), r in latest.items() if v == name and f == family]
            if not rows:
                continue
            seeds = {r["seed"] for r in rows}
            worst = np.array([r["worst_cell"] for r in rows])
            signed = {c: np.mean([r["signed"][c] for r in rows]) for c in CELLS}
            cpu = np.mean([r["fit_cpu_s"] for r in rows])
            jl = [r for (v, f, s), r in latest.items() if v == "jl" and f == family and s in seeds]
            ratio = cpu / np.mean([r["fit_cpu_s"] for r in jl]) if len(jl) == len(rows) else float("nan")
            sd = worst.std(ddof=1) if len(rows) > 1 else float("nan")
            print(f"{name:<16}{family:<6}{len(rows):>3}{worst.mean():>11.4f}{sd:>7.3f}{sd / np.sqrt(len(rows)):>7.3f}"
                  f"{worst.max():>7.3f}  " + "".join(f"{signed[c]:>+9.3f}" for c in CELLS)
                  + f"{cpu:>9.3f}{ratio:>6.2f}{np.mean([r['pretrain_cpu_s'] for r in rows]):>7.3f}")


def parse_seeds(text):
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=None, help=f"of {list(VARIANTS)}")
    parser.add_argument("--seeds", default="1-10", help="range 'a-b' or list 'a,b,c'")
    parser.add_argument("--families", nargs="+", default=["seed", "wide", "weak"],
                        help="quality.py's families at 300 rows, or FAMILY-ROWS (e.g. seed-1000)")
    parser.add_argument("--out", default="dbm_study.jsonl")
    parser.add_argument("--cache", default=None, help="directory for cached pre-trained stacks")
    parser.add_argument("--summary", action="store_true", help="only print the summary of --out")
    args = parser.parse_args(argv)
    if args.summary:
        summary(load(args.out), args.variants, args.families, set(parse_seeds(args.seeds)))
        return
    condgen.set_num_threads(1)
    if args.cache:
        os.makedirs(args.cache, exist_ok=True)
    for name in args.variants or list(VARIANTS):
        if name not in VARIANTS:
            parser.error(f"unknown variant {name!r}")
    start = time.perf_counter()
    for name in args.variants or list(VARIANTS):
        for family in args.families:
            for seed in parse_seeds(args.seeds):
                record = run(family, seed, name, args.cache)
                with open(args.out, "a") as f:
                    f.write(json.dumps(record) + "\n")
                print(f"[{time.perf_counter() - start:6.0f} s] {name} {family} {seed}: worst {record['worst_cell']:.3f} "
                      f"({record['worst_where']}) fit {record['fit_cpu_s']:.2f} s", flush=True)
    summary(load(args.out), args.variants, args.families, set(parse_seeds(args.seeds)))


if __name__ == "__main__":
    main()
