"""asleep_nb: study nights recorded with the Asleep sleep-tracking API in Jupyter.

The public face of the package. Names are imported lazily on first use so
that ``import asleep_nb`` stays light (no matplotlib, no widgets, no HTTP)
until a figure, an explorer or a client is asked for; only xarray is imported,
to register the ``Dataset.asleep`` accessor.

Examples
--------
>>> import asleep_nb
>>> client = asleep_nb.connect()  # doctest: +ELLIPSIS
asleep_nb: no ASLEEP_API_KEY set; using the built-in demo API at http://127.0.0.1:... (...)
>>> ds = asleep_nb.load_session(client, "20250115025029_fvivn",
...                             user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from asleep_nb.version import __version__

# public name -> module that defines it: the one list of the package's public face
_EXPORTS: dict[str, str] = {
    "Client": "asleep_nb.api.client",
    "SessionResult": "asleep_nb.api.records",
    "SessionSummary": "asleep_nb.api.records",
    "SessionState": "asleep_nb.api.records",
    "Peculiarity": "asleep_nb.api.records",
    "AsleepError": "asleep_nb.errors",
    "ManifestError": "asleep_nb.errors",
    "to_dataset": "asleep_nb.data.night",
    "to_cohort": "asleep_nb.data.cohort",
    "stats_table": "asleep_nb.data.table",
    "open_cohort": "asleep_nb.data.store",
    "open_dataset": "asleep_nb.data.cf",
    "load_session": "asleep_nb.loading.load",
    "load_cohort": "asleep_nb.loading.load",
    "open_archive": "asleep_nb.loading.archive",
    "fetch_sessions": "asleep_nb.loading.fetch",
    "connect": "asleep_nb.connection",
    "SessionExplorer": "asleep_nb.widgets",
    "CohortExplorer": "asleep_nb.widgets",
}
_SUBMODULES = (
    "api",
    "data",
    "definitions",
    "errors",
    "loading",
    "plot",
    "report",
    "standin",
    "stats",
    "timezones",
)

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb import api, data, definitions, errors, loading, plot, report, standin, stats, timezones
    from asleep_nb.api.client import Client
    from asleep_nb.api.records import Peculiarity, SessionResult, SessionState, SessionSummary
    from asleep_nb.connection import connect
    from asleep_nb.data.cf import open_dataset
    from asleep_nb.data.cohort import to_cohort
    from asleep_nb.data.night import to_dataset
    from asleep_nb.data.store import open_cohort
    from asleep_nb.data.table import stats_table
    from asleep_nb.errors import AsleepError, ManifestError
    from asleep_nb.loading.archive import open_archive
    from asleep_nb.loading.fetch import fetch_sessions
    from asleep_nb.loading.load import load_cohort, load_session
    from asleep_nb.widgets import CohortExplorer, SessionExplorer

# A library logs, the application decides what is shown (the logging HOWTO's advice for libraries).
logging.getLogger("asleep_nb").addHandler(logging.NullHandler())

# ``Dataset.asleep`` is registered from the top of the package, as xarray registers ``.plot``.
from asleep_nb import accessor as _accessor  # noqa: E402


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"asleep_nb.{name}")
    else:
        raise AttributeError(f"module 'asleep_nb' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
