"""Hostile payloads, round two: escaped keys, a corpus of bodies no parser should choke on, bounds, ids.

Every probe talks to a real misbehaving server on 127.0.0.1 (:mod:`hostile`)
or to the stand-in, asserts the exact error type (only ``AsleepError``
subclasses may escape a public entry point), and that time and memory stayed
bounded (wall clock and ``tracemalloc`` peak, with generous margins).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import IDS
from hostile import KEY, MiB, hostile_client, key_fragments, probe

import asleep_nb
from asleep_nb import errors
from asleep_nb.api.client import Client
from asleep_nb.api.records import SessionResult
from asleep_nb.data.cohort import to_cohort
from asleep_nb.loading.archive import Archive, open_archive
from asleep_nb.report.parameters import ReportParameters
from asleep_nb.report.sources import load_report_data
from asleep_nb.stats import verify_cohort
from asleep_nb.widgets._messages import describe_error


def _client(server, **settings: Any) -> Client:
    return hostile_client(server, timeout=5.0, **settings)


def _probe(call: Callable[[], object]) -> tuple[BaseException | None, float, int]:
    return probe(call, quiet=True)


def _shown(exc: BaseException) -> str:
    detail = getattr(exc, "detail", "")
    return " ".join(
        [str(exc), repr(exc), str(detail), describe_error(exc), repr(getattr(exc, "received", ""))]
    )


# ----------------------------------------------------------------------------- 1. escaped keys

ESCAPED_KEYS = {
    "every character": "".join(f"\\u{ord(c):04x}" for c in KEY),
    "only the dash": KEY.replace("-", "\\u002d"),
    "upper-case hex": "".join(f"\\u{ord(c):04X}" for c in KEY),
}


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
@pytest.mark.parametrize("escaped", ESCAPED_KEYS.values(), ids=ESCAPED_KEYS.keys())
def test_a_json_escaped_key_in_an_error_detail_never_shows(hostile, escaped, as_json) -> None:
    assert KEY not in escaped  # the raw body holds no plain copy: only decoding reveals it
    for at in (0, 250, 290):  # before, across and after the 300-character cut
        text = "x" * at + "bad key " + escaped
        body = ('{"detail": "' + text + '"}').encode() if as_json else text.encode()
        hostile.behave("raw", status=400, body=body)
        with _client(hostile) as client:
            raised, elapsed, _ = _probe(lambda: client.get_user(IDS.example_user))
        assert type(raised) is errors.AsleepAPIError and elapsed < 2
        assert not key_fragments(_shown(raised)), key_fragments(_shown(raised))
        if at < 250:
            assert "<api key>" in raised.detail


@pytest.mark.parametrize("escaped", ESCAPED_KEYS.values(), ids=ESCAPED_KEYS.keys())
def test_a_json_escaped_key_as_the_session_id_never_reaches_the_mismatch(
    hostile, example_result, escaped
) -> None:
    result = copy.deepcopy(example_result)
    result["session"]["id"] = "@@ID@@"
    body = json.dumps({"detail": "OK", "result": result}).replace("@@ID@@", escaped).encode()
    hostile.behave("raw", status=200, body=body)
    with _client(hostile) as client:
        raised, _, _ = _probe(lambda: client.get_session(IDS.example_session, user_id=IDS.example_user))
        payload_raised, _, _ = _probe(
            lambda: client.get_session_payload(IDS.example_session, user_id=IDS.example_user)
        )
    for exc in (raised, payload_raised):
        assert type(exc) is errors.IdentityMismatch and exc.received == "<api key>"
        assert not key_fragments(_shown(exc))


def test_a_json_escaped_key_in_any_string_of_a_success_is_masked(hostile, example_result) -> None:
    result = copy.deepcopy(example_result)
    result["peculiarities"] = [*result["peculiarities"], "@@K@@"]  # an unknown label is kept
    result["note"] = {"@@K@@": ["@@K@@"]}  # an unknown key is kept in the payload
    text = json.dumps({"detail": "OK", "result": result}).replace("@@K@@", ESCAPED_KEYS["only the dash"])
    hostile.behave("raw", status=200, body=text.encode())
    with _client(hostile) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", errors.PayloadWarning)
        record = client.get_session(IDS.example_session, user_id=IDS.example_user)
    payload = json.dumps(dict(record.payload))
    assert payload.count("<api key>") == 3 and "<api key>" in repr(record.peculiarities)
    assert not key_fragments(payload + repr(record.peculiarities))


# ----------------------------------------------------------------------------- 3. the corpus


def _body(result: dict[str, Any], **replace: str) -> bytes:
    """The success envelope of ``result`` as text, with ``"@@NAME@@"`` strings replaced verbatim."""
    text = json.dumps({"detail": "OK", "result": result})
    for name, raw in replace.items():
        text = text.replace(f'"@@{name}@@"', raw)
    return text.encode()


def _corpus(example: dict[str, Any]) -> dict[str, bytes]:
    """Whole Get Session bodies, each hostile in one way."""

    def variant(edit: Callable[[dict[str, Any]], None], **replace: str) -> bytes:
        result = copy.deepcopy(example)
        edit(result)
        return _body(result, **replace)

    deep = "[" * 100_000 + "]" * 100_000
    return {
        "deep nesting (100,000 arrays)": deep.encode(),
        "deep nesting inside the result": variant(
            lambda r: r["session"].update(sleep_stages="@@X@@"), X=deep
        ),
        "sleep_index 10**400": variant(lambda r: r["stat"].update(sleep_index=10**400)),
        "a number of 1e400": variant(lambda r: r.update(missing_data_ratio="@@X@@"), X="1e400"),
        "NaN literal": variant(lambda r: r.update(missing_data_ratio="@@X@@"), X="NaN"),
        "Infinity literal": variant(lambda r: r["stat"].update(time_in_bed="@@X@@"), X="-Infinity"),
        "duplicate keys": variant(lambda r: r.update(timezone="@@X@@"), X='"UTC", "timezone": "Asia/Seoul"'),
        "session is a string": variant(lambda r: r.update(session="x")),
        "stat is an array": variant(lambda r: r.update(stat=[1, 2])),
        "stages are text": variant(lambda r: r["session"].update(sleep_stages="0101")),
        "a stage of 10**400": variant(lambda r: r["session"].update(sleep_stages=[10**400] * 120)),
        "a lone surrogate": variant(
            lambda r: r["session"].update(created_timezone="@@X@@"), X='"Asia/\\ud800Seoul"'
        ),
        "a byte order mark": b"\xef\xbb\xbf" + _body(copy.deepcopy(example)),
        "a 10 MB session id": variant(lambda r: r["session"].update(id="x" * 10_000_000)),
        "a 9.5-year session": variant(
            lambda r: r["session"].update(end_time="2034-07-15T02:50:29+00:00", sleep_stages=None)
        ),
        "not UTF-8": _body(copy.deepcopy(example)).replace(b"UTC", b"\xff\xfe\xfd", 1),
    }


@pytest.fixture(scope="module")
def corpus(example_result) -> dict[str, bytes]:
    return _corpus(example_result)


def _only_asleep_errors(raised: BaseException | None, elapsed: float, peak: int, limit: int) -> None:
    assert raised is None or isinstance(raised, errors.AsleepError), repr(raised)[:300]
    assert elapsed < 10 and peak < limit


CORPUS_NAMES = list(_corpus({"session": {}, "stat": {}}))


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_the_corpus_raises_only_asleep_errors_from_get_and_load_session(hostile, corpus, name) -> None:
    body = corpus[name]
    hostile.behave("raw", status=200, body=body)
    with _client(hostile) as client:
        for call in (
            lambda: client.get_session(IDS.example_session, user_id=IDS.example_user),
            lambda: asleep_nb.load_session(client, IDS.example_session, user_id=IDS.example_user),
        ):
            raised, elapsed, peak = _probe(call)
            _only_asleep_errors(raised, elapsed, peak, 12 * len(body) + 32 * MiB)
            assert raised is not None  # every body of the corpus is refused


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_the_corpus_as_an_error_body_is_an_api_error(hostile, corpus, name) -> None:
    hostile.behave("raw", status=400, body=corpus[name])
    with _client(hostile) as client:
        raised, elapsed, peak = _probe(lambda: client.get_user(IDS.example_user))
    assert isinstance(raised, errors.AsleepAPIError) and len(raised.detail) <= 300
    _only_asleep_errors(raised, elapsed, peak, 12 * len(corpus[name]) + 32 * MiB)


def test_the_corpus_through_load_cohort_raises_only_asleep_errors(hostile, corpus) -> None:
    manifest = pd.DataFrame(
        {"user_id": [IDS.example_user], "group": ["g"], "session_id": [IDS.example_session]}
    )
    with _client(hostile) as client:
        for name, body in corpus.items():  # bounded: one load per body
            hostile.behave("raw", status=200, body=body)
            raised, elapsed, peak = _probe(lambda: asleep_nb.load_cohort(client, manifest, progress=False))
            _only_asleep_errors(raised, elapsed, peak, 12 * len(body) + 64 * MiB)
            assert raised is not None, name


def _archive_holding(folder: Path, example: dict[str, Any], data: bytes) -> Path:
    """An archive whose one file holds ``data``, its manifest line matching (size and SHA-256)."""
    archive = Archive(folder)
    entry = archive.write(copy.deepcopy(example), user_id=IDS.example_user)
    (folder / entry.file).write_bytes(data)
    line = {**json.loads((folder / "manifest.jsonl").read_text()), "size": len(data)}
    line["sha256"] = hashlib.sha256(data).hexdigest()
    (folder / "manifest.jsonl").write_text(json.dumps(line) + "\n")
    archive.close()
    return folder


def test_the_corpus_in_an_archive_raises_only_archive_corrupt(tmp_path, corpus, example_result) -> None:
    for i, (name, body) in enumerate(corpus.items()):  # bounded: one archive per body
        start = body.find(b'"result": ') + len(b'"result": ')
        data = body[start:-1] if start > len(b'"result": ') else body  # the result object, as archived
        data = body[:3] + data if body.startswith(b"\xef\xbb\xbf") else data
        folder = _archive_holding(tmp_path / f"a{i}", example_result, data)
        raised, elapsed, peak = _probe(lambda folder=folder: open_archive(folder).to_cohort())
        assert type(raised) is errors.ArchiveCorrupt, (name, repr(raised)[:300])
        _only_asleep_errors(raised, elapsed, peak, 12 * len(data) + 64 * MiB)
        skipped, _, _ = _probe(lambda folder=folder: open_archive(folder).records(on_corrupt="skip"))
        assert skipped is None, name
        report, elapsed, _ = _probe(
            lambda folder=folder: load_report_data(ReportParameters(archive=str(folder)))
        )
        assert isinstance(report, errors.AsleepError) and elapsed < 10, (name, repr(report)[:300])


def test_a_deeply_nested_manifest_line_is_skipped_with_a_warning(tmp_path, example_result) -> None:
    folder = tmp_path / "archive"
    archive = Archive(folder)
    archive.write(copy.deepcopy(example_result), user_id=IDS.example_user)
    with (folder / "manifest.jsonl").open("ab") as fh:
        fh.write(b"[" * 100_000 + b"]" * 100_000 + b"\n")
    with pytest.warns(errors.ArchiveWarning, match="line 2 is not a manifest entry"):
        reopened = open_archive(folder)
        assert [e.session_id for e in reopened.entries()] == [IDS.example_session]


# ----------------------------------------------------------------------------- 4. bounds


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda r: r["stat"].update(sleep_index=10**400), "stat.sleep_index"),
        (lambda r: r["stat"].update(sleep_index=101), "stat.sleep_index"),
        (lambda r: r["stat"].update(sleep_index=49.5), "stat.sleep_index"),
        (lambda r: r["stat"].update(time_in_bed=3600 * 5), "stat.time_in_bed"),
        (lambda r: r["stat"].update(sleep_latency=2**60), "stat.sleep_latency"),
        (lambda r: r["stat"].update(waso_count=500), "stat.waso_count"),
        (lambda r: r["stat"].update(breathing_index=10**30), "stat.breathing_index"),
        (
            lambda r: r["stat"].update(sleep_cycle_time=[r["stat"]["sleep_time"]] * 200),
            "stat.sleep_cycle_time",
        ),
        (lambda r: r["session"].update(end_time="2034-07-15T02:50:29+00:00"), "session.end_time"),
        (
            lambda r: r["session"].update(state="OPEN", end_time=None, sleep_stages=[0] * 30_000),
            "session.sleep_stages",
        ),
    ],
    ids=[
        "sleep_index 10**400",
        "sleep_index 101",
        "sleep_index 49.5",
        "time_in_bed over the session",
        "latency 2**60",
        "more awakenings than epochs",
        "breathing_index 10**30",
        "more cycles than epochs",
        "a 9.5-year session",
        "an OPEN session with 30,000 epochs",
    ],
)
def test_numbers_outside_the_contract_are_refused_naming_the_field(
    hostile, example_result, edit, field
) -> None:
    result = copy.deepcopy(example_result)
    edit(result)
    with pytest.raises(errors.PayloadError, match=rf"^{field.replace('.', '[.]')}: "):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", errors.PayloadWarning)
            SessionResult.from_payload(result)
    hostile.behave("raw", status=200, body=_body(result))
    with _client(hostile) as client:  # the same through the network and load_session: no bare error
        raised, elapsed, _ = _probe(
            lambda: asleep_nb.load_session(client, IDS.example_session, user_id=IDS.example_user)
        )
    assert type(raised) is errors.PayloadError and raised.field == field and elapsed < 2


def test_the_session_length_bound_is_far_above_a_day_and_far_below_years() -> None:
    from asleep_nb.definitions.contract import MAX_SESSION_SECONDS

    assert 2 * 86400 < MAX_SESSION_SECONDS < 30 * 86400


# ----------------------------------------------------------------------------- 5. consistency warnings


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda r: r["session"].update(state="CLOSED"), r"stat: present on a session in state CLOSED"),
        (lambda r: r["stat"].update(sleep_time="2025-01-15T02:00:00+00:00"), r"stat: sleep_time .* outside"),
        (lambda r: r["stat"].update(time_in_sleep=1110), r"stat: time_in_sleep is 1110, but light \+ deep"),
        (
            lambda r: r["stat"].update(time_in_bed=3570),
            r"stat: time_in_bed is 3570, but end_time - start_time gives 3600 \(session 20250115025029_\w+\)",
        ),
        (lambda r: r["stat"].update(sleep_latency=60), r"stat: sleep_time is .* start_time \+ sleep_latency"),
    ],
    ids=["stat on a CLOSED session", "sleep_time before the start", "sleep parts", "time in bed", "onset"],
)
def test_a_stat_breaking_the_contracts_rules_warns_at_load_time(hostile, example_result, edit, match) -> None:
    result = copy.deepcopy(example_result)
    edit(result)
    hostile.behave("raw", status=200, body=_body(result))
    with _client(hostile) as client, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # one broken rule may break others too: see them all
        ds = asleep_nb.load_session(client, IDS.example_session, user_id=IDS.example_user)
    said = [str(w.message) for w in caught if issubclass(w.category, errors.ContractWarning)]
    assert any(re.search(match, message) for message in said), said
    assert ds.attrs["session_id"] == IDS.example_session  # kept as sent


def test_a_stat_its_stages_contradict_warns_at_load_time(hostile, example_result) -> None:
    result = copy.deepcopy(example_result)
    result["stat"]["waso_count"] += 1  # breaks no identity of the contract: only the recomputation sees it
    hostile.behave("raw", status=200, body=_body(result))
    said = r"contradicts \(waso_count\)"
    with _client(hostile) as client, pytest.warns(errors.ContractWarning, match=said):
        ds = asleep_nb.load_session(client, IDS.example_session, user_id=IDS.example_user)
    assert int(ds["waso_count"]) == result["stat"]["waso_count"]  # kept as sent
    cohort = to_cohort([SessionResult.from_payload(result)])
    differences = verify_cohort(cohort)
    assert differences[["session_id", "field"]].values.tolist() == [[IDS.example_session, "waso_count"]]
    assert differences["server"].tolist() == [result["stat"]["waso_count"]]


def test_the_published_example_breaks_no_rule(example_result) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", errors.ContractWarning)
        SessionResult.from_payload(copy.deepcopy(example_result))


# ----------------------------------------------------------------------------- 9. the id escape hatch

UNUSUAL_SESSION = "20230608020315_hz82"  # the contract's example of an id that breaks the format


def test_ids_outside_the_contract_are_refused_before_any_request_by_default(standin_fresh) -> None:
    with Client(standin_fresh.api_key, base_url=standin_fresh.url, max_retries=0) as client:
        assert client.settings.id_check == "contract"
        with pytest.raises(errors.InvalidIdentifier, match="id_check='lenient'"):
            client.get_session(UNUSUAL_SESSION, user_id=IDS.example_user)
        with pytest.raises(errors.InvalidIdentifier):
            client.get_user("user.name-1")
    assert standin_fresh.request_count == 0


def test_lenient_ids_go_to_the_server_which_judges_them(standin_fresh) -> None:
    with Client(
        standin_fresh.api_key, base_url=standin_fresh.url, max_retries=0, id_check="lenient"
    ) as client:
        with pytest.raises(
            errors.InvalidSessionId, match="The format of sleep session id 20230608020315_hz82"
        ):
            client.get_session(UNUSUAL_SESSION, user_id=IDS.example_user)
        with pytest.raises(errors.InvalidIdentifier):  # the server's 400 is in both branches
            client.list_sessions("user.name-1")
        assert (
            client.get_session(IDS.example_session, user_id=IDS.example_user).session.id
            == IDS.example_session
        )
        assert standin_fresh.request_count == 3
        for unsafe in ("../etc", "a b", "a/b", ".hidden", "x" * 129, "ｆｕｌｌ", "a\x00b", "%2e%2e", ""):
            with pytest.raises(errors.InvalidIdentifier, match="safe to send"):
                client.get_session(unsafe, user_id=IDS.example_user)
            with pytest.raises(errors.InvalidIdentifier, match="safe to send"):
                client.get_user(unsafe)
    assert standin_fresh.request_count == 3  # nothing unsafe was sent


def test_the_id_check_comes_from_the_environment_and_is_checked(monkeypatch) -> None:
    monkeypatch.setenv("ASLEEP_ID_CHECK", "lenient")
    with Client(KEY, base_url="http://127.0.0.1:9") as client:
        assert client.settings.id_check == "lenient"
    with Client(KEY, base_url="http://127.0.0.1:9", id_check="contract") as client:
        assert client.settings.id_check == "contract"
    monkeypatch.setenv("ASLEEP_ID_CHECK", "anything")
    with pytest.raises(ValueError, match="id_check must be one of 'contract', 'lenient'"):
        Client(KEY, base_url="http://127.0.0.1:9")


def test_the_vendor_engines_own_stats_break_no_rule() -> None:
    """Oracle: stats computed by the vendor-exact engine (pysleep-checked) never warn or fail the bounds."""
    import numpy as np

    from asleep_nb.stats.vendor import compute_stat

    rng = np.random.default_rng(24)
    start = datetime(2025, 1, 15, 22, 0, tzinfo=UTC)
    for i in range(300):  # bounded: 300 generated nights
        n = int(rng.integers(0, 1200))
        codes = [0, 1] if i % 5 == 0 else [-1, 0, 1, 2, 3]
        stages = rng.choice(codes, size=n, p=None).tolist()
        if i % 7 == 0:
            stages = [0] * n  # never slept
        end = start + timedelta(seconds=30 * n + int(rng.integers(0, 30)))  # a partial last epoch
        snoring = rng.integers(0, 2, size=n).tolist()
        stat = compute_stat(stages, start, end, snoring_stages=snoring, two_stage=i % 5 == 0)
        result = {
            "timezone": "UTC",
            "peculiarities": ["NO_BREATHING_STABILITY"],
            "missing_data_ratio": 0.0,
            "session": {
                "id": "20250115220000_gener",
                "state": "COMPLETE",
                "start_time": start.isoformat(),
                "end_time": end.isoformat(),
                "unexpected_end_time": None,
                "created_timezone": "UTC",
                "sleep_stages": stages,
                "breath_stages": None,
                "snoring_stages": snoring,
            },
            "stat": stat,
        }
        with warnings.catch_warnings():
            warnings.simplefilter("error", errors.ContractWarning)
            SessionResult.from_payload(result)
