"""One home for every definition: stage codes and labels, metrics and units, onset rules.

Every layer imports what a number means from here and never re-derives it:

- :mod:`~asleep_nb.definitions.stages`: epoch length, ``PAD``, stage codes
  with their names, display labels (code -1 is "No signal") and colours;
- :mod:`~asleep_nb.definitions.fields`: every ``stat`` field and research
  metric: kind, CF units, display unit, precision, label, definition;
- :mod:`~asleep_nb.definitions.display`: values and labels as text, in each
  metric's display unit and precision;
- :mod:`~asleep_nb.definitions.rules`: the named sleep-onset rules (vendor,
  research) and the night rule;
- :mod:`~asleep_nb.definitions.scoring`: the reference label rule (AASM and
  R&K labels of a PSG scoring to the Asleep code);
- :mod:`~asleep_nb.definitions.agreement`: the class sets of an agreement study
  (four stages, or sleep/wake by the named sleep/wake rule).

Nothing here does I/O or imports another layer of ``asleep_nb``.

Examples
--------
>>> from asleep_nb.definitions import STAGES, research_sleep_period, axis_label
>>> STAGES[-1].label, int(research_sleep_period([0, -1, 1]).onset), axis_label("rem_ratio")
('No signal', 2, 'REM sleep share (%)')
"""

from __future__ import annotations

from asleep_nb.definitions import display
from asleep_nb.definitions.agreement import *  # noqa: F403
from asleep_nb.definitions.agreement import __all__ as _agreement_all
from asleep_nb.definitions.display import (
    axis_label,
    difference_label,
    difference_unit,
    display_unit,
    display_value,
    format_estimate,
    format_value,
)
from asleep_nb.definitions.fields import *  # noqa: F403
from asleep_nb.definitions.fields import __all__ as _fields_all
from asleep_nb.definitions.rules import *  # noqa: F403
from asleep_nb.definitions.rules import __all__ as _rules_all
from asleep_nb.definitions.scoring import *  # noqa: F403
from asleep_nb.definitions.scoring import __all__ as _scoring_all
from asleep_nb.definitions.stages import *  # noqa: F403
from asleep_nb.definitions.stages import __all__ as _stages_all

__all__ = [
    *_stages_all,
    *_fields_all,
    *_rules_all,
    *_scoring_all,
    *_agreement_all,
    "display",
    "axis_label",
    "difference_label",
    "difference_unit",
    "display_unit",
    "display_value",
    "format_estimate",
    "format_value",
]
