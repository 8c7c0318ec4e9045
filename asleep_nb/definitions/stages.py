"""Stage codes: what each number of a stage array means, and how it is shown.

The API scores every 30-second epoch with a code (``sleep_stages``: -1 no
signal, 0 wake, 1 light, 2 deep, 3 REM; ``snoring_stages``: -1, 0, 1). This
module is the one place that says, for every sleep-stage code, its machine
name (used in data: CF ``flag_meanings``, bout tables, figure ids), its
display label, its colour and its meaning. Figures, widgets and reports take
labels and colours from :data:`STAGES`; nothing else spells them.

Code -1 is called ``"error"`` in data (the CF flag meaning, which stored files
keep) and **"No signal"** wherever a person reads it: the API uses -1 for
epochs without usable audio or whose analysis failed, so nothing is known
about the sleeper during it.

Examples
--------
>>> from asleep_nb.definitions.stages import STAGES, SleepStage, stage_label
>>> STAGES[SleepStage.REM].label, STAGES[SleepStage.REM].color
('REM', '#D55E00')
>>> stage_label(-1), stage_label(1, two_stage=True)
('No signal', 'Sleep')
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = [
    "EPOCH_SECONDS",
    "PAD",
    "SleepStage",
    "SnoringStage",
    "Stage",
    "STAGES",
    "SLEEP_CODES",
    "NO_SIGNAL_LABEL",
    "SNORING_COLOR",
    "SLEEP_STAGE_CODES",
    "SNORING_STAGE_CODES",
    "BREATH_STAGE_CODES",
    "SLEEP_STAGE_FLAGS",
    "SNORING_STAGE_FLAGS",
    "SNORING_STAGE_MEANINGS",
    "TWO_STAGE_FLAGS",
    "stage_label",
]

#: Length of one epoch in seconds. Stage arrays hold one value per epoch.
EPOCH_SECONDS: Final = 30

#: Fill code for epoch slots that hold no epoch of a session (padding in a
#: cohort whose nights differ in length or alignment). Chosen outside every
#: stage code of the API so it can never be mistaken for data; stage arrays
#: stay ``int8``.
PAD: Final = -2


class SleepStage(enum.IntEnum):
    """Sleep stage codes of the API (four-stage contract).

    Under a two-stage contract only ``WAKE`` (0) and ``LIGHT`` (1, meaning
    "sleep") occur. ``ERROR`` (-1) is shown as "No signal" (see :data:`STAGES`).
    """

    ERROR = -1
    WAKE = 0
    LIGHT = 1
    DEEP = 2
    REM = 3


class SnoringStage(enum.IntEnum):
    """Snoring codes of the API."""

    ERROR = -1
    NO_SNORING = 0
    SNORING = 1


@dataclass(frozen=True)
class Stage:
    """One sleep-stage code and everything said about it.

    Attributes
    ----------
    code
        The API's code.
    name
        Machine name, as in the CF ``flag_meanings`` of ``sleep_stage``:
        ``"error"``, ``"wake"``, ``"light"``, ``"deep"``, ``"rem"``.
    label
        Display label (figures, widgets, reports).
    two_stage_label
        Display label on a two-stage night (code 1 means "sleep"), or
        ``None`` for codes a two-stage night cannot hold.
    color
        Hex colour, from the Okabe-Ito palette (safe for the common
        colour-vision deficiencies), used by every figure.
    meaning
        One sentence for documentation and legends' help text.
    """

    code: int
    name: str
    label: str
    two_stage_label: str | None
    color: str
    meaning: str

    @property
    def is_sleep(self) -> bool:
        """Whether the code is scored sleep (light, deep or REM)."""
        return self.code in SLEEP_CODES


#: Display label of code -1, the same in every figure, widget and table.
NO_SIGNAL_LABEL: Final = "No signal"

#: Every sleep-stage code, in code order.
STAGES: MappingProxyType[int, Stage] = MappingProxyType(
    {
        -1: Stage(
            -1,
            "error",
            NO_SIGNAL_LABEL,
            NO_SIGNAL_LABEL,
            "#BBBBBB",
            "no usable audio or a failed analysis: nothing is known of the sleeper",
        ),
        0: Stage(0, "wake", "Wake", "Wake", "#E69F00", "awake"),
        1: Stage(
            1, "light", "Light", "Sleep", "#56B4E9", "light sleep (N1/N2); on a two-stage night, any sleep"
        ),
        2: Stage(2, "deep", "Deep", None, "#0072B2", "deep (slow-wave) sleep, N3"),
        3: Stage(3, "rem", "REM", None, "#D55E00", "rapid-eye-movement sleep"),
    }
)

#: Codes that are scored sleep: light, deep, REM (the research onset rule's "sleep").
SLEEP_CODES: frozenset[int] = frozenset(int(s) for s in (SleepStage.LIGHT, SleepStage.DEEP, SleepStage.REM))

#: Colour of snoring epochs (Okabe-Ito bluish green).
SNORING_COLOR: Final = "#009E73"

#: Every value a ``sleep_stages`` array may hold.
SLEEP_STAGE_CODES: frozenset[int] = frozenset(int(s) for s in SleepStage)
#: Every value a ``snoring_stages`` array may hold.
SNORING_STAGE_CODES: frozenset[int] = frozenset(int(s) for s in SnoringStage)
#: Breath stages are not documented beyond "nullable list": accept -1..2.
BREATH_STAGE_CODES: frozenset[int] = frozenset({-1, 0, 1, 2})

#: CF flag attributes for the ``sleep_stage`` variable.
SLEEP_STAGE_FLAGS: dict[str, object] = {
    "flag_values": [s.code for s in STAGES.values()],
    "flag_meanings": " ".join(s.name for s in STAGES.values()),
}
#: CF flag attributes for the ``snoring_stage`` variable.
SNORING_STAGE_FLAGS: dict[str, object] = {
    "flag_values": [-1, 0, 1],
    "flag_meanings": "error no_snoring snoring",
}
#: What each snoring code means (the codebook's text), in code order.
SNORING_STAGE_MEANINGS: MappingProxyType[int, str] = MappingProxyType(
    {
        -1: "no usable audio or a failed analysis: unknown",
        0: "no snoring",
        1: "snoring",
    }
)
#: CF flag attributes of a session's ``two_stage`` flag as files hold it (``int8`` 0/1; ``bool`` in memory).
TWO_STAGE_FLAGS: dict[str, object] = {
    "flag_values": [0, 1],
    "flag_meanings": "four_stage two_stage",
}


def stage_label(code: int, *, two_stage: bool = False) -> str:
    """Display label of a sleep-stage code.

    Parameters
    ----------
    code
        A sleep-stage code (-1..3).
    two_stage
        Label for a two-stage night, where code 1 means "sleep".

    Raises
    ------
    KeyError
        ``code`` is not a sleep-stage code (or cannot occur on a two-stage night).

    Examples
    --------
    >>> stage_label(0), stage_label(3), stage_label(1, two_stage=True)
    ('Wake', 'REM', 'Sleep')
    >>> stage_label(2, two_stage=True)
    Traceback (most recent call last):
    ...
    KeyError: 'code 2 does not occur on a two-stage night (wake 0, sleep 1, no signal -1)'
    """
    if code not in STAGES:
        raise KeyError(f"{code!r} is not a sleep-stage code; expected one of {sorted(STAGES)}")
    stage = STAGES[code]
    if not two_stage:
        return stage.label
    if stage.two_stage_label is None:
        raise KeyError(f"code {code} does not occur on a two-stage night (wake 0, sleep 1, no signal -1)")
    return stage.two_stage_label
