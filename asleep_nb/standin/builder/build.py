"""Writing the demo cohort: sessions, users, the manifests and the DOD licence, and the command line.

Examples
--------
>>> from asleep_nb.standin.builder.build import main
>>> main(["--source", "/nonexistent", "--out", "/tmp/nowhere"])
2
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from asleep_nb.standin import store
from asleep_nb.standin.builder.nights import new_session_id, seeded_rng, session_data
from asleep_nb.standin.builder.recordings import REPOSITORY, default_source, load_recordings
from asleep_nb.standin.builder.users import assign_ids, edge_users, panel_users, single_night_users
from asleep_nb.standin.builder.validation import validation_users, write_references

__all__ = ["DemoSummary", "build_demo", "main"]


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`build_demo` wrote.

    Attributes
    ----------
    out
        The output folder.
    users, sessions
        Number of users and sessions per group.
    files
        Every file written, relative to ``out``, sorted.
    """

    out: Path
    users: dict[str, int]
    sessions: dict[str, int]
    files: tuple[str, ...]

    def __str__(self) -> str:
        lines = [
            f"demo cohort in {self.out}: {sum(self.users.values())} users, "
            f"{sum(self.sessions.values())} sessions"
        ]
        for group in self.users:
            lines.append(f"  {group:18s} {self.users[group]:3d} users {self.sessions[group]:4d} sessions")
        return "\n".join(lines)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


#: The demo's study manifests: file name -> (groups, what the file is for).
STUDY_MANIFESTS: dict[str, tuple[tuple[str, ...], str]] = {
    "study.csv": (("healthy", "apnea"), "a between-group study: healthy vs sleep apnea, one night each"),
    "panel.csv": (
        ("panel",),
        "a within-person design: 14 nights per user, first 7 baseline, last 7 intervention",
    ),
    "edge.csv": (
        ("edge",),
        "the contract's edge cases (OPEN, never slept, too short, ...): for contract tests",
    ),
    "daily.csv": (
        ("panel",),
        "the panel as a study run day by day: one row per user, date_gte and date_lte its first and "
        "last night (asleep-nb sync, asleep-nb status)",
    ),
    "validation.csv": (
        ("validation_healthy", "validation_apnea"),
        "a validation study: each session against its PSG scoring in reference/ (reference/manifest.csv)",
    ),
}
#: Groups of the demo, in the order the summary lists them.
GROUPS = ("healthy", "apnea", "panel", "edge", "validation_healthy", "validation_apnea")

#: Nights of a panel user in the baseline period; the rest are the intervention period.
PANEL_BASELINE_NIGHTS = 7


def _enrolment(user: Any, session_rows: Sequence[tuple[str, ...]]) -> tuple[str, str]:
    """The first and last night of a user's sessions (the night rule in the user's zone), ISO dates."""
    import numpy as np
    import pandas as pd

    from asleep_nb.definitions.rules import night_of

    starts = pd.to_datetime([r[5] for r in session_rows if r[1] == user.user_id], utc=True)
    local = starts.tz_convert(user.zone).tz_localize(None).to_numpy()
    nights = night_of(local).astype("datetime64[D]")
    return str(np.min(nights)), str(np.max(nights))


#: Covariates of the study manifests, generated from each user's metadata (see :func:`_covariates`).
COVARIATES = ("age", "sex", "bmi")


def _covariates(user: Any, start_utc: str) -> tuple[str, str, str]:
    """Age in years at the night's local start date, sex (the metadata's ``gender``), BMI; as text."""
    meta = user.metadata
    night = datetime.fromisoformat(start_utc).astimezone(ZoneInfo(user.zone)).date()
    born = date(meta["birth_year"], meta["birth_month"], meta["birth_day"])
    age = (night - born).days / 365.25
    bmi = meta["weight"] / (meta["height"] / 100) ** 2
    return f"{age:.1f}", str(meta["gender"]), f"{bmi:.1f}"


def _write_study_manifests(dest: Path, users: Sequence[Any], session_rows: Sequence[tuple[str, ...]]) -> None:
    """Write the study manifests (:data:`STUDY_MANIFESTS`); ``panel.csv`` with ``period``.

    ``study.csv`` and ``panel.csv`` carry the covariates :data:`COVARIATES` of each user at the night.
    """
    for name, (groups, _) in STUDY_MANIFESTS.items():
        chosen = [u for u in users if u.group in groups]
        if name == "daily.csv":
            _write_csv(
                dest / name,
                ("user_id", "group", "timezone", "date_gte", "date_lte"),
                [(u.user_id, u.group, u.zone, *_enrolment(u, session_rows)) for u in chosen],
            )
            continue
        if name == "validation.csv":  # one row per session: the study compares sessions
            found = sorted(
                (r[1], r[2], r[0], r[4]) for u in chosen for r in session_rows if r[1] == u.user_id
            )
            _write_csv(dest / name, ("user_id", "group", "session_id", "timezone"), found)
            continue
        if name == "edge.csv":
            _write_csv(
                dest / name, ("user_id", "group", "timezone"), [(u.user_id, u.group, u.zone) for u in chosen]
            )
            continue
        rows: list[tuple[str, ...]] = []
        for user in chosen:
            mine = sorted((r[5], r[0]) for r in session_rows if r[1] == user.user_id)
            if name == "study.csv":  # one night each: the user's row
                rows.append((user.user_id, user.group, user.zone, *_covariates(user, mine[0][0])))
                continue
            for night, (start, session_id) in enumerate(mine):
                period = "baseline" if night < PANEL_BASELINE_NIGHTS else "intervention"
                rows.append(
                    (user.user_id, user.group, session_id, user.zone, period, *_covariates(user, start))
                )
        header = ("user_id", "group", "timezone") if name == "study.csv" else (
            "user_id", "group", "session_id", "timezone", "period")  # fmt: skip
        _write_csv(dest / name, (*header, *COVARIATES), rows)


