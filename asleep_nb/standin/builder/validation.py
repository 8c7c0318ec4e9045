"""The demo validation study: a published model's hypnogram as the device, the PSG consensus as reference.

One user per DOD record (groups ``validation_healthy``: the 25 DOD-H nights,
``validation_apnea``: the 55 DOD-O nights). The user's Asleep session carries
the hypnogram that the automatic sleep-staging model of Chambon et al.
(2018) produced for that night (``dodh_models.json`` / ``dodo_models.json``,
mapped to the Asleep code; the model's -1 stays -1), cut to the epochs the
model staged: the device. ``reference/`` holds, for the same night, the five
technologists' consensus (:func:`~asleep_nb.standin.builder.recordings.consensus_aasm`,
the vote rule of the demo nights, in the five AASM classes) over the whole
recording, as a CSV scoring file: the reference.

Generated: times, zones, ids (as for every demo user), and the reference's
clock. The PSG's epoch grid sits :data:`REFERENCE_SHIFTS_S` seconds (in turn
0, 10, 15, 29) after the device's, modulo an epoch: its start is moved by
that many seconds when under half an epoch (0, 10 s later) and by that many
minus 30 otherwise (15 s and 1 s earlier), so the PSG epoch that covers most
of each device epoch (the earlier one on a 15-s tie) is the one scored over
the same stretch of the recording, as when two recordings of one night are
scored each on its own grid. On a few nights the PSG starts late or ends
early (:data:`PARTIAL`), so only part of the device's night is covered.

Examples
--------
>>> from asleep_nb.standin.builder.validation import stage_changes
>>> stage_changes(np.array([0, 0, 2, 2, 2, -1], dtype=np.int8))
[(0, 60, 'W'), (60, 90, 'N2'), (150, 30, '?')]
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from asleep_nb.definitions import EPOCH_SECONDS
from asleep_nb.definitions.scoring import AASM_LABELS
from asleep_nb.standin.builder.nights import (
    BEDTIME_SPAN_S,
    DemoNight,
    DemoUser,
    generated_metadata,
    seeded_rng,
    timed_night,
)
from asleep_nb.standin.builder.recordings import Recording, consensus_aasm, to_asleep_code
from asleep_nb.standin.builder.users import GROUP_KEYS, SINGLE_NIGHT_ZONES

__all__ = [
    "MODEL",
    "REFERENCE_SHIFTS_S",
    "PARTIAL",
    "VALIDATION_GROUPS",
    "ValidationNight",
    "stage_changes",
    "validation_users",
    "write_references",
]

#: The published model whose hypnograms stand in for the device (on all 80 DOD nights).
MODEL = "chambon_2018"
#: Offset (s, modulo an epoch) of the reference's epoch grid after the device's, in turn night by night.
REFERENCE_SHIFTS_S: tuple[int, ...] = (0, 10, 15, 29)
#: Night index modulo 16 -> how the PSG covers only part of the device's night.
PARTIAL: dict[int, str] = {5: "ends_early", 10: "starts_late"}
#: Group of each DOD cohort's validation users.
VALIDATION_GROUPS: dict[str, str] = {"dodh": "validation_healthy", "dodo": "validation_apnea"}


@dataclass
class ValidationNight:
    """A device night and its reference scoring, before ids are known."""

    user: DemoUser
    night: DemoNight
    reference: np.ndarray  # AASM codes, one per 30-s epoch
    reference_start: datetime


def _load(source: Path, name: str) -> dict[str, dict[str, list[int]]]:
    path = source / name
    if not path.is_file():
        raise FileNotFoundError(f"DOD file not found: {path} is missing (see ../shared/data/dod/README.md)")
    data: dict[str, dict[str, list[int]]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _trimmed(codes: np.ndarray) -> tuple[int, np.ndarray]:
    """The first staged epoch and the codes from it to the last staged epoch."""
    staged = np.flatnonzero(codes >= 0)
    return int(staged[0]), codes[staged[0] : staged[-1] + 1]


def validation_users(source: Path) -> list[ValidationNight]:
    """One validation user per DOD record: the model's night (device) and the consensus (reference).

    Users take the zones of :data:`SINGLE_NIGHT_ZONES` in turn, evenings spread
    over 2025, bedtimes 21:30-01:00 local (the device starts at the model's
    first staged epoch).
    """
    out: list[ValidationNight] = []
    for cohort, group in VALIDATION_GROUPS.items():
        key = GROUP_KEYS[group]
        scorers, models = _load(source, f"{cohort}.json"), _load(source, f"{cohort}_models.json")
        records = sorted(models)
        for i, record in enumerate(records):
            rng = seeded_rng(key, i)
            lists = np.array([scorers[record][name] for name in sorted(scorers[record])], dtype=np.int64)
            reference = consensus_aasm(lists)
            lead, device = _trimmed(to_asleep_code(np.array(models[record][MODEL], dtype=np.int64)))
            zone = SINGLE_NIGHT_ZONES[i % len(SINGLE_NIGHT_ZONES)]
            evening = date(2025, 1, 5) + timedelta(days=int((i + rng.random()) * 350 / len(records)))
            rec = Recording(record, cohort, device.astype(np.int8))
            night = timed_night(rec, zone, evening, int(rng.integers(0, BEDTIME_SPAN_S)), rng)
            shift = REFERENCE_SHIFTS_S[len(out) % len(REFERENCE_SHIFTS_S)]
            first, last = 0, reference.size
            partial = PARTIAL.get(len(out) % 16)
            if partial == "ends_early":
                last = lead + int(device.size * 0.75)
            elif partial == "starts_late":
                first = lead + int(device.size * 0.2)
            # under half an epoch later, or the rest of an epoch earlier: same content under majority cover
            moved = shift if 2 * shift < EPOCH_SECONDS else shift - EPOCH_SECONDS
            start = night.start + timedelta(seconds=(first - lead) * EPOCH_SECONDS + moved)
            user = DemoUser(group, zone, [night], generated_metadata(rng, cohort))
            out.append(ValidationNight(user, night, reference[first:last], start))
    return out


def stage_changes(aasm: np.ndarray) -> list[tuple[int, int, str]]:
    """``(onset s, duration s, AASM label)`` of each run of one stage, in order.

    Examples
    --------
    >>> stage_changes(np.array([4, 4, 4], dtype=np.int8))
    [(0, 90, 'R')]
    """
    bounds = [0, *(np.flatnonzero(np.diff(aasm)) + 1).tolist(), int(aasm.size)]
    return [
        (lo * EPOCH_SECONDS, (hi - lo) * EPOCH_SECONDS, AASM_LABELS[int(aasm[lo])])
        for lo, hi in itertools.pairwise(bounds)
    ]


def write_references(
    dest: Path, nights: list[ValidationNight], session_of: dict[int, str]
) -> list[tuple[str, ...]]:
    """Write ``reference/<session_id>.csv`` per night; return the reference manifest's rows.

    Each file: ``onset,duration,stage`` (seconds from the manifest's
    ``start_time``, AASM labels), one row per run of one stage.
    """
    folder = dest / "reference"
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("*.csv")):
        old.unlink()
    rows = []
    for item in nights:
        sid = session_of[id(item.night)]
        name = f"{sid}.csv"
        with (folder / name).open("w", encoding="utf-8", newline="") as fh:
            fh.write("onset,duration,stage\n")
            fh.writelines(f"{a},{b},{c}\n" for a, b, c in stage_changes(item.reference))
        rows.append((sid, item.user.user_id, name, item.reference_start.isoformat(timespec="seconds")))
    return sorted(rows, key=lambda r: (r[1], r[0]))
