"""Build the demo cohort served by the stand-in API, deterministically.

The sleep-stage sequences are real: expert scorings of the Dreem Open
Datasets (DOD-H, 25 healthy adults; DOD-O, 55 patients with obstructive
sleep apnea; five scorers per night), reduced to one list per night by a
per-epoch majority vote after mapping to the Asleep four-stage code.
Everything else is generated from fixed seeds: clock times, time zones,
identifiers, users, snoring, ``sleep_index`` and the contract's edge cases.

Run it as::

    python -m asleep_nb.standin.builder [--source PATH] [--out data/demo]

Rerunning it gives byte-identical files. Modules: :mod:`.recordings` (the
DOD scorings and the majority vote), :mod:`.nights` (generated timing,
identifiers, snoring, ``sleep_index`` and sessions), :mod:`.users` (the
cohort's plan and edge cases) and :mod:`.build` (writing the folder; the
command line).

This is a build tool, not part of the library: nothing in ``asleep_nb``
imports it.

Examples
--------
>>> import numpy as np
>>> from asleep_nb.standin.builder import to_asleep_code, majority_vote
>>> to_asleep_code(np.array([-1, 0, 1, 2, 3, 4])).tolist()
[-1, 0, 1, 1, 2, 3]
>>> majority_vote(np.array([[0, 2], [0, 2], [1, 3], [1, 3], [0, 4]])).tolist()
[0, 1]
"""

from __future__ import annotations

from asleep_nb.standin.builder.build import DemoSummary, build_demo, main
from asleep_nb.standin.builder.nights import SEED, generate_snoring, generated_sleep_index
from asleep_nb.standin.builder.recordings import (
    Recording,
    default_source,
    load_recordings,
    majority_vote,
    scorer_agreement,
    to_asleep_code,
)

__all__ = [
    "SEED",
    "DemoSummary",
    "Recording",
    "build_demo",
    "default_source",
    "generated_sleep_index",
    "generate_snoring",
    "load_recordings",
    "main",
    "majority_vote",
    "scorer_agreement",
    "to_asleep_code",
]