def build_demo(source: str | Path | None = None, out: str | Path | None = None) -> DemoSummary:
    """Build the demo cohort from the DOD scorings into ``out``.

    Parameters
    ----------
    source
        Folder holding ``dodh.json``, ``dodo.json`` and ``LICENSE``;
        :func:`default_source` when ``None``.
    out
        Output folder; ``data/demo`` of the repository when ``None``. Any
        ``sessions/*.json`` and ``users/*.json`` already there are removed
        first, so the folder holds exactly this build.

    Returns
    -------
    DemoSummary

    Raises
    ------
    FileNotFoundError
        When the source folder or one of its files is missing.

    Examples
    --------
    >>> import tempfile
    >>> summary = build_demo(out=tempfile.mkdtemp())
    >>> summary.users["healthy"], summary.users["apnea"]
    (25, 55)
    """
    src = Path(source) if source is not None else default_source()
    dest = Path(out) if out is not None else REPOSITORY / "data" / "demo"
    recordings = load_recordings(src)
    if not (src / "LICENSE").is_file():
        raise FileNotFoundError(f"DOD licence not found: {src / 'LICENSE'} is missing")
    example_path = REPOSITORY / "data" / "published_example.json"
    published = json.loads(example_path.read_text(encoding="utf-8"))["data"]

    validation = validation_users(src)
    users = [
        *single_night_users(recordings["dodh"], "healthy"),
        *single_night_users(recordings["dodo"], "apnea"),
        *panel_users(recordings),
        *edge_users(recordings, published),
        *(v.user for v in validation),  # last: the ids of the users before them do not change
    ]
    assign_ids(users)

    dest.mkdir(parents=True, exist_ok=True)
    for sub in ("sessions", "users"):
        for old in sorted((dest / sub).glob("*.json")):
            old.unlink()
    session_rows: list[tuple[str, ...]] = []
    n_sessions: Counter[str] = Counter()
    seen_sessions: set[str] = set()
    session_of: dict[int, str] = {}
    for index, user in enumerate(users):
        rng = seeded_rng(98, index)
        datas = []
        if user.fixed is not None:
            datas.append((user.fixed, ""))
        for night in user.nights:
            while (sid := new_session_id(night.start, rng)) in seen_sessions:  # pragma: no cover
                pass
            session_of[id(night)] = sid
            datas.append((session_data(night, sid, user), night.dod_record))
        for data, record in datas:
            seen_sessions.add(data["session"]["id"])
            store.write_session(dest, data)
            session_rows.append(
                (
                    data["session"]["id"],
                    user.user_id,
                    user.group,
                    record,
                    user.zone,
                    data["session"]["start_time"],
                )
            )
            n_sessions[user.group] += 1
        last = max(datas, key=lambda d: (d[0]["session"]["start_time"], d[0]["session"]["id"]))[0]["session"]
        store.write_user(
            dest,
            {
                "user_id": user.user_id,
                "to_be_deleted": False,
                "last_session_info": {
                    "session_id": last["id"],
                    "state": last["state"],
                    "start_time": last["start_time"],
                    "end_time": last["end_time"],
                },
                "metadata": user.metadata,
            },
        )
    _write_csv(
        dest / "manifest.csv", ("user_id", "group", "timezone"), [(u.user_id, u.group, u.zone) for u in users]
    )
    _write_study_manifests(dest, users, session_rows)
    _write_csv(
        dest / "sessions.csv",
        ("session_id", "user_id", "group", "dod_record", "timezone", "start_time_utc"),
        session_rows,
    )
    _write_csv(
        dest / "reference" / "manifest.csv",
        ("session_id", "user_id", "file", "start_time"),
        write_references(dest, validation, session_of),
    )
    shutil.copyfile(src / "LICENSE", dest / "LICENSE-DOD")

    n_users = Counter(u.group for u in users)
    groups = GROUPS
    files = sorted(
        str(p.relative_to(dest))
        for p in [
            dest / "manifest.csv",
            *(dest / name for name in STUDY_MANIFESTS),
            dest / "sessions.csv",
            dest / "LICENSE-DOD",
            *(dest / "sessions").glob("*.json"),
            *(dest / "users").glob("*.json"),
            *(dest / "reference").glob("*.csv"),
        ]
    )
    return DemoSummary(
        out=dest,
        users={g: n_users[g] for g in groups},
        sessions={g: n_sessions[g] for g in groups},
        files=tuple(files),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m asleep_nb.standin.builder [--source PATH] [--out DIR]``.

    Examples
    --------
    >>> main(["--source", "/nonexistent"])  # says why on stderr
    2
    """
    parser = argparse.ArgumentParser(
        prog="python -m asleep_nb.standin.builder",
        description="Build the demo cohort served by the stand-in API, deterministically.",
    )
    parser.add_argument("--source", type=Path, default=None, help="folder with dodh.json and dodo.json")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: data/demo)")
    args = parser.parse_args(argv)
    try:
        summary = build_demo(args.source, args.out)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary)
    return 0
