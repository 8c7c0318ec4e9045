"""What adherence means in a study run day by day: night statuses, their colours, the contact rules.

A **study night** of a participant is a night (the night rule,
:func:`~asleep_nb.definitions.rules.night_of`, in the participant's zone)
between the first and the last night of their enrolment. On the morning of
``today`` the last night that can have been recorded is ``today - 1``. Each
study night up to it has one **status** (:data:`NIGHT_STATUSES`, the worst
session of the night decides when there are several):

- ``valid``: a ``COMPLETE`` session, valid by the contract (no peculiarity of
  :data:`~asleep_nb.definitions.fields.INVALID_PECULIARITIES`), whose
  no-signal share is at most the rules' threshold: a night for analysis;
- ``recorded``: a ``COMPLETE`` session the contract calls valid but that is
  no night for analysis (never slept, or too much no signal);
- ``invalid``: every session of the night is invalid by the contract
  (too short, too many defects);
- ``processing``: a session still ``OPEN`` or ``CLOSED`` on the server;
- ``missing``: no session at all (not recorded, or not uploaded yet).

:class:`AdherenceRules` says when a participant **needs contact**; each rule
met adds a reason. The defaults: 2 or more nights missed in a row, 2 or more
invalid nights in the window, a mean no-signal share over
:data:`FLAG_NO_SIGNAL_SHARE` (the data-quality threshold the report uses too),
no night recorded at all.

Examples
--------
>>> NIGHT_STATUSES["missing"].label, AdherenceRules().max_missed_in_a_row
('Missing', 2)
>>> AdherenceRules(max_missed_in_a_row=3).max_missed_in_a_row
3
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = [
    "AdherenceRules",
    "NightStatus",
    "NIGHT_STATUSES",
    "STATUS_ORDER",
    "PROCESSING_STATES",
    "OUTSIDE_STUDY_COLOR",
    "FLAG_NO_SIGNAL_SHARE",
]

#: A night whose no-signal share exceeds this is flagged (data quality, and a night not for analysis).
FLAG_NO_SIGNAL_SHARE: Final = 0.2

#: Session states that are not final yet: the session is still being recorded or analysed.
PROCESSING_STATES: frozenset[str] = frozenset({"OPEN", "CLOSED"})


@dataclass(frozen=True, slots=True)
class NightStatus:
    """One status a study night can have.

    Attributes
    ----------
    name
        Machine name (``"valid"``...), as in tables and CSV.
    label
        Display label (figures, the report).
    color
        Hex colour (Okabe-Ito, safe for the common colour-vision deficiencies).
    meaning
        One sentence for legends and documentation.
    """

    name: str
    label: str
    color: str
    meaning: str


#: Every night status, best first; the worst session of a night decides it (see :data:`STATUS_ORDER`).
NIGHT_STATUSES: MappingProxyType[str, NightStatus] = MappingProxyType(
    {
        "valid": NightStatus("valid", "Valid", "#009E73", "a complete night for analysis"),
        "recorded": NightStatus(
            "recorded", "Recorded, not for analysis", "#F0E442", "complete, but never slept or much no signal"
        ),
        "processing": NightStatus(
            "processing", "Processing", "#56B4E9", "still OPEN or CLOSED on the server"
        ),
        "invalid": NightStatus("invalid", "Invalid", "#D55E00", "too short or too many defects"),
        "missing": NightStatus("missing", "Missing", "#CC79A7", "no session (not recorded or not uploaded)"),
    }
)
#: When a night has several sessions, the first status in this order among them wins.
STATUS_ORDER: tuple[str, ...] = ("valid", "recorded", "processing", "invalid", "missing")
#: Colour of a cell that is no study night (before enrolment, after it, or not yet come).
OUTSIDE_STUDY_COLOR: Final = "#FFFFFF"


@dataclass(frozen=True, slots=True)
class AdherenceRules:
    """When a participant needs contact; each rule met adds its reason.

    Parameters
    ----------
    max_missed_in_a_row
        Flag when this many study nights or more were missed in a row up to
        the last night (``None``: never).
    max_invalid
        Flag when this many invalid nights or more lie in the window (``None``: never).
    max_no_signal_share
        Flag when the mean no-signal share of the window's complete nights
        exceeds this (``None``: never).
    flag_never_recorded
        Flag a participant whose study has begun and who has no night at all.

    Examples
    --------
    >>> AdherenceRules(max_invalid=None).max_invalid is None
    True
    >>> AdherenceRules(max_missed_in_a_row=0)
    Traceback (most recent call last):
    ...
    ValueError: max_missed_in_a_row must be a positive integer or None, got 0
    """

    max_missed_in_a_row: int | None = 2
    max_invalid: int | None = 2
    max_no_signal_share: float | None = FLAG_NO_SIGNAL_SHARE
    flag_never_recorded: bool = True

    def __post_init__(self) -> None:
        for name in ("max_missed_in_a_row", "max_invalid"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
        share = self.max_no_signal_share
        if share is not None and (
            not isinstance(share, int | float) or not math.isfinite(share) or share < 0
        ):
            raise ValueError(f"max_no_signal_share must be a share from 0 to 1 or None, got {share!r}")
