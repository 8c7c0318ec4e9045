"""Generate a stand-in data folder of N sessions cloned from the demo, with new ids and users.

The folder has the stand-in layout (``asleep_nb.standin.store``)::

    <out>/sessions/<session_id>.json   webhook ``data`` objects (Get Session result in UTC + user_id)
    <out>/users/<user_id>.json         Get User results
    <out>/manifest.csv                 one row per user: user_id, group, timezone
    <out>/sessions.csv                 one row per session: session_id, user_id, group, timezone
    <out>/folder.json                  how it was made (written last: a folder without it is partial)

Users x nights: user ``u`` has ``nights`` sessions on consecutive evenings. Night ``k`` of user
``u`` is demo session ``(u * nights + k) % 204`` (demo sessions sorted by user then start), its
every timestamp shifted by a whole number of days so it lands on the user's evening; the stage
arrays, stat and peculiarities are the demo's, so edge cases (OPEN, CLOSED, never slept, too
short, too long) recur at the demo's rate. A user's group, zone and metadata are those of the
demo owner of its first night.

Ids follow the contract (``/work/shared/docs/asleep-api.md``): a session id is the UTC start
``YYYYMMDDhhmmss``, ``_`` and 5 of ``[a-z0-9]`` (a permuted counter: unique for up to 36**5
sessions); a user id is ``G-`` + 14 digits + ``-`` + 20 letters (5 encode the user's number, 15
are random). Everything is deterministic in (N, nights, seed).

Usage: ``python benchmarks/make_standin_folder.py OUT N [--nights 5] [--seed 0]``.
About 20 s and 0.9 GB of disk (555 MiB of file bytes) for N = 100,000.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from asleep_nb.definitions.identifiers import is_session_id, is_user_id
from asleep_nb.resources import demo_data_dir

try:  # orjson writes the same compact JSON about 10x faster
    import orjson

    def dumps(obj: Any) -> bytes:
        return orjson.dumps(obj) + b"\n"

except ImportError:  # pragma: no cover

    def dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


FORMAT_VERSION = 1
SESSION_TIME_KEYS = ("start_time", "end_time", "unexpected_end_time")
STAT_TIME_KEYS = ("sleep_time", "wake_time")
STAT_TIME_LIST_KEYS = ("sleep_cycle_time",)
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: Multiplier permuting the session counter over 36**5 (coprime with 36).
_PERMUTE = 16_777_619
#: The first evening of the study; users start on evenings spread over a year.
_FIRST_EVENING = date(2025, 1, 6)


@dataclass(frozen=True)
class Template:
    """A demo session ready to clone: its data, parsed times and owner's user attributes."""

    data: dict[str, Any]
    start: datetime
    times: dict[str, datetime | None]
    stat_times: dict[str, datetime | None]
    cycle_times: list[datetime]
    group: str
    timezone: str
    metadata: Any


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat(timespec="seconds")


