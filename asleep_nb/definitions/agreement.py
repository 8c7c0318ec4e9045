"""Definitions of an agreement study: its stage classes (four, or sleep/wake by one named rule) and colours.

A device night and a reference scoring are compared epoch by epoch in one of
two class sets (``classes``):

``4``
    The Asleep four stages in code order: wake (0), light (1), deep (2), REM (3).
``2``
    Wake and sleep by the **sleep/wake rule** (:func:`to_sleep_wake`): wake
    stays wake (0), light, deep and REM become sleep (1). No signal (-1) and
    padding (``PAD``) pass through unchanged, so they stay excluded.

Labels come from :data:`~asleep_nb.definitions.stages.STAGES` (the two-stage
label of code 1 is "Sleep"), so tables and figures of an agreement study
spell the classes as every other figure does. :data:`AGREEMENT_COLORS` are the
colours of what its figures draw besides stages (Okabe-Ito colours no stage uses).

Examples
--------
>>> from asleep_nb.definitions.agreement import class_codes, class_labels, to_sleep_wake
>>> class_codes(2), class_labels(2), class_labels(4)
((0, 1), ('Wake', 'Sleep'), ('Wake', 'Light', 'Deep', 'REM'))
>>> to_sleep_wake([0, 1, 2, 3, -1, -2]).tolist()
[0, 1, 1, 1, -1, -2]
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike

from asleep_nb.definitions.stages import STAGES, SleepStage

__all__ = [
    "Classes",
    "CLASSES",
    "SLEEP_WAKE_RULE",
    "class_codes",
    "class_labels",
    "class_names",
    "check_classes",
    "to_sleep_wake",
    "to_classes",
    "AGREEMENT_COLORS",
]

#: How many stage classes an agreement is computed in.
Classes = Literal[2, 4]
#: The class sets, in the order documents list them.
CLASSES: tuple[Classes, ...] = (4, 2)
#: One sentence naming the sleep/wake rule, for reports and methods paragraphs.
SLEEP_WAKE_RULE: Final = (
    "sleep/wake rule: wake stays wake; light, deep and REM are sleep; "
    "no signal and unscored epochs stay excluded"
)

#: Colours of agreement figures: nights (Bland-Altman points), the bias line, the limits of
#: agreement, and the marks of epochs where device and reference disagree.
AGREEMENT_COLORS: MappingProxyType[str, str] = MappingProxyType(
    {"night": "#555555", "bias": "#000000", "limit": "#CC79A7", "disagree": "#000000"}
)

_FOUR: tuple[int, ...] = (
    int(SleepStage.WAKE),
    int(SleepStage.LIGHT),
    int(SleepStage.DEEP),
    int(SleepStage.REM),
)


def check_classes(classes: object) -> Classes:
    """``classes`` as :data:`Classes`, or a ``ValueError`` naming the choices.

    Examples
    --------
    >>> check_classes(2)
    2
    >>> check_classes(5)
    Traceback (most recent call last):
    ...
    ValueError: classes must be 4 (wake, light, deep, REM) or 2 (wake, sleep), got 5
    """
    if classes == 4 and not isinstance(classes, bool):
        return 4
    if classes == 2 and not isinstance(classes, bool):
        return 2
    raise ValueError(f"classes must be 4 (wake, light, deep, REM) or 2 (wake, sleep), got {classes!r}")


def class_codes(classes: Classes) -> tuple[int, ...]:
    """The stage codes of a class set, in code order: ``(0, 1, 2, 3)`` or ``(0, 1)``.

    Examples
    --------
    >>> class_codes(4)
    (0, 1, 2, 3)
    """
    return _FOUR if check_classes(classes) == 4 else _FOUR[:2]


def class_labels(classes: Classes) -> tuple[str, ...]:
    """Display labels of a class set, in code order (from :data:`STAGES`).

    Examples
    --------
    >>> class_labels(2)
    ('Wake', 'Sleep')
    """
    two = check_classes(classes) == 2
    return tuple(str(STAGES[c].two_stage_label if two else STAGES[c].label) for c in class_codes(classes))


def class_names(classes: Classes) -> tuple[str, ...]:
    """Machine names of a class set, in code order: ``wake light deep rem`` or ``wake sleep``.

    Examples
    --------
    >>> class_names(2)
    ('wake', 'sleep')
    """
    if check_classes(classes) == 2:
        return (STAGES[0].name, "sleep")
    return tuple(STAGES[c].name for c in _FOUR)


def to_sleep_wake(stages: ArrayLike) -> np.ndarray:
    """The sleep/wake rule: light, deep and REM become sleep (1); every other code is kept.

    Parameters
    ----------
    stages
        Integer stage codes of any shape (padding ``PAD`` and no signal -1 included).

    Returns
    -------
    numpy.ndarray
        Same shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> to_sleep_wake(np.array([[0, 3], [2, -2]], dtype=np.int8)).tolist()
    [[0, 1], [1, -2]]
    """
    codes = np.asarray(stages)
    if codes.dtype == bool or not np.issubdtype(codes.dtype, np.integer):
        raise TypeError(f"stages must hold integer stage codes, got dtype {codes.dtype}")
    out = codes.copy()
    out[codes > int(SleepStage.LIGHT)] = int(SleepStage.LIGHT)
    return out


def to_classes(stages: ArrayLike, classes: Classes) -> np.ndarray:
    """Stage codes in a class set: unchanged for 4, :func:`to_sleep_wake` for 2.

    Examples
    --------
    >>> to_classes([0, 2, 3], 2).tolist(), to_classes([0, 2, 3], 4).tolist()
    ([0, 1, 1], [0, 2, 3])
    """
    if check_classes(classes) == 2:
        return to_sleep_wake(stages)
    return np.asarray(stages).copy()
