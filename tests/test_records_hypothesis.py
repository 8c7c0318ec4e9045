"""Property tests: well-formed payloads round-trip; malformed ones always end in PayloadError."""

from __future__ import annotations

import copy
import json
import warnings
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asleep_nb import definitions as schema
from asleep_nb.api.records import SessionResult, SessionSummary, Stat
from asleep_nb.errors import ContractWarning, PayloadError, PayloadWarning

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OFFSETS = [timezone(timedelta(hours=h)) for h in (-5, 0, 1, 9)] + [timezone(timedelta(hours=5, minutes=30))]
ZONES = ["UTC", "Asia/Seoul", "Europe/Paris", "America/New_York"]

moments = st.builds(
    lambda seconds, tz: (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)).astimezone(tz),
    st.integers(0, 2 * 365 * 86400),
    st.sampled_from(OFFSETS),
)
iso = moments.map(lambda m: m.isoformat())

STAT_VALUES = {
    "time": st.none() | iso,
    "duration": st.none() | st.integers(0, 86400),
    "count": st.none() | st.integers(0, 500),
    "ratio": st.none() | st.floats(0, 1) | st.integers(0, 1).map(float),
    "index": st.none() | st.integers(50, 100) | st.floats(50, 100),
    "text": st.none() | st.text(max_size=10),
    "time_list": st.none() | st.lists(iso, max_size=4),
}
stats = st.fixed_dictionaries({name: STAT_VALUES[f.kind] for name, f in schema.STAT_FIELDS.items()})


@st.composite
def results(draw: st.DrawFn) -> dict[str, Any]:
    """A Get Session result within the contract (stage lengths agree with the times)."""
    start = draw(moments)
    n = draw(st.integers(0, 200))
    state = draw(st.sampled_from(["OPEN", "CLOSED", "COMPLETE"]))
    end = None if state == "OPEN" else start + timedelta(seconds=30 * n + draw(st.integers(0, 29)))

    def stages(codes: frozenset[int]) -> st.SearchStrategy[list[int] | None]:
        return st.none() | st.lists(st.sampled_from(sorted(codes)), min_size=n, max_size=n)

    complete = state == "COMPLETE"
    return {
        "timezone": draw(st.sampled_from(ZONES)),
        "peculiarities": ["NO_BREATHING_STABILITY"] + ([] if complete else ["IN_PROGRESS"]),
        "missing_data_ratio": draw(st.none() | st.floats(0, 1)),
        "session": {
            "id": draw(st.text(min_size=1, max_size=20)),
            "state": state,
            "start_time": start.isoformat(),
            "end_time": None if end is None else end.isoformat(),
            "unexpected_end_time": None,
            "created_timezone": draw(st.none() | st.sampled_from(ZONES)),
            "sleep_stages": draw(stages(schema.SLEEP_STAGE_CODES)),
            "breath_stages": draw(stages(schema.BREATH_STAGE_CODES)),
            "snoring_stages": draw(stages(schema.SNORING_STAGE_CODES)),
        },
        "stat": _within(draw(stats), n, end) if complete else None,
    }


def _within(stat: dict[str, Any], n: int, end: datetime | None) -> dict[str, Any]:
    """A drawn stat with durations and counts inside the session (the contract's bounds)."""
    span = 30 * n if end is not None else 86400
    for name, field in schema.STAT_FIELDS.items():
        if stat[name] is not None and field.kind == "duration":
            stat[name] = min(stat[name], span)
        elif stat[name] is not None and field.kind == "count":
            stat[name] = min(stat[name], n)
        elif stat[name] is not None and field.kind == "time_list":
            stat[name] = stat[name][: n + 1]
    return stat


@SETTINGS
@given(results())
def test_well_formed_payloads_parse_and_round_trip(result: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ContractWarning)  # drawn stats do not add up (not the point here)
        record = SessionResult.from_payload(result)
    assert record.payload == result
    session = result["session"]
    assert record.session.start_time == datetime.fromisoformat(session["start_time"])
    for name in ("sleep_stages", "breath_stages", "snoring_stages"):
        got = getattr(record.session, name)
        if session[name] is None:
            assert got is None
        else:
            assert got.dtype == np.int8 and got.tolist() == session[name]
    if result["stat"] is None:
        assert record.stat is None
    else:
        assert record.stat.to_dict() == result["stat"]
        assert Stat.from_payload(record.stat.to_dict()) == record.stat


