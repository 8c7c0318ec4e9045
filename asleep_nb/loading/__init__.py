"""Loading: the composition of the API and data layers (fetching, archives, datasets from the API).

- :mod:`~asleep_nb.loading.load`: ``load_session``, ``load_cohort``, ``expand_manifest``;
- :mod:`~asleep_nb.loading.selection`: which sessions a manifest selects, its rows
  listed concurrently, each failure kept with its row;
- :mod:`~asleep_nb.loading.fetch`: ``fetch_sessions`` (bounded in-flight work on
  :mod:`~asleep_nb.loading.pool`, a shared rate-limit pause,
  :mod:`~asleep_nb.loading.backoff`) and what it returns
  (:mod:`~asleep_nb.loading.fetch_result`);
- :mod:`~asleep_nb.loading.archive`: ``Archive`` (fetch once, reanalyse offline),
  built on :mod:`~asleep_nb.loading.archive_folder` (verified reads, guarded writes),
  :mod:`~asleep_nb.loading.archive_layout` (where files go, no links out),
  :mod:`~asleep_nb.loading.archive_manifest` (``manifest.jsonl``) and
  :mod:`~asleep_nb.loading.atomic` (crash-safe file I/O, the folder lock);
  :mod:`~asleep_nb.loading.archived_client` is the client ``Archive.wrap`` returns;
- :mod:`~asleep_nb.loading.stream`: an archive streamed into a zarr cohort;
- :mod:`~asleep_nb.loading.incremental`: ``sync``, a study's archive brought up to
  date day by day (:mod:`~asleep_nb.loading.sync_state` records when), and
  :mod:`~asleep_nb.loading.archive_sessions`: ``sessions_frame``, an archive's
  sessions as the table :func:`asleep_nb.stats.adherence` reads.

``sync`` and ``sessions_frame`` are importable from here (lazily: importing a
loading module does not import them).

Examples
--------
>>> from asleep_nb.loading import sync, sessions_frame
>>> sync.__module__, sessions_frame.__module__
('asleep_nb.loading.incremental', 'asleep_nb.loading.archive_sessions')
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["sync", "sessions_frame"]

_LAZY = {"sync": "asleep_nb.loading.incremental", "sessions_frame": "asleep_nb.loading.archive_sessions"}

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.loading.archive_sessions import sessions_frame
    from asleep_nb.loading.incremental import sync


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'asleep_nb.loading' has no attribute {name!r}")
