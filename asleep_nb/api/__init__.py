"""The API layer: the HTTP client, typed records of its payloads and identifier checks.

Knows nothing of xarray, archives or figures: it turns HTTP into validated records.

- :mod:`~asleep_nb.api.client`: :class:`~asleep_nb.api.client.Client`, the four endpoints;
- :mod:`~asleep_nb.api.params` (what goes into a request, and the client's settings, checked),
  :mod:`~asleep_nb.api.transport` (one bounded GET: a deadline per attempt, size limits),
  :mod:`~asleep_nb.api.deadline` (the per-attempt deadline itself),
  :mod:`~asleep_nb.api.retry` (one retry budget, and how long to wait),
  :mod:`~asleep_nb.api.responses` (envelopes, the exception each error maps to, key masking),
  :mod:`~asleep_nb.api.identity` (is the answer about what was asked?),
  :mod:`~asleep_nb.api.jsonbytes` (JSON with ``orjson`` when installed);
- :mod:`~asleep_nb.api.records`: typed, immutable records of the payloads;
- :mod:`~asleep_nb.api.ids`: identifiers in the contract's formats;
- :mod:`~asleep_nb.api.protocols`: what the layers above ask of a client.
"""