# ----------------------------------------------------------------------------- malformed payloads

json_garbage = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj[:3]):  # a few elements of each array are enough
            out += _paths(value, (*prefix, i))
    return out


def _mutate(obj: Any, path: tuple[Any, ...], value: Any, delete: bool) -> None:
    for key in path[:-1]:
        obj = obj[key]
    if delete and isinstance(obj, dict):
        del obj[path[-1]]
    else:
        obj[path[-1]] = value


@pytest.fixture(scope="module")
def base_result(example_result: dict[str, Any]) -> dict[str, Any]:
    return example_result


def _outcome(parse: Any) -> Any:
    """A record, or the field, reason and text of the PayloadError: what a parse ends in."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PayloadWarning)
        try:
            return parse()
        except PayloadError as exc:
            return ("error", exc.field, exc.reason, str(exc))


@SETTINGS
@given(data=st.data(), garbage=json_garbage, delete=st.booleans())
def test_any_mutation_ends_in_a_record_or_a_named_payload_error(
    base_result: dict[str, Any], data: st.DataObject, garbage: Any, delete: bool
) -> None:
    result = copy.deepcopy(base_result)
    path = data.draw(st.sampled_from(_paths(result)))
    _mutate(result, path, garbage, delete)
    outcome = _outcome(lambda: SessionResult.from_payload(result))
    if isinstance(outcome, tuple):
        _, field, reason, text = outcome
        assert field, "the error must name a field"
        assert text.startswith(f"{field}: ") and reason
    # parsed with its JSON text, as the archive does (a text without true/false lets stage
    # arrays skip their type pass), it ends the same: the same record or the same error
    with_text = _outcome(lambda: SessionResult.from_payload(result, text=json.dumps(result).encode()))
    assert with_text == outcome


WRONG_TYPE = {
    "string": st.text(max_size=5),
    "boolean": st.booleans(),
    "array": st.lists(st.integers(0, 3), min_size=1, max_size=2),
    "object": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    "float": st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not float(x).is_integer()),
}
# field -> JSON types that are certainly wrong for it (and the field the error must name)
TARGETS = {
    ("timezone",): ("boolean", "array", "object", "float"),
    ("peculiarities",): ("string", "boolean", "object", "float"),
    ("missing_data_ratio",): ("string", "array", "object", "boolean"),
    ("session",): ("string", "boolean", "array", "float"),
    ("session", "id"): ("boolean", "array", "object", "float"),
    ("session", "state"): ("boolean", "array", "object", "float"),
    ("session", "start_time"): ("boolean", "array", "object", "float"),
    ("session", "end_time"): ("boolean", "array", "object", "float"),
    ("session", "sleep_stages"): ("string", "boolean", "object", "float"),
    ("session", "sleep_stages", 5): ("string", "boolean", "array", "object", "float"),
    ("session", "snoring_stages", 0): ("string", "boolean", "array", "object", "float"),
    ("stat",): ("string", "boolean", "array", "float"),
    **{("stat", n): ("string", "boolean", "array", "object", "float") for n in schema.STAT_FIELDS
       if schema.STAT_FIELDS[n].kind in ("duration", "count")},
    **{("stat", n): ("string", "boolean", "array", "object") for n in schema.STAT_FIELDS
       if schema.STAT_FIELDS[n].kind in ("ratio", "index")},
    **{("stat", n): ("boolean", "array", "object", "float") for n in schema.STAT_FIELDS
       if schema.STAT_FIELDS[n].kind in ("time", "text")},
}  # fmt: skip


@st.composite
def wrong_type_mutations(draw: st.DrawFn) -> tuple[tuple[Any, ...], Any]:
    path = draw(st.sampled_from(sorted(TARGETS, key=repr)))
    kind = draw(st.sampled_from(TARGETS[path]))
    return path, draw(WRONG_TYPE[kind])


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


@SETTINGS
@given(mutation=wrong_type_mutations())
def test_type_swaps_are_payload_errors_naming_the_field(
    base_result: dict[str, Any], mutation: tuple[tuple[Any, ...], Any]
) -> None:
    path, value = mutation
    result = copy.deepcopy(base_result)
    _mutate(result, path, value, delete=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PayloadWarning)
        with pytest.raises(PayloadError) as info:
            SessionResult.from_payload(result)
    assert info.value.field.startswith(_dotted(path))


@SETTINGS
@given(data=st.data())
def test_missing_keys_are_payload_errors(base_result: dict[str, Any], data: st.DataObject) -> None:
    result = copy.deepcopy(base_result)
    path = data.draw(
        st.sampled_from([p for p in _paths(result) if not isinstance(p[-1], int) and len(p) <= 2])
    )
    _mutate(result, path, None, delete=True)
    with pytest.raises(PayloadError) as info:
        SessionResult.from_payload(result)
    assert info.value.field == _dotted(path) and info.value.reason == "required key is missing"


@SETTINGS
@given(
    index=st.integers(0, 119),
    value=st.integers(-(2**40), 2**40).filter(lambda v: v not in schema.SLEEP_STAGE_CODES),
)
def test_bad_stage_values_name_the_epoch(base_result: dict[str, Any], index: int, value: int) -> None:
    result = copy.deepcopy(base_result)
    result["session"]["sleep_stages"][index] = value
    with pytest.raises(PayloadError) as info:
        SessionResult.from_payload(result)
    assert str(info.value) == (
        f"session.sleep_stages[{index}]: value {value} is not a sleep stage code (-1, 0, 1, 2, 3)"
    )


@SETTINGS
@given(delta=st.integers(-120, 500).filter(lambda d: abs(d) > 1))
def test_wrong_lengths_are_payload_errors(base_result: dict[str, Any], delta: int) -> None:
    result = copy.deepcopy(base_result)
    stages = result["session"]["sleep_stages"]
    result["session"]["sleep_stages"] = stages[:delta] if delta < 0 else stages + [0] * delta
    with pytest.raises(PayloadError) as info:
        SessionResult.from_payload(result)
    assert info.value.field == "session.sleep_stages"


@SETTINGS
@given(text=st.text(max_size=30))
def test_bad_timestamps_are_payload_errors(base_result: dict[str, Any], text: str) -> None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    result = copy.deepcopy(base_result)
    result["stat"]["sleep_time"] = text
    if parsed is not None and parsed.tzinfo is not None:
        assert SessionResult.from_payload(result).stat.sleep_time == parsed
        return
    with pytest.raises(PayloadError) as info:
        SessionResult.from_payload(result)
    assert info.value.field == "stat.sleep_time"


@SETTINGS
@given(item=st.dictionaries(st.sampled_from(["session_id", "state", "session_start_time"]), json_garbage))
def test_list_items_never_raise_anything_else(item: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PayloadWarning)
        with pytest.raises(PayloadError) as info:
            SessionSummary.from_payload(item)
    assert info.value.field.startswith("item.")


# ----------------------------------------------------------------------------- parsing from JSON text
stage_items = st.integers(-300, 300) | st.floats(allow_nan=False) | st.text(max_size=2) | st.none()


@SETTINGS
@given(
    value=st.lists(st.integers(-1, 3), max_size=40) | st.lists(stage_items, max_size=40),
    kind=st.sampled_from(["sleep_stages", "breath_stages", "snoring_stages"]),
)
def test_the_no_booleans_path_gives_the_same_array_or_error(value: list[Any], kind: str) -> None:
    from asleep_nb.api.records.stages import STAGE_CODES, as_stage_array

    def parse(no_booleans: bool) -> Any:
        try:
            out = as_stage_array(value, f"session.{kind}", STAGE_CODES[kind], no_booleans=no_booleans)
        except PayloadError as exc:
            return str(exc)
        assert out is not None and out.dtype == np.int8 and not out.flags.writeable
        return out.tolist()

    assert parse(True) == parse(False)
