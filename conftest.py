"""Names every docstring example may use, so the examples run as written (no ``+SKIP``).

- ``client``: a :class:`asleep_nb.Client` bound to the demo stand-in of this
  process (the one :func:`asleep_nb.connect` uses without a key);
- ``demo``: the demo data folder (``study.csv``, ``panel.csv``, ``edge.csv``).

Each doctest runs in its own temporary folder, so examples that write files
(``"study.nc"``, ``"stats.csv"``) leave nothing behind. The API key variables
are removed from the environment: no test reaches the real API.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.pop("ASLEEP_API_KEY", None)
os.environ.pop("ASLEEP_BASE_URL", None)


@pytest.fixture(autouse=True, scope="session")
def _doctest_names(doctest_namespace: dict[str, Any]) -> None:
    from asleep_nb import Client
    from asleep_nb.connection import demo_server
    from asleep_nb.resources import demo_data_dir

    server = demo_server()  # about half a second, once per run
    doctest_namespace["client"] = Client(api_key=server.api_key, base_url=server.url)
    doctest_namespace["demo"] = demo_data_dir()


@pytest.fixture(autouse=True)
def _doctest_in_tmp(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if isinstance(request.node, pytest.DoctestItem):
        monkeypatch.chdir(request.getfixturevalue("tmp_path"))
