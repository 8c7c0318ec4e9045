"""Names every docstring example may use, so the examples run as written (no ``+SKIP``).

- ``client``: a :class:`asleep_nb.Client` bound to the demo stand-in of this
  process (the one :func:`asleep_nb.connect` uses without a key);
- ``demo``: the demo data folder (``study.csv``, ``panel.csv``, ``edge.csv``);
- ``body``: the published example webhook body (``data/published_example.json``), and
  ``payload`` its ``data`` (a Get Session result);
- ``ds``: that night as a dataset (:func:`asleep_nb.to_dataset`, in UTC);
- ``cohort``: the demo study (``study.csv``: 25 healthy, 55 apnea users, one night each);
- ``study``: an archive folder holding those 80 sessions (relative to each example's folder).

Each doctest runs in its own temporary folder, so examples that write files
(``"study.nc"``, ``"stats.csv"``) leave nothing behind. The API key variables
are removed from the environment: no test reaches the real API.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

os.environ.pop("ASLEEP_API_KEY", None)
os.environ.pop("ASLEEP_BASE_URL", None)

REPO = Path(__file__).resolve().parent


@pytest.fixture(autouse=True, scope="session")
def _doctest_names(doctest_namespace: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> None:
    from asleep_nb import Client, load_cohort, to_dataset
    from asleep_nb.connection import demo_server
    from asleep_nb.resources import demo_data_dir

    server = demo_server()  # about half a second, once per run
    client = Client(api_key=server.api_key, base_url=server.url)
    doctest_namespace["client"] = client
    doctest_namespace["demo"] = demo_data_dir()
    body = json.loads((REPO / "data" / "published_example.json").read_text(encoding="utf-8"))
    doctest_namespace["body"] = body
    doctest_namespace["payload"] = body["data"]
    doctest_namespace["ds"] = to_dataset(body)
    doctest_namespace["_study_archive"] = tmp_path_factory.mktemp("doctest") / "study"
    doctest_namespace["cohort"] = load_cohort(
        client, demo_data_dir() / "study.csv", progress=False, archive=doctest_namespace["_study_archive"]
    )


@pytest.fixture(autouse=True)
def _doctest_in_tmp(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if isinstance(request.node, pytest.DoctestItem):
        folder = request.getfixturevalue("tmp_path")
        monkeypatch.chdir(folder)
        if any('"study"' in example.source for example in request.node.dtest.examples):
            archive = request.getfixturevalue("doctest_namespace")["_study_archive"]
            shutil.copytree(archive, folder / "study")  # each example may change its own copy
