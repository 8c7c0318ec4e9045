"""The real part of the demo: DOD expert scorings, mapped to the Asleep code and voted into one night.

The Dreem Open Datasets (DOD-H, 25 healthy adults; DOD-O, 55 patients with
obstructive sleep apnea) give five expert scorings per night in AASM codes.
Each night becomes one list of Asleep codes by a per-epoch majority vote.

Examples
--------
>>> import numpy as np
>>> from asleep_nb.standin.builder.recordings import majority_vote, to_asleep_code
>>> to_asleep_code(np.array([-1, 0, 1, 2, 3, 4])).tolist()
[-1, 0, 1, 1, 2, 3]
>>> majority_vote(np.array([[0, 2], [0, 2], [1, 3], [1, 3], [0, 4]])).tolist()
[0, 1]
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from asleep_nb.definitions import SLEEP_STAGE_CODES

__all__ = [
    "REPOSITORY",
    "Recording",
    "consensus_aasm",
    "default_source",
    "load_recordings",
    "majority_vote",
    "scorer_agreement",
    "to_asleep_code",
]

#: The source checkout this builder runs from (the folder holding ``asleep_nb`` and ``data``).
REPOSITORY = Path(__file__).resolve().parents[3]

#: AASM code (-1..4) -> Asleep four-stage code, indexed by ``aasm + 1``.
_AASM_TO_ASLEEP = np.array([-1, 0, 1, 1, 2, 3], dtype=np.int8)
#: Asleep codes a scorer can give after mapping, in vote order (``_VOTE_CODES[k] == k - 1``).
_VOTE_CODES = np.array(sorted(SLEEP_STAGE_CODES), dtype=np.int8)
#: AASM codes in vote order (``_AASM_CODES[k] == k - 1``).
_AASM_CODES = np.arange(-1, 5, dtype=np.int8)


def default_source() -> Path:
    """Where the DOD scorings are looked for when no source is given.

    ``$ASLEEP_NB_DOD_DIR`` if set, else ``../shared/data/dod`` beside the
    repository (``Path(asleep_nb.__file__).parents[2] / "shared/data/dod"``).

    Examples
    --------
    >>> default_source().name
    'dod'
    """
    env = os.environ.get("ASLEEP_NB_DOD_DIR")
    if env:
        return Path(env)
    return REPOSITORY.parent / "shared" / "data" / "dod"


def to_asleep_code(aasm: np.ndarray) -> np.ndarray:
    """Map AASM codes (-1 not scored, 0 wake, 1 N1, 2 N2, 3 N3, 4 REM) to Asleep codes.

    N1 and N2 become light (1), N3 deep (2), REM 3; wake stays 0 and
    not scored stays -1.

    Raises
    ------
    ValueError
        When a value is outside -1..4.

    Examples
    --------
    >>> to_asleep_code(np.array([0, 1, 2, 3, 4, -1])).tolist()
    [0, 1, 1, 2, 3, -1]
    """
    aasm = np.asarray(aasm)
    if aasm.size and (aasm.min() < -1 or aasm.max() > 4):
        raise ValueError(f"AASM codes must lie in -1..4, got values from {aasm.min()} to {aasm.max()}")
    return _AASM_TO_ASLEEP[aasm.astype(np.int64) + 1]


def _cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two scorings over the epochs both scored (codes 0..3)."""
    both = (a >= 0) & (b >= 0)
    a, b = a[both].astype(np.int64), b[both].astype(np.int64)
    if a.size == 0:
        return 0.0
    observed = float(np.mean(a == b))
    pa = np.bincount(a, minlength=4) / a.size
    pb = np.bincount(b, minlength=4) / b.size
    expected = float(pa @ pb)
    return 1.0 if expected >= 1.0 else (observed - expected) / (1.0 - expected)


def scorer_agreement(mapped: np.ndarray) -> np.ndarray:
    """Mean Cohen's kappa of each scorer with every other scorer.

    Parameters
    ----------
    mapped
        Array ``(n_scorers, n_epochs)`` of Asleep codes. Kappa is computed
        on the four stages, over the epochs both scorers scored.

    Returns
    -------
    numpy.ndarray
        One float per scorer.

    Examples
    --------
    >>> s = np.array([[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 1, 3]])
    >>> scorer_agreement(s).round(2).tolist()
    [0.83, 0.83, 0.67]
    """
    n = mapped.shape[0]
    kappa = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            kappa[i, j] = kappa[j, i] = _cohen_kappa(mapped[i], mapped[j])
    if n == 1:
        return np.ones(1)
    return (kappa.sum(axis=1) - 1.0) / (n - 1)


