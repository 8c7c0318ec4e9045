"""A study run day by day on the stand-in: release schedule, incremental sync, adherence, status, calendar.

The demo panel's nights are released one morning at a time (``serve(today=...)``); the
fortnight of March 2025 holds two New York participants (one uploads late twice, one stops
after night 9) and two Paris participants (one records two too-short nights, one has nights
OPEN then CLOSED before COMPLETE and misses a night), with the New York (9 March) and the
Paris (30 March) daylight-saving changes inside their fortnights.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

import asleep_nb
from asleep_nb.cli import main
from asleep_nb.definitions.adherence import NIGHT_STATUSES, AdherenceRules
from asleep_nb.errors import ArchiveCorrupt, ManifestError
from asleep_nb.loading import sessions_frame, sync
from asleep_nb.loading.archive import Archive, open_archive
from asleep_nb.loading.sync_state import SYNC_STATE_NAME, read_sync_state
from asleep_nb.resources import demo_data_dir
from asleep_nb.standin import serve
from asleep_nb.standin.release import DEMO_PLAN, Release

DAILY = demo_data_dir() / "daily.csv"
PEOPLE = list(csv.DictReader(DAILY.open()))
SEOUL_JAN = "G-20250106094409-kOivlPYvmUVcsfwjlHon"
NY_LATE = "G-20250207193655-QeGwOTZLLodabqHgdhvI"  # panel position 1: nights 4 and 9 a day late
NY_STOPS = "G-20250130111305-FrOogPcdJfxyLSdujxOw"  # position 2: nothing after night 9
PARIS_SHORT = "G-20250303132015-DKXWFGjqDPFjbjMcrqIO"  # position 3: nights 6 and 7 too short
PARIS_SLOW = "G-20250320033407-xxFThgBztyeJNgBRsmUJ"  # position 4: night 5 OPEN, CLOSED; 8 CLOSED; 10 missing
FIRST_DAY, LAST_DAY = date(2025, 2, 28), date(2025, 4, 9)
SNAPSHOT_DAY = date(2025, 3, 30)  # the archive as it stood that morning is kept, for the status command


def _listed(srv, user_id: str, zone: str) -> dict[str, str]:
    """Every session the server lists for a user today, with its state (raw HTTP, all pages)."""
    out: dict[str, str] = {}
    offset = 0
    while True:
        r = requests.get(
            f"{srv.url}/data/v1/sessions",
            params={"order_by": "ASC", "offset": offset, "limit": 100},
            headers={"x-api-key": srv.api_key, "x-user-id": user_id, "timezone": zone},
            timeout=10,
        )
        page = r.json()["result"]["sleep_session_list"]
        out.update({s["session_id"]: s["state"] for s in page})
        if len(page) < 100:
            return out
        offset += 100


def _session_gets(srv) -> Counter[str]:
    return Counter(p.rsplit("/", 1)[1] for m, p in srv.requests if p.startswith("/data/v3/sessions/"))


@pytest.fixture(scope="module")
def fortnight(tmp_path_factory):
    """Sync every morning from 28 February to 9 April 2025; what each morning left behind."""
    archive_dir = tmp_path_factory.mktemp("daily") / "archive"
    days: dict[date, dict[str, object]] = {}
    with serve(today=FIRST_DAY) as srv:
        client = asleep_nb.Client(api_key=srv.api_key, base_url=srv.url)
        today = FIRST_DAY
        while today <= LAST_DAY:
            srv.reset_counts()
            result = sync(client, DAILY, archive_dir, today=today)
            gets = _session_gets(srv)
            srv.reset_counts()
            again = sync(client, DAILY, archive_dir, today=today)  # cron ran twice
            archive = open_archive(archive_dir)
            released = {}
            for person in PEOPLE:
                listed = _listed(srv, person["user_id"], person["timezone"])
                released.update(listed)
            days[today] = {
                "result": result,
                "again": again,
                "again_gets": _session_gets(srv),
                "gets": gets,
                "archived": {e.session_id: e.state for e in archive.entries()},
                "released": released,
                "adherence": asleep_nb.stats.adherence(archive, DAILY, today=today),
                "nights": asleep_nb.stats.night_table(archive, DAILY, today=today),
            }
            if today == SNAPSHOT_DAY:
                shutil.copytree(archive_dir, archive_dir.parent / "snapshot")
            today = srv.advance()
    return archive_dir, days


def test_the_archive_holds_exactly_the_nights_released_so_far(fortnight):
    _, days = fortnight
    for today, day in days.items():
        assert day["archived"] == day["released"], today  # same sessions, same states
    assert len(days[LAST_DAY]["archived"]) == 14 + 14 + 9 + 14 + 13  # NY_STOPS stopped, PARIS_SLOW missed one


def test_nothing_is_fetched_twice_but_sessions_still_processing(fortnight):
    _, days = fortnight
    total: Counter[str] = Counter()
    for day in days.values():
        total.update(day["gets"])
        assert set(day["again_gets"]) == {s for s, state in day["archived"].items() if state != "COMPLETE"}
        assert day["again"].new == 0 and day["again"].completed == 0
    slow = sorted(s for s, state in days[LAST_DAY]["archived"].items() if s in _sessions(PARIS_SLOW))
    polled = {slow[4]: 3, slow[7]: 2}  # night 5: OPEN, CLOSED, COMPLETE; night 8: CLOSED, COMPLETE
    assert DEMO_PLAN[4][5] == Release(processing=("OPEN", "CLOSED"))
    assert {s: n for s, n in total.items() if n != 1} == polled
    assert set(total) == set(days[LAST_DAY]["archived"])


def _sessions(user_id: str) -> set[str]:
    return {
        r["session_id"]
        for r in csv.DictReader((demo_data_dir() / "panel.csv").open())
        if r["user_id"] == user_id
    }


def test_open_sessions_become_complete_in_the_archive(fortnight):
    _, days = fortnight
    night5 = sorted(_sessions(PARIS_SLOW))[4]  # night of 28 March
    states = [days[date(2025, 3, d)]["archived"].get(night5) for d in (28, 29, 30, 31)]
    assert states == [None, "OPEN", "CLOSED", "COMPLETE"]
    summaries = {d: days[date(2025, 3, d)]["result"] for d in (29, 30, 31)}
    assert summaries[30].completed == 0 and summaries[31].completed == 1
    assert summaries[29].processing == 1 and summaries[31].processing == 0
    late = sorted(_sessions(NY_LATE))[3]  # night 4 (4 March in New York), uploaded a day late
    assert late not in days[date(2025, 3, 5)]["archived"] and late in days[date(2025, 3, 6)]["archived"]


def test_sync_marks_record_each_participant(fortnight):
    archive_dir, _ = fortnight
    marks = read_sync_state(archive_dir)
    assert set(marks) == {p["user_id"] for p in PEOPLE}
    assert {m.today for m in marks.values()} == {LAST_DAY.isoformat()}
    assert (
        marks[PARIS_SHORT].last_start_date == "2025-04-04" and marks[PARIS_SHORT].timezone == "Europe/Paris"
    )


# hand count on the morning of 30 March 2025 (last night: 29 March, the Paris clock change),
# window 7 nights; every recorded COMPLETE night of these users has little no signal
HAND_COUNT = {
    # user: enrolment, nights_in_window, recorded, valid, last_night, missed_in_a_row, processing, invalid
    SEOUL_JAN: ("ended", 7, 7, 7, "2025-02-02", 0, 0, 0),  # 27 Jan - 2 Feb
    PARIS_SHORT: ("in study", 7, 7, 5, "2025-03-29", 0, 0, 2),  # 23-29 Mar; 27 and 28 too short
    NY_LATE: ("ended", 7, 7, 7, "2025-03-14", 0, 0, 0),  # 8-14 Mar, across the NY change
    "G-20250504180424-ZhknmJKUyyomEjFAlOyj": ("not started", 0, 0, 0, None, 0, 0, 0),
    PARIS_SLOW: ("in study", 6, 6, 5, "2025-03-29", 0, 1, 0),  # 24-29 Mar; 28 CLOSED
    NY_STOPS: ("ended", 7, 2, 2, "2025-03-11", 5, 0, 0),  # 10-16 Mar; stopped after 11
    "G-20250829053202-lIQjBtaVIqnOBfScRSAY": ("not started", 0, 0, 0, None, 0, 0, 0),
    "G-20250916133436-waRyskqQZlArExQYbgQv": ("not started", 0, 0, 0, None, 0, 0, 0),
}
HAND_REASONS = {
    PARIS_SHORT: "2 invalid nights in the last 7 (too short for analysis x2)",
    NY_STOPS: "5 nights missed in a row",
}


def test_adherence_equals_a_hand_count_across_zones_and_a_dst_change(fortnight):
    _, days = fortnight
    table = days[date(2025, 3, 30)]["adherence"]
    assert table["user_id"].tolist() == [p["user_id"] for p in PEOPLE]
    cols = ["enrolment", "nights_in_window", "nights_recorded", "nights_valid", "last_night",
            "missed_in_a_row", "processing", "invalid"]  # fmt: skip
    for row in table.itertuples():
        got = tuple(getattr(row, c) for c in cols)
        got = (*got[:4], got[4].isoformat() if got[4] else None, *got[5:])
        assert got == HAND_COUNT[row.user_id], row.user_id
        assert row.reason == HAND_REASONS.get(row.user_id, "") and row.needs_contact == (
            row.user_id in HAND_REASONS
        )
    assert table.set_index("user_id").loc[PARIS_SHORT, "too_short_for_analysis"] == 2


def test_mean_no_signal_share_against_the_stage_arrays(fortnight):
    archive_dir, days = fortnight
    archive = open_archive(archive_dir)
    shares = []
    for entry in archive.entries():
        if entry.user_id == NY_LATE:
            stages = archive.read_payload(entry.session_id, entry.timezone)["session"]["sleep_stages"]
            start = pd.Timestamp(
                archive.read_payload(entry.session_id, entry.timezone)["session"]["start_time"]
            )
            night = (start.tz_localize(None) - pd.Timedelta(hours=12)).date()
            if date(2025, 3, 8) <= night <= date(2025, 3, 14):
                shares.append(stages.count(-1) / len(stages))
    assert len(shares) == 7
    got = days[date(2025, 3, 30)]["adherence"].set_index("user_id").loc[NY_LATE, "mean_no_signal_share"]
    assert got == pytest.approx(np.mean(shares), rel=1e-12)


def test_adherence_from_the_archive_equals_adherence_from_its_cohort(fortnight):
    archive_dir, _ = fortnight
    archive = open_archive(archive_dir)
    from_archive = asleep_nb.stats.adherence(archive, DAILY, today=date(2025, 4, 2))
    from_cohort = asleep_nb.stats.adherence(archive.to_cohort(), DAILY, today=date(2025, 4, 2))
    pd.testing.assert_frame_equal(from_archive, from_cohort)
    frame = sessions_frame(archive)
    pd.testing.assert_frame_equal(
        asleep_nb.stats.adherence(frame, DAILY, today=date(2025, 4, 2)), from_archive
    )


def test_rules_are_configurable(fortnight):
    archive_dir, _ = fortnight
    lenient = AdherenceRules(max_missed_in_a_row=6, max_invalid=3)
    table = asleep_nb.stats.adherence(
        open_archive(archive_dir), DAILY, today=date(2025, 3, 30), rules=lenient
    )
    assert not table["needs_contact"].any()
    strict = AdherenceRules(max_no_signal_share=0.0)
    table = asleep_nb.stats.adherence(open_archive(archive_dir), DAILY, today=date(2025, 3, 30), rules=strict)
    assert "no signal in" in table.set_index("user_id").loc[PARIS_SHORT, "reason"]


def test_night_table_and_calendar(fortnight):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.colors import to_hex

    _, days = fortnight
    nights = days[date(2025, 3, 30)]["nights"]  # as the archive stood that morning
    mine = nights[nights.user_id == PARIS_SLOW].set_index("night")["status"]
    assert mine[date(2025, 3, 28)] == "processing" and mine[date(2025, 3, 29)] == "valid"
    short = nights[nights.user_id == PARIS_SHORT].set_index("night")["status"]
    assert short[date(2025, 3, 27)] == short[date(2025, 3, 28)] == "invalid"
    ax = asleep_nb.plot.adherence_calendar(nights, last=14)
    image = ax.get_images()[0]
    colours = {to_hex(c) for c in image.cmap(image.norm(np.unique(image.get_array())))}
    assert {NIGHT_STATUSES[s].color.lower() for s in ("valid", "invalid", "processing", "missing")} <= colours
    marks = [c for c in ax.collections if c.get_gid() == "clock-change"]
    assert len(marks[0].get_offsets()) == 2  # the Paris change night of the two Paris participants
    ax.figure.savefig("/tmp/calendar26.png", dpi=110, bbox_inches="tight")


def test_status_cli_csv_and_json(fortnight, capsys):
    archive_dir, _ = fortnight
    snapshot = str(archive_dir.parent / "snapshot")
    args = ["status", "--manifest", str(DAILY), "--archive", snapshot, "--today", "2025-03-30"]
    assert main([*args, "--format", "csv"]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert [r["user_id"] for r in rows[:2]] == [PARIS_SHORT, NY_STOPS]  # flagged first, manifest order
    assert len(rows) == len(PEOPLE)
    assert {
        "user_id",
        "nights_recorded",
        "last_night",
        "missed_in_a_row",
        "processing",
        "needs_contact",
        "reason",
    } <= set(rows[0])
    by = {r["user_id"]: r for r in rows}
    assert by[PARIS_SLOW]["processing"] == "1" and by[PARIS_SLOW]["needs_contact"] == "false"
    assert by[NY_STOPS]["needs_contact"] == "true" and by[NY_STOPS]["last_night"] == "2025-03-11"
    assert main([*args, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["user_id"] == PARIS_SHORT and records[-1]["last_night"] is None
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.index(PARIS_SHORT[-8:]) < out.index(SEOUL_JAN[-8:])


# -- errors -----------------------------------------------------------------------------------------
def test_a_manifest_without_zones_is_refused_where_nights_are_local(fortnight, tmp_path, capsys):
    archive_dir, _ = fortnight
    manifest = tmp_path / "nozone.csv"
    manifest.write_text(f"user_id,group\n{NY_LATE},panel\n{PARIS_SHORT},panel\n")
    with pytest.raises(ManifestError, match="row 1: timezone is empty"):
        asleep_nb.stats.adherence(open_archive(archive_dir), manifest, today=date(2025, 3, 30))
    assert main(["status", "--manifest", str(manifest), "--archive", str(archive_dir)]) == 2
    assert "nozone.csv, line 2: timezone is empty" in capsys.readouterr().err


def test_sync_refuses_session_rows_and_reports_unknown_users(tmp_path, capsys, monkeypatch):
    with pytest.raises(ManifestError, match="row 1: names session"):
        sync(None, demo_data_dir() / "panel.csv", tmp_path / "a")  # type: ignore[arg-type]
    manifest = tmp_path / "study.csv"
    manifest.write_text(f"user_id,group,timezone\n{SEOUL_JAN},panel,Asia/Seoul\nG-not-an-id,panel,UTC\n")
    with serve(today=date(2025, 2, 10)) as srv:
        monkeypatch.setenv("ASLEEP_API_KEY", srv.api_key)
        argv = ["sync", "--manifest", str(manifest), "--archive", str(tmp_path / "a"), "--base-url", srv.url]
        assert main([*argv, "--no-progress"]) == 2  # an invalid id is bad input; the other row still synced
        out = capsys.readouterr().out
        assert out.startswith("sync: new 14, completed 0, still processing 0, failed 1 (2 participants)")
        assert "study.csv, line 3" in out and "InvalidIdentifier" in out
        assert set(read_sync_state(tmp_path / "a")) == {SEOUL_JAN}  # not marked: its listing failed
        bad = tmp_path / "bad.csv"
        bad.write_text(
            f"user_id,group,timezone\n{SEOUL_JAN},panel,Asia/Seoul\n{SEOUL_JAN},panel,Asia/Seoul\n"
        )
        assert (
            main(["sync", "--manifest", str(bad), "--archive", str(tmp_path / "b"), "--base-url", srv.url])
            == 2
        )
        assert "bad.csv, line 3: user" in capsys.readouterr().err


def test_status_without_an_archive_and_a_corrupt_sync_state(tmp_path, capsys):
    assert main(["status", "--manifest", str(DAILY), "--archive", str(tmp_path / "none")]) == 2
    assert "no archive folder" in capsys.readouterr().err
    Archive(tmp_path / "a")
    (tmp_path / "a" / SYNC_STATE_NAME).write_text("[1, 2]")
    with pytest.raises(ArchiveCorrupt, match="not a sync state"):
        read_sync_state(tmp_path / "a")
    with pytest.raises(TypeError, match="open the archive first"):
        asleep_nb.stats.adherence(str(tmp_path / "a"), DAILY)


# -- the stand-in's release schedule ------------------------------------------------------------------
def test_the_standin_hides_what_is_not_uploaded_yet():
    night10 = sorted(_sessions(NY_STOPS))[9]
    night1 = sorted(_sessions(NY_STOPS))[0]
    with serve(today=date(2025, 3, 3)) as srv:
        headers = {"x-api-key": srv.api_key, "x-user-id": NY_STOPS}
        get = lambda s: requests.get(f"{srv.url}/data/v3/sessions/{s}", headers=headers, timeout=10)  # noqa: E731
        assert get(night1).status_code == 404  # night of 3 March: uploaded on the 4th
        assert srv.advance() == date(2025, 3, 4) and get(night1).status_code == 200
        srv.set_today(date(2025, 12, 31))
        assert get(night10).status_code == 404  # never recorded
        user = requests.get(f"{srv.url}/ai/v1/users/{NY_STOPS}", headers=headers, timeout=10).json()["result"]
        assert user["last_session_info"]["session_id"] == sorted(_sessions(NY_STOPS))[8]  # night 9, its last
        srv.set_today(None)
        assert get(night10).status_code == 200  # without a today: every session as stored
        assert "today" not in repr(srv)


def test_serve_cli_parses_today():
    from asleep_nb.cli import build_parser

    assert build_parser().parse_args(["serve", "--today", "2025-03-30"]).today == date(2025, 3, 30)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--today", "30/03/2025"])


def test_daily_manifest_matches_the_panel():
    panel = pd.read_csv(demo_data_dir() / "sessions.csv")
    panel = panel[panel.group == "panel"]
    for person in PEOPLE:
        starts = pd.to_datetime(panel[panel.user_id == person["user_id"]].start_time_utc, utc=True)
        local = starts.dt.tz_convert(person["timezone"]).dt.tz_localize(None) - pd.Timedelta(hours=12)
        assert str(local.min().date()) == person["date_gte"] and str(local.max().date()) == person["date_lte"]
        assert (local.max().date() - local.min().date()).days == 13 and len(local) == 14
    assert Path(DAILY).read_text().count("\n") == 9


# -- the study report -------------------------------------------------------------------------------
def test_report_has_no_adherence_section_without_a_synced_archive(fortnight, tmp_path):
    from asleep_nb.report import ReportParameters, load_report_data
    from asleep_nb.report.adherence import adherence_view

    archive_dir, _ = fortnight
    assert adherence_view(ReportParameters(), load_report_data(ReportParameters())) is None  # the demo
    unsynced = tmp_path / "unsynced"
    shutil.copytree(archive_dir, unsynced)
    (unsynced / SYNC_STATE_NAME).unlink()
    params = ReportParameters(archive=str(unsynced), manifest=str(DAILY), allow_missing=True)
    assert adherence_view(params, load_report_data(params)) is None


@pytest.mark.slow
def test_report_shows_adherence_of_a_synced_archive(fortnight, tmp_path, monkeypatch):
    from bs4 import BeautifulSoup

    for var in ("JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        (tmp_path / var).mkdir()
        monkeypatch.setenv(var, str(tmp_path / var))
    archive_dir, _ = fortnight
    snapshot = str(archive_dir.parent / "snapshot")  # synced on the morning of 30 March
    out = tmp_path / "report.html"
    argv = ["report", "--allow-missing", "--archive", snapshot, "--manifest", str(DAILY), "--out", str(out)]
    assert main(argv) == 0
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    assert [h.get_text(strip=True).rstrip("¶") for h in soup.find_all("h2")][:3] == [
        "Cohort",
        "Data quality",
        "Adherence",
    ]
    assert (
        "As of the morning of 2025-03-30 (the last sync): 8 participants, 2 needing contact"
        in soup.get_text()
    )
    caption = soup.find("b", string="Participants, those needing contact first")
    rows = [
        [c.get_text(strip=True) for c in tr.find_all(["th", "td"])]
        for tr in caption.find_next("table").find_all("tr")
    ]
    assert len(caption.find_next("table").find("thead").find_all("tr")) == 1  # one header row
    body = {r[0]: r[1:] for r in rows[1:]}
    assert list(body)[:2] == [PARIS_SHORT, NY_STOPS]
    assert (
        body[PARIS_SLOW][:5] == ["in study", "6 of 6", "5", "2025-03-29", "0"] and body[PARIS_SLOW][5] == "1"
    )
    assert body[NY_STOPS][-1] == "5 nights missed in a row"
    calendar = soup.find_all("img")[0]
    assert calendar["alt"].startswith("Calendar of the last") and "8" in calendar["alt"]


# -- late uploads and failures: what the next run lists again ---------------------------------------
def _seoul_only() -> pd.DataFrame:
    return pd.DataFrame(
        {"user_id": [SEOUL_JAN], "group": ["panel"], "timezone": ["Asia/Seoul"], "date_gte": ["2025-01-20"]}
    )


@pytest.mark.parametrize(("overlap_days", "caught"), [(1, True), (0, False)])
def test_the_overlap_catches_an_upload_later_than_the_next_night(tmp_path, overlap_days, caught):
    from datetime import timedelta

    from asleep_nb.standin.release import ReleaseSchedule
    from asleep_nb.standin.store import load

    store = load(demo_data_dir())
    night3 = sorted(_sessions(SEOUL_JAN))[2]  # night of 22 January in Seoul, uploaded three days later
    schedule = ReleaseSchedule(store, {night3: Release(upload_delay=3)})
    with serve(today=date(2025, 1, 21), schedule=schedule) as srv:
        client = asleep_nb.Client(api_key=srv.api_key, base_url=srv.url)
        while srv.today <= date(2025, 1, 27):
            sync(client, _seoul_only(), tmp_path / "a", today=srv.today, overlap=timedelta(days=overlap_days))
            srv.advance()
    archived = {e.session_id for e in open_archive(tmp_path / "a").entries()}
    assert len(archived) == 6 + caught and (night3 in archived) == caught


def test_a_session_that_failed_is_listed_and_fetched_again_next_run(tmp_path):
    night2 = sorted(_sessions(SEOUL_JAN))[1]
    with serve(today=date(2025, 1, 27)) as srv:
        client = asleep_nb.Client(api_key=srv.api_key, base_url=srv.url)
        srv.fail_next(
            1,
            404,
            f"Unable to find the sleep session of id {night2}",
            path_prefix=f"/data/v3/sessions/{night2}",
        )
        first = sync(client, _seoul_only(), tmp_path / "a", today=srv.today)
        assert (first.new, len(first.failed), first.failed[0][0].row) == (6, 1, 1)
        assert read_sync_state(tmp_path / "a")[SEOUL_JAN].last_start_date is None  # nothing to advance from
        srv.advance()
        srv.reset_counts()
        second = sync(client, _seoul_only(), tmp_path / "a", today=srv.today)
        assert (second.new, second.failed, second.unchanged) == (2, [], 6)  # night 2 and night 8
        assert sorted(_session_gets(srv)) == sorted([night2, sorted(_sessions(SEOUL_JAN))[7]])
    assert len(open_archive(tmp_path / "a")) == 8
