"""A local stand-in of the Asleep API, its data folders, and a pytest plugin.

:func:`serve` starts a real HTTP server on ``127.0.0.1`` that answers like the
Asleep API (Get Session v3, List Sessions, Get User, Average Stats) from a
folder of stored payloads (:mod:`asleep_nb.standin.store`). Notebooks, widgets
and tests then run offline exactly as they would against the real service.

The request handling is :mod:`~asleep_nb.standin.endpoints` (with
:mod:`~asleep_nb.standin.responses`, :mod:`~asleep_nb.standin.averages` and
:mod:`~asleep_nb.standin.convert`); the sockets are
:mod:`~asleep_nb.standin.server` and :mod:`~asleep_nb.standin.handler`. The
stand-in imports only the base layer. The demo builder
(:mod:`asleep_nb.standin.builder`) is a build tool: nothing here imports it.

Examples
--------
>>> from asleep_nb.standin import serve
>>> from asleep_nb import Client
>>> with serve() as srv:
...     client = Client(api_key=srv.api_key, base_url=srv.url)
...     client.get_user("G-20250115025029-vLErWBfQNtnfvgDccFOQ").user_id
'G-20250115025029-vLErWBfQNtnfvgDccFOQ'
"""

from __future__ import annotations

from asleep_nb.resources import demo_data_dir
from asleep_nb.standin.endpoints import StandinAPI
from asleep_nb.standin.server import StandinServer, serve
from asleep_nb.standin.store import StandinStore, load, write_session, write_user

__all__ = [
    "serve",
    "StandinServer",
    "StandinAPI",
    "demo_data_dir",
    "StandinStore",
    "load",
    "write_session",
    "write_user",
]
