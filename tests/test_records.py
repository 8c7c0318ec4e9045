"""Records: the published example field by field, validation errors and warnings."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import warnings
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from asleep_nb import definitions as schema
from asleep_nb.api.records import (
    AverageStats,
    Peculiarity,
    Session,
    SessionResult,
    SessionState,
    SessionSummary,
    Stat,
    User,
)
from asleep_nb.errors import PayloadError, PayloadWarning

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "published_example.json"
USER = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def body() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


@pytest.fixture
def result(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body["data"].items() if k != "user_id"}


def parse_quietly(result: dict[str, Any]) -> SessionResult:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the example itself must not warn
        return SessionResult.from_payload(result)


# ----------------------------------------------------------------------------- published example


def test_published_example_field_by_field(body: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = SessionResult.from_webhook(body)
    assert r.user_id == USER
    assert r.timezone == "UTC"
    assert r.peculiarities == (Peculiarity.NO_BREATHING_STABILITY,)
    assert r.missing_data_ratio == 0.0
    assert r.state is SessionState.COMPLETE
    assert r.is_valid and not r.is_two_stage

    s = r.session
    assert s.id == "20250115025029_fvivn"
    assert s.state is SessionState.COMPLETE
    assert s.start_time == datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC)
    assert s.end_time == datetime(2025, 1, 15, 3, 50, 29, tzinfo=UTC)
    assert s.start_time.utcoffset() == timedelta(0)
    assert s.unexpected_end_time is None
    assert s.created_timezone == "UTC"
    expected = np.array([0] * 30 + [1] * 18 + [0] * 6 + [1] * 18 + [0] * 48, dtype=np.int8)
    assert s.sleep_stages.dtype == np.int8
    np.testing.assert_array_equal(s.sleep_stages, expected)
    assert s.breath_stages is None
    np.testing.assert_array_equal(s.snoring_stages, np.zeros(120, dtype=np.int8))

    st = r.stat
    assert st.sleep_time == datetime(2025, 1, 15, 3, 5, 29, tzinfo=UTC)
    assert st.wake_time == datetime(2025, 1, 15, 3, 26, 29, tzinfo=UTC)
    expected_values = {
        "sleep_latency": 900,
        "wakeup_latency": 1440,
        "light_latency": 0,
        "deep_latency": None,
        "rem_latency": None,
        "time_in_bed": 3600,
        "time_in_sleep_period": 1260,
        "time_in_sleep": 1080,
        "time_in_wake": 180,
        "time_in_light": 1080,
        "time_in_deep": 0,
        "time_in_rem": 0,
        "time_in_stable_breath": None,
        "time_in_unstable_breath": None,
        "time_in_snoring": 0,
        "time_in_no_snoring": 1260,
        "sleep_efficiency": 0.3,
        "sleep_ratio": 0.86,
        "wake_ratio": 0.14,
        "light_ratio": 0.86,
        "deep_ratio": 0.0,
        "rem_ratio": 0.0,
        "stable_breath_ratio": None,
        "unstable_breath_ratio": None,
        "snoring_ratio": 0.0,
        "no_snoring_ratio": 1.0,
        "breathing_pattern": None,
        "breathing_index": None,
        "waso_count": 1,
        "longest_waso": 180,
        "sleep_cycle_count": 0,
        "sleep_cycle": None,
        "unstable_breath_count": None,
        "snoring_count": 0,
        "sleep_index": 50,
        "sleep_cycle_time": (),
    }
    for name, value in expected_values.items():
        got = getattr(st, name)
        assert got == value and type(got) is type(value), name
    assert set(expected_values) | {"sleep_time", "wake_time"} == set(schema.STAT_FIELDS)


def test_stat_kinds_map_to_python_types(result: dict[str, Any]) -> None:
    st = parse_quietly(result).stat
    for name, spec in schema.STAT_FIELDS.items():
        value = getattr(st, name)
        if value is None:
            continue
        expected = {
            "time": datetime,
            "duration": int,
            "count": int,
            "ratio": float,
            "index": (int, float),
            "text": str,
            "time_list": tuple,
        }[spec.kind]
        assert isinstance(value, expected), name


def test_stat_attributes_follow_schema_order() -> None:
    assert [f.name for f in dataclasses.fields(Stat)] == list(schema.STAT_FIELDS)


def test_stat_to_dict_gives_the_input_back(result: dict[str, Any]) -> None:
    st = parse_quietly(result).stat
    assert st.to_dict() == result["stat"]
    assert list(st.to_dict()) == list(result["stat"])
    assert json.dumps(st.to_dict()) == json.dumps(result["stat"])


def test_stat_to_dict_keeps_offsets_and_cycle_times(result: dict[str, Any]) -> None:
    stat = result["stat"]
    stat["sleep_time"] = "2025-01-15T12:05:29+09:00"
    stat["sleep_cycle_time"] = ["2025-01-15T12:05:29+09:00", "2025-01-15T13:05:29+09:00"]
    st = Stat.from_payload(stat)
    assert st.sleep_time.utcoffset() == timedelta(hours=9)
    assert st.sleep_cycle_time[1] == datetime(2025, 1, 15, 4, 5, 29, tzinfo=UTC)
    assert st.to_dict() == stat


def test_webhook_and_get_session_give_the_same_record(body: dict[str, Any], result: dict[str, Any]) -> None:
    from_api = parse_quietly(result)
    from_hook = SessionResult.from_webhook(body)
    assert from_api.user_id is None
    assert from_api != from_hook
    assert dataclasses.replace(from_api, user_id=USER) == from_hook
    assert dict(from_hook.payload) == result  # the payload is the result, without user_id


def test_payload_is_the_original_and_read_only(result: dict[str, Any]) -> None:
    r = parse_quietly(result)
    assert r.payload == result
    with pytest.raises(TypeError):
        r.payload["timezone"] = "Asia/Seoul"  # type: ignore[index]
    assert json.loads(json.dumps(dict(r.payload))) == result


def test_records_are_frozen_and_arrays_read_only(result: dict[str, Any]) -> None:
    r = parse_quietly(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.timezone = "Asia/Seoul"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        r.session.sleep_stages[0] = 3


def test_records_pickle_and_hash(result: dict[str, Any]) -> None:
    r = parse_quietly(result)
    again = pickle.loads(pickle.dumps(r))
    assert again == r
    assert hash(again.session) == hash(r.session)
    assert hash(r.stat) == hash(again.stat)
    assert "<120 epochs>" in repr(r.session)


def test_session_equality_compares_arrays(result: dict[str, Any]) -> None:
    a = parse_quietly(result).session
    other = copy.deepcopy(result)
    other["session"]["sleep_stages"][40] = 2
    b = parse_quietly(other).session
    assert a != b
    assert a == Session.from_payload(result["session"])
    assert a != "not a session"


def test_open_session_without_end_and_stat(result: dict[str, Any]) -> None:
    result["session"].update(state="OPEN", end_time=None, sleep_stages=[0] * 7, snoring_stages=None)
    result["stat"] = None
    result["peculiarities"] = ["IN_PROGRESS"]
    r = parse_quietly(result)
    assert r.state == "OPEN" and r.session.end_time is None
    assert r.stat is None and not r.is_two_stage and r.is_valid
    assert len(r.session.sleep_stages) == 7


def test_two_stage_and_invalid_properties(result: dict[str, Any]) -> None:
    for name in schema.FOUR_STAGE_ONLY_FIELDS:
        result["stat"][name] = None
    assert parse_quietly(result).is_two_stage
    result["peculiarities"] = ["TOO_SHORT_FOR_ANALYSIS"]
    result["stat"] = None
    r = parse_quietly(result)
    assert not r.is_valid and not r.is_two_stage


def test_empty_stage_arrays_are_fine_when_times_agree(result: dict[str, Any]) -> None:
    result["session"].update(end_time=result["session"]["start_time"], sleep_stages=[], snoring_stages=[])
    result["stat"] = None  # a stat of the hour-long example cannot fit a session of 0 s (bounds)
    result["peculiarities"].append("TOO_SHORT_FOR_ANALYSIS")
    r = parse_quietly(result)
    assert r.session.sleep_stages.shape == (0,)


# ----------------------------------------------------------------------------- errors


def _set(obj: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        obj = obj[key]
    if last.endswith("]"):
        key, index = last[:-1].split("[")
        obj[key][int(index)] = value
    elif value is _DELETE:
        del obj[last]
    else:
        obj[last] = value


_DELETE = object()

ERROR_CASES = [
    # (path to change, new value, field named by the error, words in the reason)
    (
        "session.sleep_stages[12]",
        7,
        "session.sleep_stages[12]",
        "value 7 is not a sleep stage code (-1, 0, 1, 2, 3)",
    ),
    ("session.sleep_stages[3]", -2, "session.sleep_stages[3]", "not a sleep stage code"),
    ("session.sleep_stages[3]", 1.0, "session.sleep_stages[3]", "expected an integer sleep stage code"),
    ("session.sleep_stages[3]", True, "session.sleep_stages[3]", "got boolean True"),
    ("session.sleep_stages[3]", "1", "session.sleep_stages[3]", "got string '1'"),
    ("session.sleep_stages[3]", None, "session.sleep_stages[3]", "got null"),
    ("session.sleep_stages[3]", [1], "session.sleep_stages[3]", "got array"),
    ("session.sleep_stages[3]", 100000, "session.sleep_stages[3]", "value 100000 is not"),
    ("session.sleep_stages", "0,1,2", "session.sleep_stages", "expected an array"),
    ("session.snoring_stages[5]", 2, "session.snoring_stages[5]", "snoring stage code (-1, 0, 1)"),
    ("session.breath_stages", [3] * 120, "session.breath_stages[0]", "breath stage code"),
    ("session.start_time", _DELETE, "session.start_time", "required key is missing"),
    ("session.start_time", None, "session.start_time", "got null"),
    ("session.start_time", "2025-01-15T02:50:29", "session.start_time", "UTC offset"),
    ("session.start_time", "yesterday", "session.start_time", "ISO 8601"),
    ("session.start_time", 1736909429, "session.start_time", "got integer"),
    ("session.end_time", "2025-01-15T01:50:29+00:00", "session.end_time", "before start_time"),
    ("session.unexpected_end_time", "2025-01-15T01:50:29+00:00", "session.unexpected_end_time", "before"),
    ("session.id", 42, "session.id", "expected a string"),
    ("session.state", None, "session.state", "expected a string"),
    ("session", [], "session", "expected an object"),
    ("session", _DELETE, "session", "required key is missing"),
    ("timezone", "+09:00", "timezone", "not an IANA time zone"),
    ("timezone", None, "timezone", "expected a string"),
    ("peculiarities", "NEVER_SLEPT", "peculiarities", "expected an array"),
    ("peculiarities", [1], "peculiarities[0]", "expected a string"),
    ("missing_data_ratio", 1.5, "missing_data_ratio", "ratio in [0, 1]"),
    ("missing_data_ratio", "0.1", "missing_data_ratio", "expected a number"),
    ("missing_data_ratio", float("nan"), "missing_data_ratio", "finite"),
    ("stat", "none", "stat", "expected an object"),
    ("stat.time_in_sleep", "1080", "stat.time_in_sleep", "expected an integer"),
    ("stat.time_in_sleep", 1080.5, "stat.time_in_sleep", "got number 1080.5"),
    ("stat.time_in_sleep", False, "stat.time_in_sleep", "got boolean"),
    ("stat.time_in_sleep", -30, "stat.time_in_sleep", ">= 0"),
    ("stat.time_in_sleep", _DELETE, "stat.time_in_sleep", "required key is missing"),
    ("stat.waso_count", [1], "stat.waso_count", "expected an integer"),
    ("stat.sleep_efficiency", 1.01, "stat.sleep_efficiency", "ratio in [0, 1]"),
    ("stat.sleep_efficiency", float("inf"), "stat.sleep_efficiency", "finite"),
    ("stat.sleep_index", "50", "stat.sleep_index", "expected a number"),
    ("stat.breathing_pattern", 3, "stat.breathing_pattern", "expected a string"),
    ("stat.sleep_time", "2025-01-15 03:05", "stat.sleep_time", "UTC offset"),
    ("stat.sleep_cycle_time", "2025-01-15T03:05:29+00:00", "stat.sleep_cycle_time", "expected an array"),
    ("stat.sleep_cycle_time", ["2025-01-15T03:05:29+00:00", None], "stat.sleep_cycle_time[1]", "got null"),
]


@pytest.mark.parametrize(("path", "value", "field", "words"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_contract_breaks_raise_payload_error(
    result: dict[str, Any], path: str, value: Any, field: str, words: str
) -> None:
    _set(result, path, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PayloadWarning)
        with pytest.raises(PayloadError) as info:
            SessionResult.from_payload(result)
    assert info.value.field == field
    assert words in info.value.reason
    assert str(info.value).startswith(f"{field}: ")


def test_error_message_names_the_field_exactly(result: dict[str, Any]) -> None:
    result["session"]["sleep_stages"][12] = 7
    with pytest.raises(PayloadError) as info:
        SessionResult.from_payload(result)
    assert str(info.value) == "session.sleep_stages[12]: value 7 is not a sleep stage code (-1, 0, 1, 2, 3)"


def test_not_an_object_at_all() -> None:
    for bad in (None, [], "result", 3):
        with pytest.raises(PayloadError, match=r"^result: expected an object"):
            SessionResult.from_payload(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("delta", [2, -2, 50])
def test_stage_length_off_by_more_than_one_epoch_is_an_error(result: dict[str, Any], delta: int) -> None:
    stages = result["session"]["sleep_stages"]
    result["session"]["sleep_stages"] = stages + [0] * delta if delta > 0 else stages[:delta]
    with pytest.raises(PayloadError, match=r"session\.sleep_stages: has \d+ epochs but .* spans 120 epochs"):
        SessionResult.from_payload(result)


@pytest.mark.parametrize("delta", [1, -1])
def test_stage_length_off_by_one_epoch_warns_and_keeps(result: dict[str, Any], delta: int) -> None:
    stages = result["session"]["snoring_stages"]
    result["session"]["snoring_stages"] = [*stages, 0] if delta > 0 else stages[:-1]
    with pytest.warns(PayloadWarning, match=r"session\.snoring_stages: has 1\d\d epochs .*one epoch off"):
        r = SessionResult.from_payload(result)
    assert len(r.session.snoring_stages) == 120 + delta


def test_partial_trailing_epoch_is_not_counted(result: dict[str, Any]) -> None:
    result["session"]["end_time"] = "2025-01-15T03:50:58+00:00"  # 3629 s: still 120 whole epochs
    stat = result["stat"]
    wake = datetime.fromisoformat(stat["wake_time"]) + timedelta(seconds=29)  # end_time - wakeup_latency
    stat.update(time_in_bed=3629, wake_time=wake.isoformat())  # the contract's identities still hold
    parse_quietly(result)


# ----------------------------------------------------------------------------- warnings


@pytest.mark.parametrize("label", sorted(schema.STAT_NULL_PECULIARITIES))
def test_stat_present_where_contract_says_null_warns(result: dict[str, Any], label: str) -> None:
    result["peculiarities"].append(label)
    with pytest.warns(PayloadWarning, match=f"stat: present although peculiarities hold {label}"):
        r = SessionResult.from_payload(result)
    assert r.stat is not None  # kept as sent


def test_stat_missing_on_complete_session_warns(result: dict[str, Any]) -> None:
    result["stat"] = None
    with pytest.warns(PayloadWarning, match="stat: null although the session is COMPLETE"):
        r = SessionResult.from_payload(result)
    assert r.stat is None


def test_stat_null_on_closed_session_is_fine(result: dict[str, Any]) -> None:
    result["session"]["state"] = "CLOSED"
    result["peculiarities"].append("IN_PROGRESS")
    result["stat"] = None
    assert parse_quietly(result).stat is None


def test_unknown_labels_are_kept_with_a_warning(result: dict[str, Any]) -> None:
    result["peculiarities"].append("SNORED_LIKE_A_TRAIN")
    result["session"]["state"] = "ARCHIVED"
    with pytest.warns(PayloadWarning) as record:
        r = SessionResult.from_payload(result)
    messages = " ".join(str(w.message) for w in record)
    assert "peculiarities[1]" in messages and "session.state" in messages
    assert r.peculiarities[1] == "SNORED_LIKE_A_TRAIN" and not r.peculiarities[1].is_known
    assert isinstance(r.peculiarities[1], Peculiarity)
    assert r.state == "ARCHIVED" and isinstance(r.state, SessionState)
    assert r.peculiarities[0].is_known
    assert pickle.loads(pickle.dumps(r.peculiarities[0])) is Peculiarity.NO_BREATHING_STABILITY


def test_unknown_created_timezone_is_kept_with_a_warning(result: dict[str, Any]) -> None:
    result["session"]["created_timezone"] = "KST"
    with pytest.warns(PayloadWarning, match=r"session\.created_timezone: not an IANA time zone name: 'KST'"):
        r = SessionResult.from_payload(result)
    assert r.session.created_timezone == "KST"


def test_enum_constructor_keeps_unknown_labels() -> None:
    with pytest.warns(PayloadWarning, match="unknown SessionState label 'PAUSED'"):
        state = SessionState("PAUSED")
    assert state == "PAUSED" and str(state) == "PAUSED" and hash(state) == hash("PAUSED")
    assert SessionState("OPEN") is SessionState.OPEN
    with pytest.raises(ValueError):
        SessionState(3)  # type: ignore[arg-type]


def test_webhook_errors_and_version_warning(body: dict[str, Any]) -> None:
    with pytest.raises(PayloadError, match=r"^event: expected 'SESSION_COMPLETE', got string"):
        SessionResult.from_webhook({**body, "event": "SESSION_START"})
    with pytest.raises(PayloadError, match=r"^data\.user_id: required key is missing"):
        data = {k: v for k, v in body["data"].items() if k != "user_id"}
        SessionResult.from_webhook({**body, "data": data})
    with pytest.raises(PayloadError, match=r"^data\.session\.sleep_stages\[0\]"):
        bad = copy.deepcopy(body)
        bad["data"]["session"]["sleep_stages"][0] = 9
        SessionResult.from_webhook(bad)
    with pytest.raises(PayloadError, match=r"^body: expected an object"):
        SessionResult.from_webhook([])  # type: ignore[arg-type]
    with pytest.warns(PayloadWarning, match="version: 'V4'"):
        SessionResult.from_webhook({**body, "version": "V4"})


# ----------------------------------------------------------------------------- other records


def _summary(**changes: Any) -> dict[str, Any]:
    item = {
        "session_id": "20250115025029_fvivn",
        "state": "COMPLETE",
        "session_start_time": "2025-01-15T11:50:29+09:00",
        "session_end_time": "2025-01-15T12:50:29+09:00",
        "created_timezone": "Asia/Seoul",
        "unexpected_end_time": None,
        "last_received_seq_num": 119,
        "time_in_bed": 3600,
    }
    item.update(changes)
    return item


def test_session_summary() -> None:
    s = SessionSummary.from_payload(_summary())
    assert s.session_start_time == datetime(2025, 1, 15, 11, 50, 29, tzinfo=timezone(timedelta(hours=9)))
    assert s.session_start_time == datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC)
    assert s.state is SessionState.COMPLETE and s.time_in_bed == 3600 and s.last_received_seq_num == 119
    open_item = SessionSummary.from_payload(_summary(state="OPEN", session_end_time=None, time_in_bed=None))
    assert open_item.session_end_time is None and open_item.time_in_bed is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"session_id": None}, "item.session_id"),
        ({"session_start_time": "2025-01-15"}, "item.session_start_time"),
        ({"session_end_time": "2025-01-15T10:00:00+09:00"}, "item.session_end_time"),
        ({"time_in_bed": "3600"}, "item.time_in_bed"),
        ({"last_received_seq_num": -1}, "item.last_received_seq_num"),
    ],
)
def test_session_summary_errors(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(PayloadError) as info:
        SessionSummary.from_payload(_summary(**changes))
    assert info.value.field == field


def test_session_summary_path_in_messages() -> None:
    item = _summary()
    del item["time_in_bed"]
    with pytest.raises(PayloadError, match=r"sleep_session_list\[3\]\.time_in_bed: required key is missing"):
        SessionSummary.from_payload(item, path="sleep_session_list[3]")


def test_user_record() -> None:
    payload = {
        "user_id": USER,
        "to_be_deleted": False,
        "last_session_info": {
            "session_id": "20250115025029_fvivn",
            "state": "COMPLETE",
            "start_time": "2025-01-15T02:50:29+00:00",
            "end_time": "2025-01-15T03:50:29+00:00",
        },
        "metadata": {"birth_year": 1990, "birth_month": 1, "gender": "other", "height": 170, "weight": 65.5},
    }
    user = User.from_payload(payload)
    assert user.user_id == USER and user.to_be_deleted is False
    assert user.last_session_info.state is SessionState.COMPLETE
    assert user.last_session_info.end_time == datetime(2025, 1, 15, 3, 50, 29, tzinfo=UTC)
    assert user.metadata.birth_year == 1990 and user.metadata.birth_day is None
    assert user.metadata.height == 170.0 and isinstance(user.metadata.height, float)
    assert user.payload == payload
    bare = User.from_payload({"user_id": USER})
    assert bare.metadata is None and bare.last_session_info is None and bare.to_be_deleted is None
    with pytest.raises(PayloadError, match=r"^user_id: required key is missing"):
        User.from_payload({})
    with pytest.raises(PayloadError, match=r"^metadata\.birth_year: expected an integer"):
        User.from_payload({"user_id": USER, "metadata": {"birth_year": "1990"}})
    with pytest.raises(PayloadError, match=r"^to_be_deleted: expected true, false or null"):
        User.from_payload({"user_id": USER, "to_be_deleted": "no"})
    with pytest.raises(PayloadError, match=r"^last_session_info\.start_time"):
        User.from_payload({"user_id": USER, "last_session_info": {"start_time": "soon"}})


def test_average_stats_record() -> None:
    payload = {
        "period": {"start_date": "2025-01-01", "end_date": "2025-01-31"},
        "peculiarities": ["NO_BREATHING_STABILITY"],
        "average_stats": {"sleep_time": "23:30:00", "time_in_sleep": 25200, "sleep_efficiency": 0.912},
        "never_slept_sessions": [{"id": "a"}],
        "slept_sessions": [{"id": "b", "time_in_sleep": 25200}],
    }
    avg = AverageStats.from_payload(payload)
    assert avg.period["end_date"] == "2025-01-31"
    assert avg.peculiarities == (Peculiarity.NO_BREATHING_STABILITY,)
    assert avg.average_stats["sleep_time"] == "23:30:00"
    assert avg.slept_sessions[0]["time_in_sleep"] == 25200 and avg.never_slept_sessions[0]["id"] == "a"
    with pytest.raises(TypeError):
        avg.average_stats["time_in_sleep"] = 0  # type: ignore[index]
    assert pickle.loads(pickle.dumps(avg)) == avg
    assert AverageStats.from_payload({}).slept_sessions == ()
    with pytest.raises(PayloadError, match=r"^slept_sessions: expected an array"):
        AverageStats.from_payload({"slept_sessions": {}})
    with pytest.raises(PayloadError, match=r"^average_stats: expected an object or null"):
        AverageStats.from_payload({"average_stats": [1]})


def test_a_webhook_data_object_keeps_its_user_id(example_webhook):
    from asleep_nb.api.records import SessionResult

    data = example_webhook["data"]
    result = SessionResult.from_payload(data)
    assert result.user_id == data["user_id"]
    assert result == SessionResult.from_webhook(example_webhook)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([0, 1, 3, -1], [0, 1, 3, -1]),  # plain ints from json.loads: the fast path
        ((0, 1, 3, -1), [0, 1, 3, -1]),
        ([np.int64(0), 1, schema.SleepStage.REM, np.int8(-1)], [0, 1, 3, -1]),  # the general path
        ([], []),
    ],
)
def test_stage_arrays_of_any_integers_parse_to_read_only_int8(value: Any, expected: list[int]) -> None:
    from asleep_nb.api.records.stages import STAGE_CODES, as_stage_array

    out = as_stage_array(value, "session.sleep_stages", STAGE_CODES["sleep_stages"])
    assert out is not None and out.dtype == np.int8 and out.tolist() == expected
    assert not out.flags.writeable


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (True, "got boolean True"),
        (1.0, "got number 1.0"),
        (128, "value 128 is not"),
        (-129, "value -129 is not"),
    ],
)
def test_a_bad_stage_value_after_many_good_ones_is_named(bad: Any, reason: str) -> None:
    from asleep_nb.api.records.stages import STAGE_CODES, as_stage_array

    value = [1] * 900 + [bad] + [1] * 59
    with pytest.raises(PayloadError, match=r"session\.sleep_stages\[900\]: .*" + reason):
        as_stage_array(value, "session.sleep_stages", STAGE_CODES["sleep_stages"])


def test_a_record_parsed_with_its_text_keeps_the_text_and_gives_the_payload_back(
    result: dict[str, Any],
) -> None:
    text = json.dumps(result).encode()
    record = SessionResult.from_payload(json.loads(text), text=text)
    assert record == SessionResult.from_payload(result)
    assert record._payload is text  # bytes, not a tree of lists
    assert record.payload == result
    with pytest.raises(TypeError):
        record.payload["timezone"] = "Asia/Seoul"  # type: ignore[index]
    assert pickle.loads(pickle.dumps(record)).payload == result


def test_a_user_id_given_must_match_the_objects_own(example_webhook: dict[str, Any]) -> None:
    data = example_webhook["data"]
    assert SessionResult.from_payload(data, user_id=data["user_id"]).user_id == data["user_id"]
    other = "G-20250115025029-AAAAAAAAAAAAAAAAAAAA"
    with pytest.raises(PayloadError, match=r"user_id: the object belongs to .*, not to 'G-2025"):
        SessionResult.from_payload(data, user_id=other)
    bare = {k: v for k, v in data.items() if k != "user_id"}
    assert SessionResult.from_payload(bare, user_id=other).user_id == other
