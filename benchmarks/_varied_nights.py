"""Cohorts of real DOD scorings whose nights vary in length, with the demo's snoring on every night.

The workload of issue 25: N nights cut from (or concatenated of) the 80 DOD majority-vote nights
(``bench_stats_real.real_nights``: -1 scored as wake so pysleep accepts them), each
``uniform(0.4, 2.5)`` times the mean DOD night long, and one session per 1,000 nights over 24 hours
(3,000 epochs, 25 h; :func:`doubled` makes those 50 h by repeating them), every night with the
demo's snoring (``generate_snoring``, DOD-O's mid rates, as the API always sends ``snoring_stages``).
"""

from __future__ import annotations

import numpy as np

#: Epochs of the session over 24 hours that each 1,000 nights hold (25 h).
LONG_EPOCHS = 3_000
LOW, HIGH = 0.4, 2.5


def varied_nights(n: int, seed: int = 25) -> list[np.ndarray]:
    """``n`` nights of real scorings, lengths 0.4x-2.5x a DOD night, one of 25 h per 1,000."""
    from bench_stats_real import real_nights

    dod = real_nights(80)
    stream = np.concatenate(dod)  # the 80 nights end to end: a night is cut from anywhere in it
    mean = float(np.mean([len(x) for x in dod]))
    rng = np.random.default_rng(seed)
    lengths = np.rint(rng.uniform(LOW, HIGH, n) * mean).astype(np.int64)
    lengths[500::1_000] = LONG_EPOCHS
    stream = np.tile(stream, int(lengths.max() // stream.size) + 2)
    starts = rng.integers(0, stream.size - lengths.max(), n)
    nights = [stream[s : s + k].copy() for s, k in zip(starts, lengths, strict=True)]
    # a cut that holds no sleep (from the wake between two nights) is cut again further on: on a night
    # that never slept the contract's null fields differ from pysleep's zeros by design (stats.vendor)
    for i, x in enumerate(nights):
        at = int(starts[i])
        while not (x > 0).any():
            at = (at + 97) % (stream.size - lengths.max())
            x = nights[i] = stream[at : at + lengths[i]].copy()
    return nights


def snoring_for(nights: list[np.ndarray], seed: int = 25) -> list[np.ndarray]:
    """The demo's snoring (two-state chain during sleep, DOD-O's mid rates) for every night."""
    from asleep_nb.standin.builder import generate_snoring

    rng = np.random.default_rng(seed)
    return [generate_snoring(x, rng, 0.05, 0.1) for x in nights]


def doubled(nights: list[np.ndarray], snoring: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The same nights with each one over 24 hours twice as long (itself twice, end to end)."""
    long = [len(x) > 2_880 for x in nights]
    twice = [np.concatenate([x, x]) if k else x for x, k in zip(nights, long, strict=True)]
    return twice, [np.concatenate([x, x]) if k else x for x, k in zip(snoring, long, strict=True)]


def workload(nights: list[np.ndarray]) -> str:
    """The cohort described in words: nights, epochs (min/median/max), recorded share of the matrix."""
    n = np.array([len(x) for x in nights])
    return (
        f"{len(nights):,} real nights, {n.min():,}-{n.max():,} epochs (median {np.median(n):,.0f}), "
        f"{int((n > 2_880).sum())} over 24 h, snoring on all; "
        f"{n.sum() / (n.size * n.max()):.0%} of matrix recorded"
    )
