"""asleep_nb: study nights recorded with the Asleep sleep-tracking API in Jupyter.

The public face of the package. Names are imported lazily on first use so
that ``import asleep_nb`` stays fast and light (no matplotlib, no widgets)
until a figure or an explorer is asked for.

Examples
--------
>>> import asleep_nb
>>> client = asleep_nb.connect()            # doctest: +SKIP
>>> ds = asleep_nb.load_session(client, "20250115025029_fvivn",
...                             user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Client": "asleep_nb.client",
    "SessionResult": "asleep_nb.records",
    "SessionSummary": "asleep_nb.records",
    "SessionState": "asleep_nb.records",
    "Peculiarity": "asleep_nb.records",
    "ManifestError": "asleep_nb.manifest",
    "connect": "asleep_nb.connection",
    "to_dataset": "asleep_nb.dataset",
    "load_session": "asleep_nb.dataset",
    "to_cohort": "asleep_nb.cohort",
    "load_cohort": "asleep_nb.cohort",
    "stats_table": "asleep_nb.cohort",
    "open_archive": "asleep_nb.archive",
    "fetch_sessions": "asleep_nb.fetch",
    "open_cohort": "asleep_nb.store",
    "SessionExplorer": "asleep_nb.widgets",
    "CohortExplorer": "asleep_nb.widgets",
}
_SUBMODULES = ("errors", "records", "schema", "stats", "plot", "standin", "timezones", "manifest", "report")

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])

if TYPE_CHECKING:  # pragma: no cover
    from . import errors, manifest, plot, records, report, schema, standin, stats, timezones  # noqa: F401
    from .archive import open_archive  # noqa: F401
    from .client import Client  # noqa: F401
    from .cohort import load_cohort, stats_table, to_cohort  # noqa: F401
    from .connection import connect  # noqa: F401
    from .dataset import load_session, to_dataset  # noqa: F401
    from .fetch import fetch_sessions  # noqa: F401
    from .manifest import ManifestError  # noqa: F401
    from .records import Peculiarity, SessionResult, SessionState, SessionSummary  # noqa: F401
    from .store import open_cohort  # noqa: F401
    from .widgets import CohortExplorer, SessionExplorer  # noqa: F401


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
