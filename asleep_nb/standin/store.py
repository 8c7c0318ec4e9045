"""The data folder served by the stand-in API: layout, writing and loading.

A data folder holds stored payloads, all timestamps in UTC::

    <dir>/sessions/<session_id>.json   the webhook ``data`` object: the Get Session
                                       ``result`` (in UTC) plus ``"user_id"``
    <dir>/users/<user_id>.json         the Get User ``result``
    <dir>/manifest.csv                 optional; one row per user (``user_id``, ``group``, ...)

:func:`write_session` and :func:`write_user` check a payload and write it in
that layout (converting any timestamp to UTC); :func:`load` reads a whole
folder into a :class:`StandinStore`, the in-memory index the server answers
from.

Examples
--------
>>> import json, tempfile
>>> from asleep_nb.standin import store
>>> body = json.load(open("data/published_example.json"))
>>> folder = tempfile.mkdtemp()
>>> store.write_session(folder, body["data"]).name
'20250115025029_fvivn.json'
>>> store.load(folder).sessions["20250115025029_fvivn"].user_id
'G-20250115025029-vLErWBfQNtnfvgDccFOQ'
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from asleep_nb.definitions.identifiers import is_session_id, is_user_id
from asleep_nb.errors import PayloadError
from asleep_nb.standin.convert import convert_time, dumps, parse_time, session_result_in_zone, user_in_zone

__all__ = ["StoredSession", "StandinStore", "write_session", "write_user", "load"]


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One stored session, ready to serve.

    Only the serialized UTC answer is kept, plus the few fields List
    Sessions and the averages need: a session costs its body (about 6 KB for
    a night) instead of a parsed tree with one Python integer per epoch,
    so a folder of 100,000 sessions fits in well under a gigabyte.
    :attr:`result` parses the body again when a zone conversion needs it.

    Attributes
    ----------
    id, user_id
        The session's and its owner's ids.
    start
        ``session.start_time`` as an aware UTC ``datetime``.
    utc_body
        The serialized success response for ``timezone: UTC``, computed once.
    brief
        ``result.session`` without its stage arrays, plus ``epochs`` (the
        number of stored sleep-stage epochs) and ``has_stat``.
    """

    id: str
    user_id: str
    start: datetime
    utc_body: bytes
    brief: dict[str, Any]

    @classmethod
    def of(cls, session_id: str, user_id: str, result: Mapping[str, Any], where: str) -> StoredSession:
        """Index one Get Session ``result`` (UTC, without ``user_id``)."""
        session = result["session"]
        start = parse_time(session["start_time"], f"{where}: session.start_time").astimezone(UTC)
        brief = {k: v for k, v in session.items() if not k.endswith("_stages")}
        brief["epochs"] = len(session.get("sleep_stages") or [])
        brief["has_stat"] = result.get("stat") is not None
        return cls(session_id, user_id, start, dumps({"detail": "OK", "result": result}), brief)

    @property
    def result(self) -> dict[str, Any]:
        """The Get Session ``result`` in UTC (the stored data without ``user_id``), a fresh copy."""
        result: dict[str, Any] = json.loads(self.utc_body)["result"]
        return result

    def local_start_date(self, zone: ZoneInfo | None) -> date:
        """The calendar date of the session start in ``zone`` (UTC when ``None``)."""
        return self.start.astimezone(zone or UTC).date()

    def summary(self, zone_name: str) -> dict[str, Any]:
        """The List Sessions item of this session, times in ``zone_name``.

        ``time_in_bed`` is ``end - start`` in seconds (``None`` while OPEN);
        ``last_received_seq_num`` is inferred as one upload per epoch: the
        number of stored epochs minus one (``0`` with no epochs).
        """
        zone = None if zone_name == "UTC" else ZoneInfo(zone_name)
        session = self.brief
        end = session.get("end_time")
        time_in_bed = None
        if end is not None:
            time_in_bed = int((parse_time(end, "end_time") - self.start).total_seconds())
        return {
            "session_id": self.id,
            "state": session.get("state"),
            "session_start_time": convert_time(session["start_time"], zone),
            "session_end_time": convert_time(end, zone),
            "created_timezone": session.get("created_timezone"),
            "unexpected_end_time": convert_time(session.get("unexpected_end_time"), zone),
            "last_received_seq_num": max(session["epochs"] - 1, 0),
            "time_in_bed": time_in_bed,
        }


