"""ipywidgets explorers that wire the client, datasets, statistics and figures together.

- :class:`SessionExplorer`: pick a user, a night and a time zone; see the
  hypnogram, a compact stat table, the state, the peculiarities and whether
  the server's stat matches the recomputation.
- :class:`CohortExplorer`: pick a metric, a grouping and an alignment; see
  the comparison figures and the numbers.

Both follow the page's theme (``theme="auto"``) and, in a notebook saved
with its outputs, show a still image of their figures where widgets cannot
be shown. ``notebooks/02_exploring_sessions.ipynb`` walks through them.
"""

from __future__ import annotations

from asleep_nb.widgets.cohort_explorer import CohortExplorer
from asleep_nb.widgets.session_explorer import SessionExplorer

__all__ = ["CohortExplorer", "SessionExplorer"]
