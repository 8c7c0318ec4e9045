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
- :mod:`~asleep_nb.loading.stream`: an archive streamed into a zarr cohort.
"""
