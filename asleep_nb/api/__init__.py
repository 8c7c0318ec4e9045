"""The API layer: the HTTP client, typed records of its payloads and identifier checks.

Knows nothing of xarray, archives or figures: it turns HTTP into validated records.

- :mod:`~asleep_nb.api.client`: :class:`~asleep_nb.api.client.Client`, the four endpoints;
- :mod:`~asleep_nb.api.params` (what goes into a request, checked),
  :mod:`~asleep_nb.api.retry` (when and how long to retry),
  :mod:`~asleep_nb.api.responses` (envelopes, and the exception each error maps to);
- :mod:`~asleep_nb.api.records`: typed, immutable records of the payloads;
- :mod:`~asleep_nb.api.ids`: identifiers safe to put into a URL;
- :mod:`~asleep_nb.api.protocols`: what the layers above ask of a client.
"""
