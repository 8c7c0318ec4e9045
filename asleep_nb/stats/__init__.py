"""Statistics of nights: the vendor-exact ``stat`` object and research metrics.

- :func:`compute_stat`, :func:`compute_stats`: the API's ``stat`` object
  recomputed from the stage arrays (one night / a whole cohort, vectorised);
- :func:`verify`: the server's ``stat`` against the recomputation;
- :func:`derive_peculiarities`, :func:`peculiarity_flags`,
  :func:`error_epoch_share`: peculiarities that follow from the stages;
- research metrics beyond the API (:mod:`asleep_nb.stats.night`,
  :mod:`asleep_nb.stats.transitions`, :mod:`asleep_nb.stats.regularity`),
  imported on first use; where sleep onset matters they use the research
  rule of :mod:`asleep_nb.definitions.rules`, the ``stat`` object the vendor rule;
- :func:`adherence`, :func:`night_table` (:mod:`asleep_nb.stats.adherence_table`):
  who recorded last night and who needs contact, in a study run day by day.

Examples
--------
>>> from datetime import datetime, timezone
>>> from asleep_nb.stats import compute_stat
>>> start = datetime(2025, 1, 15, 2, 50, 29, tzinfo=timezone.utc)
>>> end = datetime(2025, 1, 15, 3, 50, 29, tzinfo=timezone.utc)
>>> compute_stat([0] * 30 + [1] * 18 + [0] * 6 + [1] * 18 + [0] * 48, start, end)["time_in_sleep"]
1080
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from asleep_nb.stats._core import FIELD_COLUMNS, UNKNOWABLE_FIELDS, StatArrays, stat_arrays
from asleep_nb.stats.peculiarities import (
    TOO_LONG_SECONDS,
    TOO_SHORT_SECONDS,
    derive_peculiarities,
    error_epoch_share,
    peculiarity_flags,
)
from asleep_nb.stats.vendor import compute_stat, compute_stats
from asleep_nb.stats.verify import stat_from_pysleep, verify, verify_cohort

# research metrics, imported lazily: name -> module
_LAZY: dict[str, str] = {
    **{
        name: "asleep_nb.stats.night"
        for name in (
            "research_sleep_latency",
            "persistent_sleep_latency",
            "stage_bouts",
            "rem_latency_from_onset",
        )
    },
    **{
        name: "asleep_nb.stats.transitions"
        for name in ("sleep_fragmentation_index", "transition_counts", "transition_probabilities")
    },
    **{name: "asleep_nb.stats.study.groups" for name in ("compare_groups", "user_means", "metric_values")},
    **{name: "asleep_nb.stats.study.table" for name in ("table_one", "table_one_numbers")},
    "compare_periods": "asleep_nb.stats.study.periods",
    "adherence": "asleep_nb.stats.adherence_table",
    "night_table": "asleep_nb.stats.adherence_table",
    **{name: "asleep_nb.stats.study.agreement" for name in ("epoch_agreement", "EpochAgreement")},
    **{name: "asleep_nb.stats.study.discrepancy" for name in ("stats_agreement", "night_stats_pair")},
    **{name: "asleep_nb.stats.study.lag" for name in ("lag_search", "LagSearch")},
    "bland_altman": "asleep_nb.stats.study.bland_altman",
    "trend": "asleep_nb.stats.study.trend",
    "hedges_g": "asleep_nb.stats.study.effect",
    "fdr_adjust": "asleep_nb.stats.study.fdr",
    **{
        name: "asleep_nb.stats.regularity"
        for name in (
            "sleep_regularity_index",
            "mid_sleep_time",
            "social_jet_lag",
            "circular_mean_time",
            "circular_std_time",
            "sleep_schedule",
            "clock_time_summary",
        )
    },
}

__all__ = [
    "FIELD_COLUMNS",
    "TOO_LONG_SECONDS",
    "TOO_SHORT_SECONDS",
    "UNKNOWABLE_FIELDS",
    "StatArrays",
    "compute_stat",
    "compute_stats",
    "derive_peculiarities",
    "error_epoch_share",
    "peculiarity_flags",
    "stat_arrays",
    "stat_from_pysleep",
    "verify",
    "verify_cohort",
    *_LAZY,
]

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.stats.adherence_table import adherence, night_table  # noqa: F401
    from asleep_nb.stats.night import (  # noqa: F401
        persistent_sleep_latency,
        rem_latency_from_onset,
        research_sleep_latency,
        stage_bouts,
    )
    from asleep_nb.stats.regularity import (  # noqa: F401
        circular_mean_time,
        circular_std_time,
        clock_time_summary,
        mid_sleep_time,
        sleep_regularity_index,
        sleep_schedule,
        social_jet_lag,
    )
    from asleep_nb.stats.study.agreement import EpochAgreement, epoch_agreement  # noqa: F401
    from asleep_nb.stats.study.bland_altman import bland_altman  # noqa: F401
    from asleep_nb.stats.study.discrepancy import night_stats_pair, stats_agreement  # noqa: F401
    from asleep_nb.stats.study.effect import hedges_g  # noqa: F401
    from asleep_nb.stats.study.fdr import fdr_adjust  # noqa: F401
    from asleep_nb.stats.study.groups import compare_groups, metric_values, user_means  # noqa: F401
    from asleep_nb.stats.study.lag import LagSearch, lag_search  # noqa: F401
    from asleep_nb.stats.study.periods import compare_periods  # noqa: F401
    from asleep_nb.stats.study.table import table_one, table_one_numbers  # noqa: F401
    from asleep_nb.stats.study.trend import trend  # noqa: F401
    from asleep_nb.stats.transitions import (  # noqa: F401
        sleep_fragmentation_index,
        transition_counts,
        transition_probabilities,
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'asleep_nb.stats' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