@dataclass(slots=True)
class StandinStore:
    """The in-memory index of a data folder (see :func:`load`).

    Attributes
    ----------
    data_dir
        The folder it was loaded from.
    sessions
        Session id -> :class:`StoredSession`.
    by_user
        User id -> that user's sessions sorted by start time (then id).
    users
        User id -> the stored Get User ``result`` (UTC).
    manifest
        Rows of ``manifest.csv`` as dicts (empty when there is none).
    """

    data_dir: Path
    sessions: dict[str, StoredSession] = field(default_factory=dict)
    by_user: dict[str, list[StoredSession]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    manifest: list[dict[str, str]] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"StandinStore({str(self.data_dir)!r}, users={len(self.users)}, sessions={len(self.sessions)})"


def _normalize_session(data: Mapping[str, Any], where: str) -> tuple[str, str, dict[str, Any]]:
    """Check a webhook ``data`` object; return (session id, user id, result in UTC)."""
    if not isinstance(data, Mapping):
        raise PayloadError(where, f"expected a JSON object, got {type(data).__name__}")
    if "event" in data and "data" in data:
        raise PayloadError(where, "got a whole webhook body; pass its 'data' object")
    user_id = data.get("user_id")
    if not is_user_id(user_id):
        raise PayloadError(f"{where}.user_id", f"not a user id in the inferred format: {user_id!r}")
    session = data.get("session")
    if not isinstance(session, Mapping):
        raise PayloadError(f"{where}.session", "missing or not an object")
    session_id = session.get("id")
    if not is_session_id(session_id):
        raise PayloadError(f"{where}.session.id", f"not a session id in the inferred format: {session_id!r}")
    parse_time(session.get("start_time"), f"{where}.session.start_time")
    for key in ("peculiarities", "stat", "missing_data_ratio"):
        if key not in data:
            raise PayloadError(f"{where}.{key}", "missing")
    result = {k: v for k, v in data.items() if k != "user_id"}
    result.setdefault("timezone", "UTC")
    return session_id, user_id, session_result_in_zone(result, "UTC")


def _write_json(path: Path, obj: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_bytes(dumps(obj) + b"\n")
    tmp.replace(path)
    return path


def write_session(data_dir: str | Path, data: Mapping[str, Any]) -> Path:
    """Write one session (a webhook ``data`` object) into a data folder.

    Timestamps are converted to UTC and ``timezone`` set to ``"UTC"``, so the
    stored file is what Get Session returns for ``timezone: UTC``.

    Parameters
    ----------
    data_dir
        The data folder (created if needed).
    data
        The Get Session ``result`` plus ``"user_id"``.

    Returns
    -------
    pathlib.Path
        The file written, ``<data_dir>/sessions/<session_id>.json``.

    Raises
    ------
    PayloadError
        When an id is not in the inferred format, a timestamp has no offset,
        or a required key is missing.

    Examples
    --------
    >>> import json, tempfile
    >>> body = json.load(open("data/published_example.json"))
    >>> write_session(tempfile.mkdtemp(), body["data"]).name
    '20250115025029_fvivn.json'
    """
    session_id, user_id, result = _normalize_session(data, "data")
    return _write_json(Path(data_dir) / "sessions" / f"{session_id}.json", {**result, "user_id": user_id})


def _normalize_user(user: Mapping[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(user, Mapping):
        raise PayloadError(where, f"expected a JSON object, got {type(user).__name__}")
    user_id = user.get("user_id")
    if not is_user_id(user_id):
        raise PayloadError(f"{where}.user_id", f"not a user id in the inferred format: {user_id!r}")
    return user_in_zone(user, "UTC")


def write_user(data_dir: str | Path, user: Mapping[str, Any]) -> Path:
    """Write one Get User ``result`` into a data folder (times converted to UTC).

    Returns
    -------
    pathlib.Path
        The file written, ``<data_dir>/users/<user_id>.json``.

    Raises
    ------
    PayloadError
        When ``user_id`` is not in the inferred format.

    Examples
    --------
    >>> import tempfile
    >>> user = {"user_id": "G-20250115025029-vLErWBfQNtnfvgDccFOQ", "to_be_deleted": False,
    ...         "last_session_info": None, "metadata": None}
    >>> write_user(tempfile.mkdtemp(), user).name
    'G-20250115025029-vLErWBfQNtnfvgDccFOQ.json'
    """
    normalized = _normalize_user(user, "user")
    return _write_json(Path(data_dir) / "users" / f"{normalized['user_id']}.json", normalized)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise PayloadError(str(path), f"not valid JSON: {exc}") from None


def load(data_dir: str | Path) -> StandinStore:
    """Read a whole data folder into memory (each session as its answer: :class:`StoredSession`).

    Parameters
    ----------
    data_dir
        A folder in the layout described in this module.

    Returns
    -------
    StandinStore

    Raises
    ------
    FileNotFoundError
        When ``data_dir`` does not exist.
    PayloadError
        When a file is not valid JSON, breaks the contract, or is named after
        another id than the one it holds.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_user(folder, {"user_id": "G-20250115025029-vLErWBfQNtnfvgDccFOQ"})
    >>> load(folder)  # doctest: +ELLIPSIS
    StandinStore('...', users=1, sessions=0)
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"stand-in data folder {str(root)!r} does not exist")
    index = StandinStore(data_dir=root)
    for path in sorted((root / "sessions").glob("*.json")):
        session_id, user_id, result = _normalize_session(_read_json(path), str(path))
        if path.stem != session_id:
            raise PayloadError(str(path), f"file named {path.stem!r} holds session {session_id!r}")
        index.sessions[session_id] = StoredSession.of(session_id, user_id, result, str(path))
    for path in sorted((root / "users").glob("*.json")):
        user = _normalize_user(_read_json(path), str(path))
        if path.stem != user["user_id"]:
            raise PayloadError(str(path), f"file named {path.stem!r} holds user {user['user_id']!r}")
        index.users[user["user_id"]] = user
    for stored in index.sessions.values():
        index.by_user.setdefault(stored.user_id, []).append(stored)
    for sessions in index.by_user.values():
        sessions.sort(key=lambda s: (s.start, s.id))
    manifest = root / "manifest.csv"
    if manifest.is_file():
        with manifest.open(newline="", encoding="utf-8") as fh:
            index.manifest = list(csv.DictReader(fh))
    return index