def load_templates(source: Path) -> list[Template]:
    """The demo sessions sorted by (user, start), with their owner's group, zone and metadata."""
    with (source / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        owners = {row["user_id"]: row for row in csv.DictReader(fh)}
    out = []
    for path in sorted((source / "sessions").glob("*.json")):
        data = json.loads(path.read_bytes())
        session, stat = data["session"], data["stat"] or {}
        owner = owners[data["user_id"]]
        user = json.loads((source / "users" / f"{data['user_id']}.json").read_bytes())
        out.append(
            Template(
                data=data,
                start=_parse(session["start_time"]),  # type: ignore[arg-type]
                times={k: _parse(session.get(k)) for k in SESSION_TIME_KEYS},
                stat_times={k: _parse(stat.get(k)) for k in STAT_TIME_KEYS},
                cycle_times=[_parse(t) for t in stat.get("sleep_cycle_time") or []],  # type: ignore[misc]
                group=owner["group"],
                timezone=owner.get("timezone") or "UTC",
                metadata=user.get("metadata"),
            )
        )
    out.sort(key=lambda t: (t.data["user_id"], t.start, t.data["session"]["id"]))
    return out


def session_suffix(i: int) -> str:
    """Five base-36 characters, unique for every ``i`` below 36**5, looking random."""
    n = (i * _PERMUTE + 12_345) % 36**5
    chars = []
    for _ in range(5):
        n, r = divmod(n, 36)
        chars.append(_BASE36[r])
    return "".join(chars)


def user_letters(u: int, rng: np.random.Generator) -> str:
    """Twenty letters: five encode ``u`` (unique below 52**5), fifteen are random."""
    head = []
    for _ in range(5):
        u, r = divmod(u, 52)
        head.append(_LETTERS[r])
    return "".join(head) + "".join(_LETTERS[k] for k in rng.integers(0, 52, 15))


def clone(t: Template, delta: timedelta, session_id: str, user_id: str) -> dict[str, Any]:
    """The webhook data of ``t`` shifted by ``delta``, renamed and re-owned."""
    session = dict(t.data["session"])
    session["id"] = session_id
    for key, dt in t.times.items():
        session[key] = _iso(None if dt is None else dt + delta)
    data = dict(t.data)
    data["session"] = session
    data["user_id"] = user_id
    if t.data["stat"] is not None:
        stat = dict(t.data["stat"])
        for key, dt in t.stat_times.items():
            stat[key] = _iso(None if dt is None else dt + delta)
        if stat.get("sleep_cycle_time") is not None:
            stat["sleep_cycle_time"] = [_iso(dt + delta) for dt in t.cycle_times]
        data["stat"] = stat
    return data


def make_folder(
    out: str | Path, n_sessions: int, *, nights: int = 5, seed: int = 0, source: str | Path | None = None
) -> dict[str, Any]:
    """Write a stand-in data folder of ``n_sessions`` sessions into ``out`` (replaced if present)."""
    if n_sessions < 1 or nights < 1 or n_sessions >= 36**5:
        raise ValueError("need 1 <= n_sessions < 36**5 and nights >= 1")
    src = Path(source) if source is not None else demo_data_dir()
    templates = load_templates(src)
    root = Path(out)
    if root.exists():
        shutil.rmtree(root)
    (root / "sessions").mkdir(parents=True)
    (root / "users").mkdir()
    rng = np.random.default_rng(seed)
    n_users = -(-n_sessions // nights)
    users: list[list[str]] = []
    session_rows: list[list[str]] = []
    i = 0
    for u in range(n_users):
        first = templates[(u * nights) % len(templates)]
        evening = _FIRST_EVENING + timedelta(days=int(rng.integers(0, 365)))
        created = datetime.combine(evening, datetime.min.time(), UTC) - timedelta(
            days=int(rng.integers(1, 60)), seconds=int(rng.integers(0, 86_400))
        )
        user_id = f"G-{created:%Y%m%d%H%M%S}-{user_letters(u, rng)}"
        last: dict[str, Any] | None = None
        for k in range(min(nights, n_sessions - i)):
            t = templates[(u * nights + k) % len(templates)]
            delta = timedelta(days=(evening + timedelta(days=k) - t.start.date()).days)
            start = t.start + delta
            session_id = f"{start:%Y%m%d%H%M%S}_{session_suffix(i)}"
            data = clone(t, delta, session_id, user_id)
            (root / "sessions" / f"{session_id}.json").write_bytes(dumps(data))
            session_rows.append([session_id, user_id, first.group, first.timezone])
            s = data["session"]
            last = {k2: s[k2] for k2 in ("start_time", "end_time")} | {
                "session_id": session_id,
                "state": s["state"],
            }
            i += 1
        user = {
            "user_id": user_id,
            "to_be_deleted": False,
            "last_session_info": last,
            "metadata": first.metadata,
        }
        (root / "users" / f"{user_id}.json").write_bytes(dumps(user))
        users.append([user_id, first.group, first.timezone])
    _write_csv(root / "manifest.csv", ["user_id", "group", "timezone"], users)
    _write_csv(root / "sessions.csv", ["session_id", "user_id", "group", "timezone"], session_rows)
    info = {
        "version": FORMAT_VERSION,
        "sessions": n_sessions,
        "users": n_users,
        "nights": nights,
        "seed": seed,
    }
    (root / "folder.json").write_text(json.dumps(info) + "\n")
    return info


def ensure_folder(out: str | Path, n_sessions: int, *, nights: int = 5, seed: int = 0) -> Path:
    """``out`` holding that folder: reused when complete and made with these parameters, else made."""
    root = Path(out)
    marker = root / "folder.json"
    want = {"version": FORMAT_VERSION, "sessions": n_sessions, "nights": nights, "seed": seed}
    if marker.is_file():
        have = json.loads(marker.read_text())
        if all(have.get(k) == v for k, v in want.items()):
            return root
    make_folder(root, n_sessions, nights=nights, seed=seed)
    return root


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def check_folder(root: Path, sample: int = 200) -> None:
    """Cheap contract checks on a sample: id formats, file names, id stamp equals the UTC start."""
    with (root / "sessions.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ids = [r["session_id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise AssertionError("duplicate session ids")
    for r in rows[:: max(1, len(rows) // sample)]:
        data = json.loads((root / "sessions" / f"{r['session_id']}.json").read_bytes())
        sid, uid = data["session"]["id"], data["user_id"]
        assert is_session_id(sid) and is_user_id(uid), (sid, uid)
        assert sid == r["session_id"] and uid == r["user_id"]
        stamp = datetime.fromisoformat(data["session"]["start_time"]).astimezone(UTC)
        assert sid[:14] == f"{stamp:%Y%m%d%H%M%S}", sid


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("sessions", type=int)
    parser.add_argument("--nights", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    info = make_folder(args.out, args.sessions, nights=args.nights, seed=args.seed)
    seconds = time.perf_counter() - start
    check_folder(Path(args.out))
    size = sum(p.stat().st_size for p in Path(args.out).rglob("*") if p.is_file())
    print(
        f"{info['sessions']:,} sessions of {info['users']:,} users in {args.out}: "
        f"{seconds:.1f} s, {size / 2**20:,.0f} MiB of files"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
