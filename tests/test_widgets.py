"""SessionExplorer and CohortExplorer driven by setting ``.value`` on their controls.

Every test talks to the stand-in over a real socket (``standin`` from conftest);
faults are injected with ``fail_next`` / ``drop_next``.
"""

from __future__ import annotations

import base64
import copy
import io
import re
from datetime import UTC, datetime

import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest

from asleep_nb.api.client import Client
from asleep_nb.standin import serve, write_session
from asleep_nb.widgets import CohortExplorer, SessionExplorer
from asleep_nb.widgets._format import duration_label, hmm, local_time, percent, session_label
from asleep_nb.widgets._messages import describe_error, status_html
from asleep_nb.widgets._render import read_users

PNG = b"\x89PNG"


# ------------------------------------------------------------------------------------ helpers
def widget_texts(w: widgets.Widget) -> list[str]:
    """Every piece of text a widget tree shows (values, labels, options, descriptions)."""
    out: list[str] = []
    for name in ("value", "description", "placeholder", "tooltip"):
        value = getattr(w, name, None)
        if isinstance(value, str):
            out.append(value)
    for label in getattr(w, "_options_labels", ()) or ():
        out.append(str(label))
    for option in getattr(w, "options", ()) or ():
        out.append(str(option))
    for child in getattr(w, "children", ()) or ():
        out.extend(widget_texts(child))
    return out


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def status_level(explorer) -> str:
    return re.search(r"asleep-(error|warning|info|ok)", explorer.status.value).group(1)


@pytest.fixture
def server(standin_fresh):
    return standin_fresh


@pytest.fixture
def client(server):
    """No retries: a fault injected once is what the explorer sees."""
    return Client(api_key=server.api_key, base_url=server.url, max_retries=0, timeout=5)


@pytest.fixture
def example(client, standin_ids):
    return SessionExplorer(client, users=[standin_ids.example_user, standin_ids.edge_user], timezone="UTC")


# ------------------------------------------------------------------------------------ formatting
def test_formatting_helpers():
    assert hmm(27660) == "7:41" and hmm(29) == "0:00" and hmm(float("nan")) == "–"
    assert duration_label(27660) == "7h41" and duration_label(None) == "–"
    assert percent(0.875) == "88%" and percent(np.nan) == "–"
    t = np.datetime64("2025-03-30T00:30:00")  # Paris changes to summer time at 01:00Z
    assert local_time(t, "Europe/Paris") == "01:30"
    assert local_time(np.datetime64("2025-03-30T01:30:00"), "Europe/Paris") == "03:30"
    assert local_time(np.datetime64("NaT"), "UTC") == "–"


def test_session_label_in_zone():
    class Summary:
        session_start_time = datetime(2025, 3, 29, 22, 12, tzinfo=UTC)
        time_in_bed = 27660
        state = "COMPLETE"

    assert session_label(Summary, "Europe/Paris") == "Sat 2025-03-29 23:12 · 7h41 · COMPLETE"
    assert session_label(Summary, "Asia/Seoul") == "Sun 2025-03-30 07:12 · 7h41 · COMPLETE"


def test_messages_escape_and_name_unknown_errors():
    assert "&lt;b&gt;" in status_html("<b>", "error") and "asleep-error" in status_html("x", "error")
    assert describe_error(ZeroDivisionError("boom")) == "Unexpected error (ZeroDivisionError): boom"


def test_read_users_from_manifest(tmp_path):
    path = tmp_path / "m.csv"
    pd.DataFrame({"user_id": ["u1", "u2", "u1"], "timezone": ["Asia/Seoul", "", "UTC"]}).to_csv(
        path, index=False
    )
    assert read_users(path) == (["u1", "u2"], {"u1": "Asia/Seoul"})
    with pytest.raises(ValueError, match="user_id"):
        read_users(pd.DataFrame({"id": ["x"]}))
    with pytest.raises(TypeError, match="users must be"):
        read_users(42)


