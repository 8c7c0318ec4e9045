"""Shared fixtures: the published example, a stand-in data folder of edge cases, a running stand-in.

Tests never touch the real API: ``ASLEEP_API_KEY`` is removed from the
environment when this module is imported.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from asleep_nb.definitions import STAT_FIELDS
from asleep_nb.standin import serve, write_session, write_user

os.environ.pop("ASLEEP_API_KEY", None)
os.environ.pop("ASLEEP_BASE_URL", None)

REPO = Path(__file__).resolve().parents[1]
PUBLISHED_EXAMPLE = REPO / "data" / "published_example.json"


def _user_id(stamp: str, letters: str) -> str:
    return f"G-{stamp}-{(letters * 20)[:20]}"


@dataclass(frozen=True)
class StandinIds:
    """The ids and times of the sessions in ``standin_data_dir``."""

    example_user: str = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"
    example_session: str = "20250115025029_fvivn"
    edge_user: str = _user_id("20240101000000", "Edge")
    open_session: str = "20250201220000_open1"
    closed_session: str = "20250202220000_clos1"
    two_stage_session: str = "20250203220000_twost"
    paris_user: str = _user_id("20240101000001", "Paris")
    paris_session: str = "20250330003000_paris"  # 2025-03-30 00:30Z .. 06:30Z, Paris DST at 01:00Z
    newyork_user: str = _user_id("20240101000002", "NewYork")
    newyork_session: str = "20250309050000_nyc01"  # 2025-03-09 05:00Z .. 12:00Z, NY DST at 07:00Z
    seoul_user: str = _user_id("20240101000003", "Seoul")
    seoul_late_session: str = "20250114233000_seoul"  # 2025-01-15 in Seoul, 2025-01-14 in UTC
    seoul_early_session: str = "20250114100000_seoue"  # 2025-01-14 in both
    paging_user: str = _user_id("20240101000004", "Paging")
    paging_count: int = 250
    paging_first_start: datetime = datetime(2024, 1, 1, 22, 0, tzinfo=UTC)
    unknown_user: str = _user_id("20240101000009", "Nobody")


IDS = StandinIds()


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def _simple_stat(stages: list[int], start: datetime, end: datetime, *, two_stage: bool) -> dict[str, Any]:
    """A plausible stat object for test payloads (not the vendor's engine: only shapes and times matter)."""
    stat: dict[str, Any] = dict.fromkeys(STAT_FIELDS)
    asleep = [i for i, s in enumerate(stages) if s > 0]
    first, last = asleep[0], asleep[-1]
    period = stages[first : last + 1]
    sleep_time = start + timedelta(seconds=30 * first)
    counts = {code: 30 * period.count(code) for code in (0, 1, 2, 3)}
    in_sleep = counts[1] + counts[2] + counts[3]
    in_period = 30 * len(period)
    stat.update(
        sleep_time=_iso(sleep_time),
        wake_time=_iso(start + timedelta(seconds=30 * (last + 1))),
        sleep_latency=30 * first,
        wakeup_latency=30 * (len(stages) - 1 - last),
        time_in_bed=int((end - start).total_seconds()),
        time_in_sleep_period=in_period,
        time_in_sleep=in_sleep,
        time_in_wake=counts[0],
        time_in_snoring=0,
        time_in_no_snoring=in_period,
        sleep_efficiency=round(in_sleep / (end - start).total_seconds(), 2),
        wake_ratio=round(counts[0] / in_period, 2),
        sleep_ratio=round(1 - counts[0] / in_period, 2),
        snoring_ratio=0.0,
        no_snoring_ratio=1.0,
        waso_count=0,
        longest_waso=0,
        sleep_cycle_count=1,
        sleep_cycle=in_period,
        snoring_count=0,
        sleep_index=70,
        sleep_cycle_time=[_iso(sleep_time), _iso(start + timedelta(seconds=30 * last))],
    )
    if not two_stage:
        stat.update(
            time_in_light=counts[1],
            time_in_deep=counts[2],
            time_in_rem=counts[3],
            light_ratio=round(counts[1] / in_period, 2),
            deep_ratio=round(counts[2] / in_period, 2),
            rem_ratio=round(counts[3] / in_period, 2),
            light_latency=0,
            deep_latency=None if 2 not in period else 30 * period.index(2),
            rem_latency=None if 3 not in period else 30 * period.index(3),
        )
    return stat


def make_session(
    session_id: str,
    user_id: str,
    start: datetime,
    stages: list[int],
    *,
    state: str = "COMPLETE",
    created_timezone: str = "UTC",
    two_stage: bool = False,
) -> dict[str, Any]:
    """A webhook ``data`` object for tests; OPEN sessions have no end, non-COMPLETE no stat."""
    end = start + timedelta(seconds=30 * len(stages))
    complete = state == "COMPLETE"
    return {
        "timezone": "UTC",
        "peculiarities": ["NO_BREATHING_STABILITY"] + ([] if complete else ["IN_PROGRESS"]),
        "missing_data_ratio": 0.0,
        "session": {
            "id": session_id,
            "state": state,
            "start_time": _iso(start),
            "end_time": None if state == "OPEN" else _iso(end),
            "unexpected_end_time": None,
            "created_timezone": created_timezone,
            "sleep_stages": stages,
            "breath_stages": None,
            "snoring_stages": [0] * len(stages),
        },
        "stat": _simple_stat(stages, start, end, two_stage=two_stage) if complete else None,
        "user_id": user_id,
    }


def _night(n_wake: int, n_sleep: int) -> list[int]:
    body = ([1] * 10 + [2] * 10 + [3] * 20) * (n_sleep // 40 + 1)
    return [0] * n_wake + body[:n_sleep] + [0] * n_wake


@pytest.fixture(scope="session")
def example_webhook() -> dict[str, Any]:
    """The published example session as a saved webhook body."""
    return json.loads(PUBLISHED_EXAMPLE.read_text())


@pytest.fixture(scope="session")
def example_result(example_webhook: dict[str, Any]) -> dict[str, Any]:
    """The published example's Get Session ``result`` (the webhook data without ``user_id``)."""
    return {k: v for k, v in example_webhook["data"].items() if k != "user_id"}


@pytest.fixture(scope="session")
def standin_ids() -> StandinIds:
    """The ids of the sessions and users in ``standin_data_dir``."""
    return IDS


@pytest.fixture(scope="session")
def standin_data_dir(tmp_path_factory: pytest.TempPathFactory, example_webhook: dict[str, Any]) -> Path:
    """A stand-in data folder holding the published example and the contract's edge cases."""
    root = tmp_path_factory.mktemp("standin_data")
    write_session(root, copy.deepcopy(example_webhook["data"]))
    write_user(
        root,
        {
            "user_id": IDS.example_user,
            "to_be_deleted": False,
            "last_session_info": {
                "session_id": IDS.example_session,
                "state": "COMPLETE",
                "start_time": "2025-01-15T02:50:29+00:00",
                "end_time": "2025-01-15T03:50:29+00:00",
            },
            "metadata": {"birth_year": 1990, "birth_month": 1, "birth_day": 1, "gender": "other"},
        },
    )

    def at(*args: int) -> datetime:
        return datetime(*args, tzinfo=UTC)

    edge = [
        make_session(IDS.open_session, IDS.edge_user, at(2025, 2, 1, 22), [0] * 10 + [1] * 30, state="OPEN"),
        make_session(IDS.closed_session, IDS.edge_user, at(2025, 2, 2, 22), _night(20, 600), state="CLOSED"),
        make_session(
            IDS.two_stage_session,
            IDS.edge_user,
            at(2025, 2, 3, 22),
            [0] * 20 + [1] * 500 + [0] * 20,
            two_stage=True,
        ),
        make_session(
            IDS.paris_session,
            IDS.paris_user,
            at(2025, 3, 30, 0, 30),
            _night(30, 660),
            created_timezone="Europe/Paris",
        ),
        make_session(
            IDS.newyork_session,
            IDS.newyork_user,
            at(2025, 3, 9, 5),
            _night(20, 800),
            created_timezone="America/New_York",
        ),
        make_session(
            IDS.seoul_late_session,
            IDS.seoul_user,
            at(2025, 1, 14, 23, 30),
            _night(10, 100),
            created_timezone="Asia/Seoul",
        ),
        make_session(
            IDS.seoul_early_session,
            IDS.seoul_user,
            at(2025, 1, 14, 10),
            _night(10, 100),
            created_timezone="Asia/Seoul",
        ),
    ]
    for data in edge:
        write_session(root, data)
    for user_id in (IDS.edge_user, IDS.newyork_user, IDS.seoul_user, IDS.paging_user):
        write_user(
            root, {"user_id": user_id, "to_be_deleted": False, "last_session_info": None, "metadata": None}
        )
    write_user(
        root,
        {
            "user_id": IDS.paris_user,
            "to_be_deleted": False,
            "last_session_info": {
                "session_id": IDS.paris_session,
                "state": "COMPLETE",
                "start_time": "2025-03-30T00:30:00+00:00",
                "end_time": "2025-03-30T06:30:00+00:00",
            },
            "metadata": None,
        },
    )
    for day in range(IDS.paging_count):
        start = IDS.paging_first_start + timedelta(days=day)
        session_id = f"{start:%Y%m%d%H%M%S}_p{day:04d}"
        write_session(root, make_session(session_id, IDS.paging_user, start, [0] * 4 + [1] * 32 + [0] * 4))
    return root


@pytest.fixture(scope="session")
def standin(standin_data_dir: Path):
    """A stand-in server on ``standin_data_dir`` for the whole test session."""
    with serve(standin_data_dir) as srv:
        yield srv


@pytest.fixture
def standin_fresh(standin):
    """The session's stand-in with counters reset and no queued faults or latency, before and after."""
    standin.reset_counts()
    standin.clear_faults()
    standin.set_latency(0)
    yield standin
    standin.clear_faults()
    standin.set_latency(0)
    standin.reset_counts()


# ----------------------------------------------------------------------------- a hostile server

OTHER_SESSION = "20250116000000_other"


@pytest.fixture
def hostile_payloads(example_result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Two COMPLETE sessions of the example user: the published example and another night."""
    other = make_session(OTHER_SESSION, IDS.example_user, datetime(2025, 1, 16, tzinfo=UTC), _night(10, 200))
    other.pop("user_id")
    return {IDS.example_session: copy.deepcopy(example_result), OTHER_SESSION: other}


@pytest.fixture
def hostile(hostile_payloads: dict[str, dict[str, Any]]):
    """A :class:`hostile.HostileServer` on 127.0.0.1 serving ``hostile_payloads``, honest until told."""
    from hostile import HostileServer

    owners = dict.fromkeys(hostile_payloads, IDS.example_user)
    with HostileServer(hostile_payloads, owners) as server:
        yield server
