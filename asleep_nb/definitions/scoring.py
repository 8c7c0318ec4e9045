"""Reference scorings: the one rule mapping a technologist's stage label to the Asleep four-stage code.

A validation study compares Asleep's hypnogram with a polysomnography (PSG)
scoring. PSG is scored in the AASM five-stage code (W, N1, N2, N3, R) or,
in older studies, in the Rechtschaffen & Kales code (W, 1, 2, 3, 4, REM,
movement time). The **reference label rule** (:data:`REFERENCE_LABEL_RULE`)
maps every such label to the Asleep code:

======================================  =======  ==================
reference label                         Asleep   code
======================================  =======  ==================
W, Wake, Sleep stage W, Wake|0, 0       wake     0
N1, N2 (R&K 1, 2), Stage 1/2 sleep|1/2  light    1
N3 (R&K 3 and 4), Stage 3/4 sleep|3/4   deep     2
R, REM, Sleep stage R, REM sleep|5, 4   REM      3
Movement time, Movement|6, MT           excluded -1 (``movement``)
?, Sleep stage ?, Unscored|9, -1        excluded -1 (``unscored``)
======================================  =======  ==================

Bare integers are the AASM numeric code of the Dreem Open Datasets (-1 not
scored, 0 W, 1 N1, 2 N2, 3 N3, **4 REM**), not R&K stage numbers (where 4 is
deep sleep): an R&K file spells its stages (``Sleep stage 4``). Movement and
unscored epochs are never guessed: they carry -1 in the stage array (so
every comparison, which counts only epochs both sides scored, skips them)
and are counted per session (``n_movement``, ``n_unscored``). Any other
label is unknown, and the readers refuse the file naming the line.

Labels are compared after stripping, lower-casing and collapsing blanks.

Examples
--------
>>> from asleep_nb.definitions.scoring import reference_stage
>>> reference_stage("N2"), reference_stage("Sleep stage 4")
(ReferenceStage(code=1, excluded=''), ReferenceStage(code=2, excluded=''))
>>> reference_stage("REM sleep|5").code, reference_stage("Stage 4 sleep|4").code
(3, 2)
>>> reference_stage("Movement time").excluded, reference_stage(4).code, reference_stage("N5") is None
('movement', 3, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from asleep_nb.definitions.stages import SleepStage
from asleep_nb.definitions.variables import DatasetVariable

__all__ = [
    "REFERENCE_LABEL_RULE",
    "REFERENCE_TITLE",
    "REFERENCE_SOURCE",
    "EXCLUSIONS",
    "AASM_LABELS",
    "ReferenceStage",
    "REFERENCE_LABELS",
    "REFERENCE_VARIABLES",
    "normalise_label",
    "reference_stage",
]

#: Name and one-line statement of the rule (reports and dataset attributes quote it).
REFERENCE_LABEL_RULE: Final = (
    "reference label rule: W -> wake (0); N1, N2 (R&K 1, 2) -> light (1); N3 (R&K 3, 4) -> deep (2); "
    "REM -> REM (3); movement and unscored epochs excluded (-1, counted), never guessed"
)
#: Global attribute ``title`` of a reference cohort (:func:`asleep_nb.data.reference.read_reference`).
REFERENCE_TITLE: Final = "Reference sleep scorings (polysomnography), on the epoch axis of a cohort"
#: Global attribute ``source`` of a reference cohort.
REFERENCE_SOURCE: Final = (
    "technologists' scorings read from files (reference manifest), by the reference label rule"
)
#: Why an epoch of a reference scoring is excluded, in the order they are reported.
EXCLUSIONS: tuple[str, ...] = ("movement", "unscored")


@dataclass(frozen=True)
class ReferenceStage:
    """What one reference label means.

    Attributes
    ----------
    code
        The Asleep code (0 wake, 1 light, 2 deep, 3 REM), or -1 when excluded.
    excluded
        ``""`` for a stage; ``"movement"`` or ``"unscored"`` for an excluded epoch.
    """

    code: int
    excluded: str = ""


_WAKE = ReferenceStage(int(SleepStage.WAKE))
_LIGHT = ReferenceStage(int(SleepStage.LIGHT))
_DEEP = ReferenceStage(int(SleepStage.DEEP))
_REM = ReferenceStage(int(SleepStage.REM))
_MOVEMENT = ReferenceStage(int(SleepStage.ERROR), "movement")
_UNSCORED = ReferenceStage(int(SleepStage.ERROR), "unscored")

_SPELLINGS: dict[ReferenceStage, tuple[str, ...]] = {
    # AASM letters, R&K / Sleep-EDF annotations, NSRR concepts (with and without "|n"), DOD numbers
    _WAKE: ("w", "wake", "sleep stage w", "stage w", "wake|0", "0"),
    _LIGHT: (
        "n1", "n2", "1", "2", "s1", "s2", "sleep stage 1", "sleep stage 2", "sleep stage n1",
        "sleep stage n2", "stage 1 sleep", "stage 2 sleep", "stage 1 sleep|1", "stage 2 sleep|2",
    ),
    _DEEP: (
        "n3", "n4", "3", "s3", "s4", "sleep stage 3", "sleep stage 4", "sleep stage n3",
        "stage 3 sleep", "stage 4 sleep", "stage 3 sleep|3", "stage 4 sleep|4",
    ),
    _REM: ("r", "rem", "4", "sleep stage r", "sleep stage rem", "rem sleep", "rem sleep|5"),
    _MOVEMENT: ("movement time", "movement", "movement|6", "mt", "sleep stage m"),
    _UNSCORED: ("?", "sleep stage ?", "unscored", "unscored|9", "-1"),
}  # fmt: skip

#: Every known label (normalised, see :func:`normalise_label`) -> what it means.
REFERENCE_LABELS: MappingProxyType[str, ReferenceStage] = MappingProxyType(
    {label: stage for stage, labels in _SPELLINGS.items() for label in labels}
)


#: The AASM numeric code (Dreem Open Datasets: -1 not scored, 0 W, 1 N1, 2 N2, 3 N3, 4 REM) -> AASM label.
AASM_LABELS: MappingProxyType[int, str] = MappingProxyType(
    {-1: "?", 0: "W", 1: "N1", 2: "N2", 3: "N3", 4: "R"}
)


def _variable(
    name: str, long_name: str, meaning: str, dtype: str = "int32", units: str = "1"
) -> DatasetVariable:
    return DatasetVariable(name, long_name, meaning, "session", dtype, units=units)


#: Per-session coordinates a reference cohort has beyond a cohort's.
REFERENCE_VARIABLES: MappingProxyType[str, DatasetVariable] = MappingProxyType(
    {
        v.name: v
        for v in (
            _variable("n_movement", "reference epochs scored as movement (excluded)",
                      "Epochs the reference scored as movement time: -1 in sleep_stage, never compared."),
            _variable("n_unscored", "reference epochs left unscored (excluded)",
                      "Epochs the reference left unscored (?): -1 in sleep_stage, never compared."),
            _variable("source_file", "reference scoring file",
                      "The file the session's reference scoring was read from (as the manifest names it).",
                      dtype="str", units=""),
        )
    }
)  # fmt: skip


def normalise_label(label: object) -> str:
    """A label as the rule compares it: stripped, lower-case, single blanks; integral numbers as integers.

    Examples
    --------
    >>> normalise_label("  Sleep  stage W "), normalise_label(3.0), normalise_label("-1.0")
    ('sleep stage w', '3', '-1')
    """
    text = " ".join(str(label).split()).lower()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def reference_stage(label: object) -> ReferenceStage | None:
    """What a reference label means under :data:`REFERENCE_LABEL_RULE`; ``None`` when it is unknown.

    Parameters
    ----------
    label
        A stage label as a scoring file holds it (text or a number).

    Examples
    --------
    >>> reference_stage("Sleep stage ?"), reference_stage("Stage 4 sleep|4").code
    (ReferenceStage(code=-1, excluded='unscored'), 2)
    """
    return REFERENCE_LABELS.get(normalise_label(label))