# ------------------------------------------------------------------------------------ SessionExplorer
def test_loads_newest_session_with_figure_table_and_verification(example, standin_ids):
    assert example.user.value == standin_ids.example_user
    assert example.session.value == standin_ids.example_session
    assert status_level(example) == "ok", example.message
    assert bytes(example.image.value).startswith(PNG)
    assert example.dataset.attrs["session_id"] == standin_ids.example_session
    assert example.result.session.id == standin_ids.example_session
    table = text_of(example.table.value)
    assert "1:00" in table  # time in bed 3600 s
    assert "0:18" in table  # time asleep 1080 s
    assert "03:05" in table  # sleep onset 02:50:29 + 900 s, in UTC
    assert re.search(r"\d+%", table)
    details = text_of(example.details.value)
    assert "COMPLETE" in details and "NO_BREATHING_STABILITY" in details
    assert "verified: matches recomputation" in details
    assert isinstance(example.widget, widgets.VBox)
    bundle = example._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == example.widget.model_id


def test_zone_change_refetches_and_changes_table(example, server):
    before_table, before_label = example.table.value, example.session.label
    before_image, before_ds = example.image.value, example.dataset
    example.timezone.value = "Asia/Seoul"
    assert example.dataset is not before_ds
    assert example.dataset.attrs["timezone"] == "Asia/Seoul"
    assert example.table.value != before_table
    assert "12:05" in text_of(example.table.value)  # sleep onset in Seoul
    assert example.session.label.startswith("Wed 2025-01-15 11:50")
    assert example.session.label != before_label
    assert bytes(example.image.value).startswith(PNG) and example.image.value != before_image
    assert status_level(example) == "ok"


def test_user_change_fills_sessions_and_session_change_reloads(example, standin_ids):
    example.user.value = standin_ids.seoul_user
    assert [sid for _, sid in example.session.options] == [
        standin_ids.seoul_late_session,
        standin_ids.seoul_early_session,
    ]
    assert example.dataset.attrs["session_id"] == standin_ids.seoul_late_session
    first_table = example.table.value
    example.session.value = standin_ids.seoul_early_session
    assert example.dataset.attrs["session_id"] == standin_ids.seoul_early_session
    assert example.table.value != first_table
    assert status_level(example) == "ok"


def test_zone_follows_each_user_unless_kept(client, standin_ids):
    manifest = pd.DataFrame(
        {
            "user_id": [standin_ids.example_user, standin_ids.seoul_user, standin_ids.paris_user],
            "group": ["a", "a", "b"],
            "timezone": ["UTC", "Asia/Seoul", "Europe/Paris"],
        }
    )
    explorer = SessionExplorer(client, users=manifest)
    assert explorer.user.options == tuple(manifest["user_id"])
    assert explorer.timezone.value == "UTC" and not explorer.keep_zone.value
    explorer.user.value = standin_ids.seoul_user
    assert explorer.timezone.value == "Asia/Seoul" and explorer.dataset.attrs["timezone"] == "Asia/Seoul"
    explorer.timezone.value = "America/New_York"  # for this user only
    assert explorer.dataset.attrs["timezone"] == "America/New_York"
    explorer.user.value = standin_ids.paris_user  # the next user: their own zone
    assert explorer.timezone.value == "Europe/Paris" and explorer.dataset.attrs["timezone"] == "Europe/Paris"
    assert "Europe/Paris" in explorer.message
    explorer.keep_zone.value = True  # pinned: the zone stays across users
    explorer.timezone.value = "America/New_York"
    explorer.user.value = standin_ids.seoul_user
    assert explorer.timezone.value == "America/New_York"
    assert explorer.dataset.attrs["timezone"] == "America/New_York"


def test_zone_of_a_user_without_manifest_zone_is_where_they_recorded(client, standin_ids):
    """A New York sleeper is shown on New York time after a Seoul sleeper, not on Seoul time."""
    explorer = SessionExplorer(client, users=[standin_ids.seoul_user, standin_ids.newyork_user])
    assert explorer.timezone.value == "Asia/Seoul" and explorer.dataset.attrs["timezone"] == "Asia/Seoul"
    explorer.user.value = standin_ids.newyork_user
    assert explorer.timezone.value == "America/New_York"
    assert explorer.dataset.attrs["timezone"] == "America/New_York"
    table = text_of(explorer.table.value)  # 05:00-12:00 UTC: 00:00-08:00 in New York, 14:00-21:00 in Seoul
    assert "2025-03-09 00:00" in table and "14:00" not in table


def test_pinned_zone_from_the_constructor(client, standin_ids):
    explorer = SessionExplorer(
        client, users=[standin_ids.seoul_user, standin_ids.newyork_user], timezone="UTC"
    )
    assert explorer.keep_zone.value
    explorer.user.value = standin_ids.newyork_user
    assert explorer.timezone.value == "UTC" and explorer.dataset.attrs["timezone"] == "UTC"


