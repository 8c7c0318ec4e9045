"""Names every docstring example may use, so the examples run as written (no ``+SKIP``).

- ``client``: a :class:`asleep_nb.Client` bound to the demo stand-in of this
  process (the one :func:`asleep_nb.connect` uses without a key);
- ``srv``: that stand-in (``srv.url``, ``srv.api_key``);
- ``demo``: the demo data folder (``study.csv``, ``panel.csv``, ``edge.csv``);
- ``body``: the published example webhook body (``data/published_example.json``), and
  ``payload`` its ``data`` (a Get Session result);
- ``result``: it as a :class:`~asleep_nb.api.records.SessionResult`; ``ds`` (also ``night``):
  that night as a dataset (:func:`asleep_nb.to_dataset`, in UTC);
- ``cohort``: the demo study (``study.csv``: 25 healthy, 55 apnea users, one night each);
- ``study``: an archive folder holding those 80 sessions and the published example, copied
  into the folder of each example that names it, and ``archive``, that copy opened
  (:func:`asleep_nb.open_archive`);
- ``data``: the repository's ``data`` folder, linked into each example's folder;
- ``asleep_nb`` itself.

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
def _doctest_names(
    request: pytest.FixtureRequest,
    doctest_namespace: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    if not any(isinstance(item, pytest.DoctestItem) for item in request.session.items):
        return  # a run without doctests starts no server and loads no cohort
    import asleep_nb
    from asleep_nb import Client, load_cohort, to_dataset
    from asleep_nb.api.records import SessionResult
    from asleep_nb.connection import demo_server
    from asleep_nb.loading.archive import Archive, open_archive
    from asleep_nb.resources import demo_data_dir

    server = demo_server()  # about half a second, once per run
    client = Client(api_key=server.api_key, base_url=server.url)
    doctest_namespace["client"] = client
    doctest_namespace["srv"] = server
    doctest_namespace["demo"] = demo_data_dir()
    body = json.loads((REPO / "data" / "published_example.json").read_text(encoding="utf-8"))
    doctest_namespace["body"] = body
    doctest_namespace["payload"] = body["data"]
    doctest_namespace["ds"] = doctest_namespace["night"] = to_dataset(body)
    doctest_namespace["result"] = SessionResult.from_webhook(body)
    doctest_namespace["asleep_nb"] = asleep_nb
    doctest_namespace["_study_archive"] = tmp_path_factory.mktemp("doctest") / "study"
    doctest_namespace["cohort"] = load_cohort(
        client, demo_data_dir() / "study.csv", progress=False, archive=doctest_namespace["_study_archive"]
    )
    archive = Archive(doctest_namespace["_study_archive"])
    archive.fetch(client, "20250115025029_fvivn", user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")
    archive.flush()
    doctest_namespace["open_archive"] = open_archive
    doctest_namespace["Archive"] = Archive


@pytest.fixture(autouse=True)
def _doctest_in_tmp(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if isinstance(request.node, pytest.DoctestItem):
        folder = request.getfixturevalue("tmp_path")
        monkeypatch.chdir(folder)
        (folder / "data").symlink_to(REPO / "data")  # "data/published_example.json", "data/demo/study.csv"
        sources = [example.source for example in request.node.dtest.examples]
        if any("study" in source or "archive" in source for source in sources):
            from asleep_nb.loading.archive import open_archive

            names = request.getfixturevalue("doctest_namespace")
            shutil.copytree(names["_study_archive"], folder / "study")  # each example may change its own copy
            names["archive"] = open_archive(folder / "study")