def majority_vote(scorings: np.ndarray) -> np.ndarray:
    """One Asleep-coded list per night from several AASM scorings.

    Each scorer's list is first mapped to the Asleep code, then each epoch
    takes the most frequent code (-1 "not scored" is one of the candidates,
    so an epoch stays -1 only when that is the vote). Ties go to the scorer
    with the best agreement with the rest (highest mean Cohen's kappa, see
    :func:`scorer_agreement`; lower scorer index on equal kappa) among the
    scorers who gave one of the tied codes.

    Parameters
    ----------
    scorings
        Array ``(n_scorers, n_epochs)`` of AASM codes (-1..4).

    Returns
    -------
    numpy.ndarray
        ``int8`` Asleep codes, one per epoch.

    Raises
    ------
    ValueError
        When ``scorings`` is not two-dimensional or holds codes outside -1..4.

    Examples
    --------
    >>> majority_vote(np.array([[2], [2], [3], [3], [-1]])).tolist()
    [1]
    """
    scorings = np.asarray(scorings)
    if scorings.ndim != 2 or scorings.shape[0] == 0:
        raise ValueError(f"scorings must be (n_scorers, n_epochs), got shape {scorings.shape}")
    mapped = to_asleep_code(scorings)
    return _vote(mapped, _VOTE_CODES, scorer_agreement(mapped))


def consensus_aasm(scorings: np.ndarray) -> np.ndarray:
    """The five-class AASM consensus of several scorings, by the rule of :func:`majority_vote`.

    The same vote in the AASM code itself (-1 not scored, 0 W, 1 N1, 2 N2,
    3 N3, 4 REM): each epoch takes the most frequent code; ties go to the
    scorer ranked first by :func:`scorer_agreement` on the Asleep code (the
    same ranking as :func:`majority_vote`). The demo's reference scorings.

    Examples
    --------
    >>> consensus_aasm(np.array([[3, 0], [3, 0], [2, 4], [2, 4], [2, 4]])).tolist()
    [2, 4]
    """
    scorings = np.asarray(scorings)
    if scorings.ndim != 2 or scorings.shape[0] == 0:
        raise ValueError(f"scorings must be (n_scorers, n_epochs), got shape {scorings.shape}")
    to_asleep_code(scorings)  # checks the codes
    return _vote(scorings.astype(np.int8), _AASM_CODES, scorer_agreement(to_asleep_code(scorings)))


def _vote(codes: np.ndarray, candidates: np.ndarray, agreement: np.ndarray) -> np.ndarray:
    """Per-epoch majority of ``codes`` (scorers x epochs) among ``candidates`` (``candidates[k] = k - 1``)."""
    counts = (codes[:, :, None] == candidates[None, None, :]).sum(axis=0)  # (epochs, codes)
    best = counts.max(axis=1, keepdims=True)
    tied = counts == best  # (epochs, codes)
    vote = candidates[np.argmax(counts, axis=1)]
    unresolved = tied.sum(axis=1) > 1
    ranking = sorted(range(codes.shape[0]), key=lambda s: (-agreement[s], s))
    for scorer in ranking:
        code_index = codes[scorer] + 1  # candidates[k] == k - 1
        takes = unresolved & tied[np.arange(codes.shape[1]), code_index]
        vote[takes] = codes[scorer][takes]
        unresolved &= ~takes
    return vote.astype(np.int8)


@dataclass(frozen=True)
class Recording:
    """One real DOD night, reduced to the Asleep code.

    Attributes
    ----------
    record_id
        The DOD record id (a UUID).
    cohort
        ``"dodh"`` (healthy) or ``"dodo"`` (obstructive sleep apnea).
    stages
        ``int8`` majority-vote stages, one per 30-second epoch.
    """

    record_id: str
    cohort: str
    stages: np.ndarray = field(repr=False)


def load_recordings(source: str | Path | None = None) -> dict[str, list[Recording]]:
    """Read ``dodh.json`` and ``dodo.json`` and vote each night.

    Parameters
    ----------
    source
        The folder holding the two files; :func:`default_source` when ``None``.

    Returns
    -------
    dict
        ``{"dodh": [...], "dodo": [...]}``, each list sorted by record id.

    Raises
    ------
    FileNotFoundError
        When the folder or one of the files is missing.
    ValueError
        When a record's scorer lists differ in length.

    Examples
    --------
    >>> recs = load_recordings()
    >>> len(recs["dodh"]), len(recs["dodo"])
    (25, 55)
    """
    folder = Path(source) if source is not None else default_source()
    out: dict[str, list[Recording]] = {}
    for cohort in ("dodh", "dodo"):
        path = folder / f"{cohort}.json"
        if not path.is_file():
            raise FileNotFoundError(
                f"DOD scorings not found: {path} is missing. Pass --source PATH (the folder holding "
                "dodh.json and dodo.json) or set ASLEEP_NB_DOD_DIR."
            )
        raw = json.loads(path.read_text(encoding="utf-8"))
        records = []
        for record_id in sorted(raw):
            lists = [raw[record_id][name] for name in sorted(raw[record_id])]
            if len({len(x) for x in lists}) != 1:
                raise ValueError(f"{path}: record {record_id} has scorer lists of different lengths")
            records.append(Recording(record_id, cohort, majority_vote(np.array(lists, dtype=np.int64))))
        out[cohort] = records
    return out