def test_part_of_an_id_filters_the_user_list_and_loads_nothing(client, standin_ids):
    users = [standin_ids.example_user, standin_ids.seoul_user, standin_ids.paris_user]
    explorer = SessionExplorer(client, users=users)
    shown, table, image = explorer.dataset, explorer.table.value, explorer.image.value
    explorer.user.value = "Seoul"  # typed, then the box is left
    assert explorer.user.options == (standin_ids.seoul_user,)
    assert status_level(explorer) == "info" and "pick one" in explorer.message
    assert "Invalid identifier" not in explorer.message
    assert explorer.dataset is shown and explorer.table.value == table and explorer.image.value == image
    explorer.user.value = "G-2024"  # two match
    assert explorer.user.options == (standin_ids.seoul_user, standin_ids.paris_user)
    explorer.user.value = "zzz-not-an-id"  # nothing matches: said, the night stays
    assert status_level(explorer) == "error" and "Invalid user id" in explorer.message
    assert explorer.dataset is shown and explorer.user.options == tuple(users)
    explorer.user.value = ""  # emptied: the whole list again
    assert explorer.user.options == tuple(users) and explorer.dataset is shown
    explorer.user.value = standin_ids.seoul_user  # a whole id loads
    assert explorer.dataset.attrs["user_id"] == standin_ids.seoul_user
    assert explorer.user.options == tuple(users)


@pytest.mark.parametrize("which, state", [("open_session", "OPEN"), ("closed_session", "CLOSED")])
def test_unfinished_session_shows_partial_hypnogram_and_no_stat(example, standin_ids, which, state):
    example.user.value = standin_ids.edge_user
    example.session.value = getattr(standin_ids, which)
    assert f"state {state}" in example.message and "not finished" in example.message.lower()
    assert status_level(example) == "warning"
    assert bytes(example.image.value).startswith(PNG)  # the epochs so far
    assert "time_in_sleep" not in example.dataset
    assert "time in sleep" not in example.table.value
    assert state in text_of(example.details.value) and "IN_PROGRESS" in text_of(example.details.value)


def test_invalid_zone_keeps_previous(example):
    ds, table = example.dataset, example.table.value
    example.timezone.value = "Mars/Olympus"
    assert status_level(example) == "error"
    assert "Mars/Olympus" in example.message and "keeping UTC" in example.message
    assert example.timezone.value == "UTC"
    assert example.dataset is ds and example.table.value == table
    example.timezone.value = "Europe/Paris"  # still works
    assert status_level(example) == "ok" and example.dataset.attrs["timezone"] == "Europe/Paris"


def test_unknown_and_malformed_user_ids(example, standin_ids):
    example.user.value = standin_ids.unknown_user
    assert status_level(example) in ("error", "warning")
    assert standin_ids.unknown_user in example.message or "User not found" in example.message
    assert example.session.options == () and example.dataset is None
    assert example.image.value == b""
    example.user.value = "../../etc/passwd"  # not an id, and part of none: said, nothing requested
    assert status_level(example) == "error" and "Invalid user id" in example.message
    example.user.value = standin_ids.example_user  # the controls keep working
    assert status_level(example) == "ok" and example.dataset is not None


@pytest.mark.parametrize(
    "status, detail, expected",
    [
        (404, "Unable to find the sleep session of id 20250115025029_fvivn", "Session not found"),
        (403, "Rate limit exceeded", "Rate limit"),
        (400, "The format of sleep session id x is not valid", "Invalid session id"),
        (500, "Internal Server Error", "Server error"),
    ],
)
def test_api_errors_become_messages(example, server, status, detail, expected):
    server.fail_next(1, status, detail, path_prefix="/data/v3/sessions")
    example.timezone.value = "Asia/Tokyo"  # lists (ok), then fetches the session (fails)
    assert status_level(example) == "error"
    assert expected in example.message and "Traceback" not in example.status.value
    assert example.dataset is None and example.image.value == b""
    example.timezone.value = "UTC"
    assert status_level(example) == "ok" and example.dataset is not None


def test_network_failure_when_listing(example, server, standin_ids):
    server.drop_next(1, path_prefix="/data/v1/sessions")
    example.user.value = standin_ids.edge_user
    assert status_level(example) == "error" and "Network failure" in example.message
    assert example.session.options == ()
    example.user.value = standin_ids.example_user
    assert status_level(example) == "ok"


