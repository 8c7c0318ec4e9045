"""The API layer: the HTTP client, typed records of its payloads and identifier checks.

Knows nothing of xarray, archives or figures: it turns HTTP into validated records.
"""
