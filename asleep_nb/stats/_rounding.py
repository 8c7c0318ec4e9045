"""Exact rounding for the stat engine: Python's ``round(k / n, 2)`` with integers.

Ratios of the ``stat`` object are ``round(k / n, 2)`` with Python's
``round``, which rounds the *exact* decimal value of the double ``k / n``.
``numpy.round`` does not (it rounds ``x * 100``); for instance
``round(1 / 40, 2) == 0.03`` but ``np.round(1 / 40, 2) == 0.02`` (1230 of the
4.5 million ratios ``k / n`` with ``n <= 3000`` differ). This module computes
the number of hundredths ``m`` with exact integer arithmetic instead: ``m``
is the integer nearest to ``100 k / n`` (``(200 k + n) // (2 n)``), except
when ``100 k / n`` is exactly a half ``j / 2`` (``j`` odd). Then the double
``k / n`` equals the double ``j / 200`` whatever ``k`` and ``n`` are, so the
answer depends on ``j`` only and is taken from Python's own
``round(j / 200, 2)``. Away from halves the exact value is at least
``1 / (200 n)`` from a rounding boundary, far more than the error of a
double, so both agree. The ratio is then ``m / 100`` (the double nearest to
``m / 100``, which is what Python's ``round`` returns). The test suite checks
this bit for bit against ``round`` for every ``k / n`` with ``n <= 3000``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["round2_hundredths", "round_half_even"]


def round2_hundredths(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Hundredths of ``round(num / den, 2)`` with Python's ``round``, exactly.

    Parameters
    ----------
    num, den
        Non-negative integer arrays of the same shape; ``den > 0``.

    Returns
    -------
    numpy.ndarray
        ``int64`` ``m`` such that ``m / 100 == round(num / den, 2)`` bit for bit.

    Examples
    --------
    >>> import numpy as np
    >>> round2_hundredths(np.array([1, 3, 27]), np.array([40, 40, 200])).tolist()
    [3, 7, 14]
    """
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    num200 = 200 * num
    q, r = np.divmod(num200, den)
    m = (num200 + den) // (2 * den)
    half = (r == 0) & (q % 2 == 1)
    if half.any():
        js = np.unique(q[half])
        # Python's round on the double j / 200 (== the double num / den).
        table = np.array([round(round(int(j) / 200, 2) * 100) for j in js], dtype=np.int64)
        m = np.where(half, table[np.searchsorted(js, np.where(half, q, js[0]))], m)
    return m


def round_half_even(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Integer nearest to the exact ``num / den`` (ties to even), for ``den > 0``.

    Examples
    --------
    >>> import numpy as np
    >>> round_half_even(np.array([5, 7, 9]), np.array([2, 2, 4])).tolist()
    [2, 4, 2]
    """
    q, r = np.divmod(num, den)
    return np.asarray(q + ((2 * r > den) | ((2 * r == den) & (q % 2 == 1))))
