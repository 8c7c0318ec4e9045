"""The demo cohort: the committed data/demo and the builder that makes it."""

from __future__ import annotations

import csv
import functools
import hashlib
import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from asleep_nb import stats
from asleep_nb.definitions import FOUR_STAGE_ONLY_FIELDS, NEVER_SLEPT_NULL_FIELDS, STAT_FIELDS
from asleep_nb.standin import builder as demo
from asleep_nb.standin import store

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
PUBLISHED = REPO / "data" / "published_example.json"
SESSION_ID = re.compile(r"(\d{14})_[a-z0-9]{5}")
USER_ID = re.compile(r"G-(\d{14})-[A-Za-z]{20}")
BREATHING_FIELDS = tuple(name for name in STAT_FIELDS if "breath" in name)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


@functools.cache
def _sessions() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_bytes()) for p in sorted((DEMO / "sessions").glob("*.json"))}


@functools.cache
def _users() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_bytes()) for p in sorted((DEMO / "users").glob("*.json"))}


@functools.cache
def _manifest() -> dict[str, dict]:
    with (DEMO / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        return {row["user_id"]: row for row in csv.DictReader(fh)}


@functools.cache
def _provenance() -> list[dict]:
    with (DEMO / "sessions.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _by_user() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for data in _sessions().values():
        out.setdefault(data["user_id"], []).append(data)
    for items in out.values():
        items.sort(key=lambda d: d["session"]["start_time"])
    return out


def _group_sessions(group: str) -> list[dict]:
    return [d for d in _sessions().values() if _manifest()[d["user_id"]]["group"] == group]


def _with(label: str) -> list[dict]:
    return [d for d in _sessions().values() if label in d["peculiarities"]]


def _crosses_dst(data: dict, zone: str) -> bool:
    tz = ZoneInfo(zone)
    start, end = _time(data["session"]["start_time"]), data["session"]["end_time"]
    return end is not None and start.astimezone(tz).utcoffset() != _time(end).astimezone(tz).utcoffset()


# --- the committed data ------------------------------------------------------------------------


def test_committed_data_loads_through_the_store():
    index = store.load(DEMO)
    assert len(index.sessions) == len(_sessions()) == len(_provenance())
    assert set(index.users) == set(_manifest()) == set(index.by_user)
    licence = (DEMO / "LICENSE-DOD").read_text()
    assert "MIT" in licence
    source = demo.default_source() / "LICENSE"
    if source.is_file():
        assert licence == source.read_text()


def test_groups_counts_and_zones():
    manifest = _manifest()
    groups = [row["group"] for row in manifest.values()]
    assert groups.count("healthy") == 25 and groups.count("apnea") == 55
    assert groups.count("panel") >= 6 and groups.count("edge") >= 8
    assert groups.count("validation_healthy") == 25 and groups.count("validation_apnea") == 55
    assert set(groups) == {"healthy", "apnea", "panel", "edge", "validation_healthy", "validation_apnea"}
    for group in ("healthy", "apnea", "panel"):
        zones = {row["timezone"] for row in manifest.values() if row["group"] == group}
        assert {"Asia/Seoul", "Europe/Paris", "America/New_York"} <= zones
    for user_id, items in _by_user().items():
        assert {d["session"]["created_timezone"] for d in items} == {manifest[user_id]["timezone"]}
    # one session per DOD night in the single-night groups, each from its own record
    for group, n in (("healthy", 25), ("apnea", 55)):
        rows = [r for r in _provenance() if r["group"] == group]
        assert len(rows) == n and len({r["dod_record"] for r in rows}) == n


def test_sessions_csv_matches_the_files():
    for row in _provenance():
        data = _sessions()[row["session_id"]]
        assert data["user_id"] == row["user_id"]
        assert data["session"]["start_time"] == row["start_time_utc"]
        assert _manifest()[row["user_id"]]["group"] == row["group"]


def test_published_example_is_copied_exactly():
    published = json.loads(PUBLISHED.read_text())["data"]
    assert _sessions()["20250115025029_fvivn"] == published
    assert _manifest()[published["user_id"]]["group"] == "edge"


def test_every_stat_verifies_clean():
    for session_id, data in _sessions().items():
        if data["stat"] is not None:
            assert stats.verify(data) == {}, session_id


def test_every_session_follows_the_common_rules():
    for session_id, data in _sessions().items():
        session, stat = data["session"], data["stat"]
        stages = np.array(session["sleep_stages"])
        assert "NO_BREATHING_STABILITY" in data["peculiarities"], session_id
        assert session["breath_stages"] is None
        assert data["missing_data_ratio"] == round(float(np.mean(stages == -1)), 2)
        assert data["timezone"] == "UTC" and session["start_time"].endswith("+00:00")
        if stat is not None:
            assert all(stat[f] is None for f in BREATHING_FIELDS), session_id
            assert list(stat) == list(STAT_FIELDS)
        if session["end_time"] is not None:
            tib = (_time(session["end_time"]) - _time(session["start_time"])).total_seconds()
            assert stages.size * 30 <= tib < stages.size * 30 + 30, session_id


def test_snoring_only_during_sleep_and_more_in_apnea():
    for session_id, data in _sessions().items():
        stages = np.array(data["session"]["sleep_stages"])
        snoring = np.array(data["session"]["snoring_stages"])
        assert snoring.shape == stages.shape, session_id
        assert np.array_equal(snoring == -1, stages == -1), session_id
        assert np.all(np.isin(stages[snoring == 1], [1, 2, 3])), session_id

    def share(group: str) -> float:
        sessions = _group_sessions(group)
        return float(np.mean([np.mean(np.array(d["session"]["snoring_stages"]) == 1) for d in sessions]))

    assert share("apnea") > 2 * share("healthy") > 0


def test_identifiers_have_the_inferred_formats():
    for session_id, data in _sessions().items():
        match = SESSION_ID.fullmatch(session_id)
        assert match and data["session"]["id"] == session_id
        start = _time(data["session"]["start_time"]).astimezone(UTC)
        assert match.group(1) == start.strftime("%Y%m%d%H%M%S")
    for user_id, items in _by_user().items():
        match = USER_ID.fullmatch(user_id)
        assert match, user_id
        created = datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        assert created <= _time(items[0]["session"]["start_time"])


def test_users_point_at_their_latest_session():
    genders = {"male", "female", "non_binary", "other", "prefer_not_to_say"}
    for user_id, items in _by_user().items():
        user = _users()[user_id]
        assert user["user_id"] == user_id and user["to_be_deleted"] is False
        latest = items[-1]["session"]
        info = user["last_session_info"]
        assert (info["session_id"], info["state"]) == (latest["id"], latest["state"])
        assert (info["start_time"], info["end_time"]) == (latest["start_time"], latest["end_time"])
        if user["metadata"] is not None:
            meta = user["metadata"]
            assert 1940 < meta["birth_year"] < 2010 and 1 <= meta["birth_month"] <= 12
            assert meta["gender"] in genders and 130 < meta["height"] < 220 and 35 < meta["weight"] < 200


def test_sleep_index_is_the_documented_generated_score():
    for session_id, data in _sessions().items():
        stat = data["stat"]
        if stat is None or session_id == "20250115025029_fvivn":
            continue
        assert stat["sleep_index"] == demo.generated_sleep_index(stat), session_id
        if "NEVER_SLEPT" not in data["peculiarities"]:
            assert 50 <= stat["sleep_index"] <= 100


def test_dst_crossing_nights_in_paris_and_new_york():
    for zone in ("Europe/Paris", "America/New_York"):
        for group in ("healthy", "apnea", "panel"):
            crossing = [d for d in _group_sessions(group) if d["session"]["created_timezone"] == zone]
            assert any(_crosses_dst(d, zone) for d in crossing), (zone, group)


def test_bedtimes_are_evening_local():
    for group in ("healthy", "apnea", "panel"):
        for data in _group_sessions(group):
            zone = ZoneInfo(data["session"]["created_timezone"])
            local = _time(data["session"]["start_time"]).astimezone(zone)
            minutes = (local.hour * 60 + local.minute - 21 * 60 - 30) % (24 * 60)
            assert minutes <= 210, local


def test_panel_has_fourteen_consecutive_nights_and_later_weekends():
    panel = [u for u, row in _manifest().items() if row["group"] == "panel"]
    assert len(panel) >= 6
    spring = {"Europe/Paris": False, "America/New_York": False}
    for user_id in panel:
        items = _by_user()[user_id]
        zone = ZoneInfo(_manifest()[user_id]["timezone"])
        starts = [_time(d["session"]["start_time"]).astimezone(zone) for d in items]
        nights = [(s - timedelta(hours=12)).date() for s in starts]
        assert len(nights) >= 14
        assert all((b - a).days == 1 for a, b in itertools.pairwise(nights))
        records = [r["dod_record"] for r in _provenance() if r["user_id"] == user_id]
        assert len(set(records)) == len(records) and all(records)
        minutes = np.array([((s.hour * 60 + s.minute) - 21 * 60) % (24 * 60) for s in starts])
        weekend = np.array([n.weekday() in (4, 5) for n in nights])
        assert minutes[weekend].mean() > minutes[~weekend].mean() + 30, user_id
        if zone.key in spring and any(_crosses_dst(d, zone.key) for d in items):
            spring[zone.key] |= starts[0].month == 3
    assert all(spring.values()), spring


# --- edge cases --------------------------------------------------------------------------------


def _one(label: str) -> dict:
    found = [d for d in _with(label) if _manifest()[d["user_id"]]["group"] == "edge"]
    assert found, label
    return found[0]


def test_open_session():
    data = next(d for d in _sessions().values() if d["session"]["state"] == "OPEN")
    assert data["peculiarities"] == ["IN_PROGRESS", "NO_BREATHING_STABILITY"]
    assert data["session"]["end_time"] is None and data["stat"] is None
    assert 0 < len(data["session"]["sleep_stages"]) < 600


def test_closed_session():
    data = next(d for d in _sessions().values() if d["session"]["state"] == "CLOSED")
    assert data["peculiarities"] == ["IN_PROGRESS", "NO_BREATHING_STABILITY"]
    assert data["session"]["end_time"] is not None and data["stat"] is None


def test_too_short_and_too_many_defects_have_no_stat():
    short = _one("TOO_SHORT_FOR_ANALYSIS")
    tib = _time(short["session"]["end_time"]) - _time(short["session"]["start_time"])
    assert tib == timedelta(minutes=3) and short["stat"] is None
    defects = _one("TOO_MANY_DEFECTS_IN_SLEEP_STAGES")
    assert defects["stat"] is None and defects["missing_data_ratio"] >= 0.5
    stages = np.array(defects["session"]["sleep_stages"])
    assert stages.size > 600 and np.isin(stages, [1, 2, 3]).any()


def test_never_slept_follows_the_null_rules():
    data = _one("NEVER_SLEPT")
    assert set(data["session"]["sleep_stages"]) == {0}
    stat = data["stat"]
    assert stat is not None
    for name in STAT_FIELDS:
        if name in NEVER_SLEPT_NULL_FIELDS:
            assert stat[name] is None, name
    assert stat["time_in_sleep"] == 0 and stat["sleep_efficiency"] == 0.0 and stat["waso_count"] == 0


def test_too_long_is_analysed():
    data = _one("TOO_LONG_FOR_ANALYSIS")
    tib = _time(data["session"]["end_time"]) - _time(data["session"]["start_time"])
    assert tib > timedelta(hours=24) and data["stat"] is not None
    assert data["stat"]["time_in_bed"] == int(tib.total_seconds())


def test_unexpected_end_time_session():
    data = next(d for d in _sessions().values() if d["session"]["unexpected_end_time"] is not None)
    session = data["session"]
    start, end = _time(session["start_time"]), _time(session["end_time"])
    assert end == start + timedelta(seconds=30 * len(session["sleep_stages"]))
    assert _time(session["unexpected_end_time"]) > end
    assert data["stat"] is not None and session["state"] == "COMPLETE"


def test_two_stage_user():
    two_stage = [
        items
        for items in _by_user().values()
        if all(d["stat"] is not None and d["stat"]["time_in_light"] is None for d in items)
    ]
    assert two_stage and len(two_stage[0]) >= 3
    for data in two_stage[0]:
        assert set(data["session"]["sleep_stages"]) <= {-1, 0, 1}
        assert all(data["stat"][f] is None for f in FOUR_STAGE_ONLY_FIELDS)
        assert data["stat"]["time_in_sleep"] > 0


def test_sessions_without_stat_are_exactly_those_the_contract_nulls():
    for session_id, data in _sessions().items():
        nulling = {"IN_PROGRESS", "TOO_SHORT_FOR_ANALYSIS", "TOO_MANY_DEFECTS_IN_SLEEP_STAGES"}
        assert (data["stat"] is None) == bool(nulling & set(data["peculiarities"])), session_id


# --- the builder -------------------------------------------------------------------------------


def test_majority_vote_maps_first_then_breaks_ties_by_agreement():
    # N1 and N2 both map to light: 2 votes N1 + 1 N2 = 3 light beat 2 REM.
    assert demo.majority_vote(np.array([[1], [1], [2], [4], [4]])).tolist() == [1]
    # Tie 2-2-1 is broken by the scorer agreeing best with the others (scorer 0 here).
    base = np.array([0, 1, 2, 3, 4, 0, 2, 2, 3, 4])
    scorings = np.vstack([base, base, base, base, base])
    scorings[:, -1] = [3, 2, 2, 3, -1]  # deep, light, light, deep, not scored -> tie deep/light
    scorings[1, :3] = [4, 4, 4]  # scorer 1 agrees least
    assert demo.majority_vote(scorings)[-1] == 2
    assert demo.majority_vote(np.array([[-1], [-1], [-1], [0], [1]])).tolist() == [-1]


def test_bad_inputs_raise_clear_errors(tmp_path):
    with pytest.raises(ValueError, match=r"AASM codes must lie in -1\.\.4"):
        demo.to_asleep_code(np.array([0, 5]))
    with pytest.raises(ValueError, match="n_scorers, n_epochs"):
        demo.majority_vote(np.array([1, 2, 3]))
    with pytest.raises(FileNotFoundError, match="DOD scorings not found"):
        demo.build_demo(tmp_path, tmp_path / "out")
    assert demo.main(["--source", str(tmp_path), "--out", str(tmp_path / "out")]) == 2


def test_snoring_chain_respects_stages():
    stages = np.array([0, 1, 1, 2, -1, 3, 3, 0, 1])
    snoring = demo.generate_snoring(stages, np.random.default_rng(1), 1.0, 0.0)
    assert snoring.tolist() == [0, 1, 1, 1, -1, 1, 1, 0, 1]
    assert not demo.generate_snoring(stages, np.random.default_rng(1), 0.0, 1.0).any(where=stages != -1)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rebuild_is_byte_identical(tmp_path):
    if not (demo.default_source() / "dodh.json").is_file():
        pytest.skip(f"DOD source not found at {demo.default_source()}")
    summary = demo.build_demo(out=tmp_path)
    built = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert list(summary.files) == built
    committed = sorted(
        str(p.relative_to(DEMO)) for p in DEMO.rglob("*") if p.is_file() and p.name != "README.md"
    )
    assert built == committed
    for name in built:
        assert _digest(tmp_path / name) == _digest(DEMO / name), name
    assert summary.users == {
        "healthy": 25,
        "apnea": 55,
        "panel": 8,
        "edge": 9,
        "validation_healthy": 25,
        "validation_apnea": 55,
    }


def test_analysed_sessions_carry_the_derivable_peculiarities():
    for session_id, data in _sessions().items():
        session = data["session"]
        if data["stat"] is None:
            continue
        derived = stats.derive_peculiarities(
            session["sleep_stages"], _time(session["start_time"]), _time(session["end_time"])
        )
        assert set(derived) <= set(data["peculiarities"]), session_id
        assert set(data["peculiarities"]) - set(derived) <= {"NO_BREATHING_STABILITY"}, session_id


def test_readme_counts_match_the_data():
    text = (DEMO / "README.md").read_text()
    groups = [row["group"] for row in _manifest().values()]
    for group in ("healthy", "apnea", "panel", "edge", "validation_healthy", "validation_apnea"):
        n_sessions = sum(1 for r in _provenance() if r["group"] == group)
        assert f"| `{group}` | {groups.count(group)} | {n_sessions} |" in text, group
    assert f"{len(_manifest())} users and {len(_sessions())} sessions" in text