def test_rate_limit_with_tiny_backoff_client(server, standin_ids):
    client = Client(api_key=server.api_key, base_url=server.url, max_retries=1, backoff_factor=0.001)
    server.fail_next(5, 403, "Rate limit exceeded")
    explorer = SessionExplorer(client, users=[standin_ids.example_user])
    assert "Rate limit" in explorer.message and status_level(explorer) == "error"


@pytest.fixture(scope="module")
def invalid_server(tmp_path_factory, example_webhook):
    """A stand-in holding one TOO_SHORT_FOR_ANALYSIS session (stat null, COMPLETE)."""
    data = copy.deepcopy(example_webhook["data"])
    data["peculiarities"] = ["TOO_SHORT_FOR_ANALYSIS", "NO_BREATHING_STABILITY"]
    data["stat"] = None
    data["session"]["sleep_stages"] = data["session"]["sleep_stages"][:6]
    data["session"]["snoring_stages"] = data["session"]["snoring_stages"][:6]
    data["session"]["end_time"] = "2025-01-15T02:53:29+00:00"
    root = tmp_path_factory.mktemp("invalid")
    write_session(root, data)
    with serve(root) as srv:
        yield srv, data["user_id"]


def test_invalid_session_says_so(invalid_server):
    srv, user_id = invalid_server
    explorer = SessionExplorer(Client(api_key=srv.api_key, base_url=srv.url), users=[user_id])
    assert status_level(explorer) == "warning"
    assert "Invalid session" in explorer.message and "TOO_SHORT_FOR_ANALYSIS" in explorer.message
    assert bytes(explorer.image.value).startswith(PNG)
    assert "nothing to verify" in explorer.details.value


def test_api_key_never_shown(example, server, standin_ids):
    for step in (
        lambda: server.fail_next(1, 401, "Unauthorized"),
        lambda: setattr(example.user, "value", standin_ids.seoul_user),
        lambda: setattr(example.timezone, "value", "Bogus/Zone"),
        lambda: server.drop_next(1),
        lambda: setattr(example.user, "value", standin_ids.example_user),
    ):
        step()
        texts = [*widget_texts(example.widget), example.message, repr(example)]
        assert not any(server.api_key in t for t in texts)


