"""Many metrics compared at once: p-values adjusted for the false discovery rate.

Examples
--------
>>> fdr_adjust([0.01, 0.04, 0.03, float("nan")]).round(3).tolist()
[0.03, 0.04, 0.04, nan]
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["fdr_adjust"]


def fdr_adjust(p_values: Iterable[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (``scipy.stats.false_discovery_control``).

    The family is every non-missing p-value given; missing ones stay ``NaN``
    and do not count towards the family's size.

    Parameters
    ----------
    p_values
        One p-value per comparison (``NaN`` where there is none).

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, in the order given.

    Raises
    ------
    ValueError
        A p-value outside [0, 1].

    Examples
    --------
    >>> fdr_adjust([0.001, 0.2]).tolist()
    [0.002, 0.2]
    """
    p = np.asarray(list(p_values), dtype=float)
    present = ~np.isnan(p)
    if np.any((p[present] < 0) | (p[present] > 1)):
        raise ValueError(f"p-values must lie in [0, 1], got {p[present & ((p < 0) | (p > 1))].tolist()}")
    out = np.full(p.shape, np.nan)
    if present.any():
        from scipy.stats import false_discovery_control  # scipy.stats is slow to import: only when asked

        out[present] = false_discovery_control(p[present], method="bh")
    return out
