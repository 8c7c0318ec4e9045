"""pytest fixtures that serve the demo cohort through the stand-in API.

Installed with asleep-nb as the pytest plugin ``asleep_nb`` (entry point
``pytest11``), so any project's tests can use them without configuration:

``asleep_standin``
    A session-scoped running :class:`~asleep_nb.standin.StandinServer` on the
    demo cohort (``$ASLEEP_NB_DEMO_DIR`` to serve another stand-in data folder).
``asleep_client``
    A :class:`~asleep_nb.api.client.Client` bound to it.

Examples
--------
A user's own test of their analysis code, in their ``tests/test_nights.py``::

    import asleep_nb

    def mean_sleep_efficiency(client, user_id):
        nights = [client.get_session(s.session_id, user_id=user_id)
                  for s in client.list_sessions(user_id)]
        return sum(n.stat.sleep_efficiency for n in nights if n.stat) / len(nights)

    def test_mean_sleep_efficiency(asleep_client):
        user_id = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"
        assert 0 <= mean_sleep_efficiency(asleep_client, user_id) <= 1

    def test_raw_http(asleep_standin):
        import requests
        r = requests.get(f"{asleep_standin.url}/ai/v1/users/G-20250115025029-vLErWBfQNtnfvgDccFOQ",
                         headers={"x-api-key": asleep_standin.api_key})
        assert r.json()["detail"] == "success"

Use ``asleep_standin.fail_next(...)``, ``.drop_next(...)`` and
``.set_latency(...)`` to test how code copes with failures; they are shared by
the whole session, so undo what a test sets (``clear_faults()``,
``set_latency(0)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.api.client import Client
    from asleep_nb.standin.server import StandinServer

__all__ = ["asleep_standin", "asleep_client"]


@pytest.fixture(scope="session")
def asleep_standin() -> Iterator[StandinServer]:
    """A stand-in Asleep API serving the demo cohort on ``127.0.0.1`` for the test session."""
    from asleep_nb.standin import serve

    with serve() as srv:
        yield srv


@pytest.fixture
def asleep_client(asleep_standin: StandinServer) -> Client:
    """A :class:`~asleep_nb.api.client.Client` talking to the ``asleep_standin`` server."""
    from asleep_nb.api.client import Client

    return Client(api_key=asleep_standin.api_key, base_url=asleep_standin.url)