def test_no_traceback_on_a_bug(example, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the figure")

    monkeypatch.setattr(type(example), "_hypnogram_figure", broken)
    example.timezone.value = "Asia/Seoul"
    assert status_level(example) == "error" and "a bug in the figure" in example.message
    assert "time in bed" in example.table.value  # the rest still shows


def test_timezone_argument_is_validated(client):
    from asleep_nb.errors import InvalidTimezone

    with pytest.raises(InvalidTimezone):
        SessionExplorer(client, users=[], timezone="Nowhere/Land")


def test_no_users_waits_for_a_typed_id(client, standin_ids):
    explorer = SessionExplorer(client, users=[])
    assert status_level(explorer) == "info" and explorer.dataset is None
    explorer.user.value = standin_ids.paris_user
    assert explorer.dataset.attrs["session_id"] == standin_ids.paris_session


# ------------------------------------------------------------------------------------ CohortExplorer
@pytest.fixture
def manifest(standin_ids):
    return pd.DataFrame(
        {
            "user_id": [
                standin_ids.example_user,
                standin_ids.seoul_user,
                standin_ids.paris_user,
                standin_ids.newyork_user,
            ],
            "group": ["a", "a", "b", "b"],
            "timezone": ["UTC", "Asia/Seoul", "Europe/Paris", "America/New_York"],
        }
    )


def test_cohort_explorer_from_a_cohort(client, manifest):
    from asleep_nb.loading.load import load_cohort

    cohort = load_cohort(client, manifest)
    explorer = CohortExplorer(cohort)
    assert explorer.align.value == "onset" and explorer.metric.value == "time_in_sleep"
    assert "group" in [value for _, value in explorer.by.options] and explorer.by.value == "group"
    assert status_level(explorer) == "ok", explorer.message
    assert bytes(explorer.metric_image.value).startswith(PNG) and bytes(
        explorer.hypnodensity_image.value
    ).startswith(PNG)
    assert isinstance(explorer.numbers, pd.DataFrame)
    table, metric_png = explorer.table.value, explorer.metric_image.value
    density_png = explorer.hypnodensity_image.value
    explorer.metric.value = "sleep_efficiency"
    assert explorer.table.value != table and explorer.metric_image.value != metric_png
    assert explorer.hypnodensity_image.value == density_png  # not redrawn for a metric change
    explorer.by.value = "timezone"
    assert explorer.hypnodensity_image.value != density_png
    by_zone = explorer.hypnodensity_image.value
    explorer.align.value = "clock"  # the figure realigns a given cohort by itself
    assert explorer.hypnodensity_image.value != by_zone and "clock" in explorer.message
    assert status_level(explorer) in ("ok", "warning"), explorer.message
    assert "time_in_sleep" in explorer.metric.options and "sleep_time" not in explorer.metric.options


def test_cohort_explorer_realigns_from_client_and_manifest(client, server, manifest):
    explorer = CohortExplorer(client=client, manifest=manifest, align="clock")
    assert explorer.align.value == "clock" and explorer.cohort.attrs["alignment"] == "clock"
    density = explorer.hypnodensity_image.value
    explorer.align.value = "onset"
    assert explorer.cohort.attrs["alignment"] == "onset"
    assert explorer.hypnodensity_image.value != density
    server.drop_next(1000)  # the network is gone: nothing can be listed or fetched
    explorer.align.value = "clock"
    server.clear_faults()
    assert status_level(explorer) == "error" and "Network failure" in explorer.message
    assert explorer.align.value == "onset" and explorer.cohort.attrs["alignment"] == "onset"
    assert not any(server.api_key in t for t in widget_texts(explorer.widget))


def test_cohort_explorer_says_which_sessions_a_partial_failure_left_out(client, server, manifest):
    explorer = CohortExplorer(client=client, manifest=manifest, align="onset")
    n = explorer.cohort.sizes["session"]
    server.drop_next(1)  # one manifest row cannot be listed; the others arrive
    explorer.align.value = "clock"
    assert explorer.cohort.attrs["alignment"] == "clock" and explorer.cohort.sizes["session"] < n
    assert status_level(explorer) == "warning" and "could not be fetched" in explorer.message
    assert not any(server.api_key in t for t in widget_texts(explorer.widget))


# ------------------------------------------------------------------------------------ the demo cohort
@pytest.fixture(scope="module")
def demo_cohort(asleep_standin):
    """The whole demo manifest (study, panel and the contract's edge cases), aligned on onset."""
    from asleep_nb.errors import UnanalysableSessionWarning
    from asleep_nb.loading.load import load_cohort

    client = Client(api_key=asleep_standin.api_key, base_url=asleep_standin.url)
    with pytest.warns(UnanalysableSessionWarning, match="5 of 284 sessions cannot be analysed"):
        return load_cohort(client, asleep_standin.data_dir / "manifest.csv", align="onset")


def _values(control) -> list:
    return [o[1] if isinstance(o, tuple) else o for o in control.options]


@pytest.mark.slow
def test_every_option_of_every_control_draws_on_the_demo(demo_cohort):
    """Click through every option of every control: no error, both figures drawn, one count everywhere."""
    from asleep_nb.widgets._themed import AUTO_CLASS

    explorer = CohortExplorer(demo_cohort)
    assert AUTO_CLASS in explorer.widget._dom_classes
    seen = []
    for control in (explorer.by, explorer.align, explorer.metric):
        first = control.value
        for value in _values(control):
            control.value = value
            seen.append((control.description, value))
            assert status_level(explorer) in ("ok", "warning"), (control.description, value, explorer.message)
            assert "Unexpected" not in explorer.message
            for image in (explorer.metric_image, explorer.metric_image_dark):
                assert bytes(image.value).startswith(PNG), (control.description, value)
            for image in (explorer.hypnodensity_image, explorer.hypnodensity_image_dark):
                assert bytes(image.value).startswith(PNG), (control.description, value)
            # one rule: the numbers count exactly the users and nights every panel shows
            shown = explorer.shown.cohort
            groups = explorer.numbers.loc[[not str(i).count(" - ") for i in explorer.numbers.index]]
            assert int(groups["n_nights"].sum()) == shown.sizes["session"]
            users = len(set(shown["user_id"].values.tolist()))
            assert f"{shown.sizes['session']} nights of {users} users" in explorer.message
        control.value = first
    assert ("Group by", "two_stage") in seen and ("Group by", "user_id") in seen and len(seen) > 30


def test_a_grouping_with_too_many_values_is_summarised_with_a_message(demo_cohort):
    from asleep_nb.stats.sample import analysis_set
    from asleep_nb.widgets.cohort_explorer import MAX_GROUPS

    explorer = CohortExplorer(demo_cohort)
    label = dict((v, k) for k, v in explorer.by.options)["user_id"]
    compared = demo_cohort["user_id"].values[analysis_set(demo_cohort).mask]
    # the picker says so before it is picked, counting the users of the nights compared
    assert f"{len(set(compared.tolist()))} values: summarised" in label
    explorer.by.value = "user_id"
    assert status_level(explorer) == "warning"
    assert f"more than the {MAX_GROUPS} groups" in explorer.message and "'all nights'" in explorer.message
    assert explorer.numbers.index.tolist() == ["all nights"]
    assert bytes(explorer.hypnodensity_image.value).startswith(PNG)
    explorer.by.value = "group"  # a readable grouping draws its groups again
    assert len(explorer.numbers.index) > 1 and status_level(explorer) == "ok"


def test_left_out_nights_are_said_once_and_counted_alike_on_onset_and_clock(demo_cohort):
    from asleep_nb.stats.sample import analysis_set

    explorer = CohortExplorer(demo_cohort)
    left_out = analysis_set(demo_cohort).describe()
    assert left_out.startswith("Left out 9 of ") and left_out in explorer.message
    assert "not finished (OPEN or CLOSED)" in explorer.message and "never slept" in explorer.message
    onset = explorer.numbers.copy()
    explorer.align.value = "clock"
    assert explorer.numbers.equals(onset) and left_out in explorer.message
    edge = explorer.shown.cohort.isel(session=explorer.shown.cohort["group"].values == "edge")
    assert int(onset.loc["edge", "n_nights"]) == edge.sizes["session"]


def test_background_redraws_say_working_at_once_and_keep_only_the_newest(demo_cohort):
    explorer = CohortExplorer(demo_cohort, background=True)
    explorer.by.value = "timezone"
    assert "Working" in explorer.message  # at once, before the work
    explorer.metric.value = "sleep_efficiency"  # superseding clicks, while the first still runs
    explorer.by.value = "group"
    assert explorer.wait(120)
    assert status_level(explorer) == "ok", explorer.message
    assert explorer.message.startswith("sleep efficiency by group")
    assert explorer.numbers.attrs["name"] == "sleep_efficiency" and "edge" in explorer.numbers.index


def test_latest_only_drops_superseded_jobs():
    import threading

    from asleep_nb.widgets._worker import LatestOnly

    started, gate, ran, stopped = threading.Event(), threading.Event(), [], []
    worker = LatestOnly(background=True)

    def slow(stale):
        started.set()
        gate.wait(10)
        ran.append("slow")
        stopped.append(stale())

    worker.submit(slow)
    assert started.wait(10)  # running, not waiting: it cannot be replaced, only told it is stale
    for name in ("b", "c", "d"):
        worker.submit(lambda stale, name=name: ran.append(name))
    gate.set()
    assert worker.wait(10)
    assert ran == ["slow", "d"] and stopped == [True]  # b and c never ran; slow knew it was stale


def test_theme_dark_draws_one_transparent_variant_and_status_colours_are_theme_variables(client, manifest):
    from PIL import Image

    from asleep_nb.loading.load import load_cohort

    explorer = CohortExplorer(load_cohort(client, manifest), theme="dark")
    assert explorer.metric_image.value == b"" and bytes(explorer.metric_image_dark.value).startswith(PNG)
    image = Image.open(io.BytesIO(bytes(explorer.metric_image_dark.value))).convert("RGBA")
    assert image.getpixel((0, 0))[3] == 0  # transparent: the page's own background shows
    assert "var(--jp-success-color1" in explorer.status.value
    with pytest.raises(ValueError, match="theme"):
        CohortExplorer(explorer.cohort, theme="sepia")


def test_explorers_display_a_still_image_beside_the_live_widget(example, client, manifest):
    from asleep_nb.loading.load import load_cohort

    for explorer, name in (
        (example, "SessionExplorer("),
        (CohortExplorer(load_cohort(client, manifest)), "Cohort"),
    ):
        bundle = explorer._repr_mimebundle_()
        assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
        assert base64.b64decode(bundle["image/png"]).startswith(PNG)
        assert bundle["text/plain"].startswith(name) and "VBox" not in bundle["text/plain"]
