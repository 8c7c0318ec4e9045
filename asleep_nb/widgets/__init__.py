"""ipywidgets explorers that wire the client, datasets, statistics and figures together.

- :class:`SessionExplorer`: pick a user, a night and a time zone; see the
  hypnogram, a compact stat table, the state, the peculiarities and whether
  the server's stat matches the recomputation.
- :class:`CohortExplorer`: pick a metric, a grouping and an alignment; see
  the comparison figures and the numbers.

Examples
--------
>>> from asleep_nb.widgets import SessionExplorer
>>> explorer = SessionExplorer()        # doctest: +SKIP
>>> explorer                            # doctest: +SKIP
>>> explorer.dataset.sleep_stage.plot()  # doctest: +SKIP
"""

from __future__ import annotations

from asleep_nb.widgets.cohort_explorer import CohortExplorer
from asleep_nb.widgets.session_explorer import SessionExplorer

__all__ = ["CohortExplorer", "SessionExplorer"]
