"""The client against a hostile server on 127.0.0.1: never silently wrong, never stuck, never leaking.

Each probe asserts the exact error type, that time and memory stayed bounded
(measured: wall clock, ``tracemalloc`` peak, with generous margins) and, with
an archive, that nothing valid was lost or overwritten.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from conftest import IDS, OTHER_SESSION
from hostile import KEY, MiB, hostile_client, key_fragments, probe

from asleep_nb import errors
from asleep_nb.api.client import Client
from asleep_nb.loading.archive import Archive
from asleep_nb.widgets._messages import describe_error


def _get(
    client: Client, session_id: str = IDS.example_session, timezone: str = "UTC"
) -> Callable[[], object]:
    return lambda: client.get_session(session_id, user_id=IDS.example_user, timezone=timezone)


def test_an_honest_answer_goes_through(hostile) -> None:
    with hostile_client(hostile) as client:
        result = client.get_session(IDS.example_session, user_id=IDS.example_user, timezone="Asia/Seoul")
    assert result.session.id == IDS.example_session and result.timezone == "Asia/Seoul"


# ----------------------------------------------------------------------------- identity


def test_another_session_is_refused_naming_both(hostile) -> None:
    hostile.behave("other_session", other=OTHER_SESSION)
    with hostile_client(hostile) as client:
        raised, elapsed, _ = probe(_get(client))
        with pytest.raises(errors.IdentityMismatch):
            client.get_session_payload(IDS.example_session, user_id=IDS.example_user)
    assert type(raised) is errors.IdentityMismatch and elapsed < 2
    assert (raised.field, raised.expected, raised.received) == (
        "session.id",
        IDS.example_session,
        OTHER_SESSION,
    )
    assert IDS.example_session in str(raised) and OTHER_SESSION in str(raised)
    assert hostile.attempts == 2  # never retried


def test_another_zone_is_refused_naming_both(hostile) -> None:
    hostile.behave("other_zone", zone="Asia/Seoul")
    with hostile_client(hostile) as client:
        raised, _, _ = probe(_get(client, timezone="UTC"))
        with pytest.raises(errors.IdentityMismatch, match=r"'Europe/Paris'.*'Asia/Seoul'"):
            client.list_sessions(IDS.example_user, timezone="Europe/Paris")
    assert type(raised) is errors.IdentityMismatch and raised.field == "timezone"
    assert "'UTC'" in str(raised) and "'Asia/Seoul'" in str(raised)


def test_another_user_is_refused(hostile) -> None:
    hostile.behave("other_user", user="G-20250115025029-AAAAAAAAAAAAAAAAAAAA")
    with hostile_client(hostile) as client, pytest.raises(errors.IdentityMismatch, match="user_id"):
        client.get_user(IDS.example_user)


def test_a_wrong_answer_never_reaches_or_overwrites_the_archive(hostile, tmp_path) -> None:
    archive = Archive(tmp_path)
    with hostile_client(hostile) as client:
        archive.fetch(client, OTHER_SESSION, user_id=IDS.example_user)  # B, honestly, COMPLETE
        stored = (tmp_path / archive.entry(OTHER_SESSION).file).read_bytes()
        manifest = (tmp_path / "manifest.jsonl").read_bytes()
        hostile.behave("other_session", other=OTHER_SESSION)  # asked A, answers B
        with pytest.raises(errors.IdentityMismatch):
            archive.fetch(client, IDS.example_session, user_id=IDS.example_user)
        hostile.behave("other_zone", zone="Asia/Seoul")  # asked UTC, answers Seoul
        with pytest.raises(errors.IdentityMismatch):
            archive.fetch(client, IDS.example_session, user_id=IDS.example_user)
    assert (tmp_path / archive.entry(OTHER_SESSION).file).read_bytes() == stored
    assert (tmp_path / "manifest.jsonl").read_bytes() == manifest
    assert [e.session_id for e in archive.entries()] == [OTHER_SESSION]
    assert not list((tmp_path / "sessions").rglob(f"{IDS.example_session}*"))


# ----------------------------------------------------------------------------- bounded in time


@pytest.mark.parametrize("part", ["body", "headers"])
def test_a_trickled_answer_is_cut_at_the_deadline_of_each_attempt(hostile, part) -> None:
    hostile.behave("trickle", interval=0.05, part=part)
    with hostile_client(hostile, timeout=0.4, max_retries=1) as client:
        raised, elapsed, _ = probe(_get(client))
    assert type(raised) is errors.DeadlineExceeded
    assert "0.4 s deadline" in str(raised) and "2 attempts" in str(raised)
    assert hostile.attempts == 2
    assert 0.7 < elapsed < 2.0  # two attempts of 0.4 s, not the minutes the server would take


def test_a_name_lookup_that_hangs_ends_at_the_deadline(hostile, monkeypatch) -> None:
    # getaddrinfo takes no timeout: a resolver that hangs must not hold the call past its deadline
    real_lookup, asked = socket.getaddrinfo, []

    def hanging(host, *args, **kwargs):
        if host == "slow-dns.invalid":
            asked.append(host)
            time.sleep(3.0)  # a resolver timing out, far beyond the 0.4 s deadline
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real_lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    url = hostile.url.replace("127.0.0.1", "slow-dns.invalid")
    with Client(KEY, base_url=url, timeout=0.4, max_retries=1, backoff_factor=0.0) as client:
        raised, elapsed, _ = probe(_get(client))
    assert type(raised) is errors.DeadlineExceeded
    assert "0.4 s deadline" in str(raised) and "2 attempts" in str(raised)
    assert 0.7 < elapsed < 2.0 and asked == ["slow-dns.invalid"] * 2 and hostile.attempts == 0

    # a name that resolves takes the same path and reaches the server
    with Client(KEY, base_url=hostile.url.replace("127.0.0.1", "localhost"), timeout=2.0) as client:
        assert _get(client)().session.id == IDS.example_session


def test_an_unknown_name_is_a_connection_error_naming_it(hostile, monkeypatch) -> None:
    real_lookup = socket.getaddrinfo

    def unknown(host, *args, **kwargs):  # what a resolver answers at once for a name it has no record of
        if host == "no-such-host.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    url = hostile.url.replace("127.0.0.1", "no-such-host.invalid")
    with Client(KEY, base_url=url, timeout=2.0, max_retries=0) as client:
        raised, elapsed, _ = probe(_get(client))
    assert isinstance(raised, errors.AsleepError) and not isinstance(raised, errors.DeadlineExceeded)
    assert "Failed to resolve 'no-such-host.invalid'" in str(raised) and elapsed < 1.0


def test_a_fast_answer_after_a_trickled_one_uses_a_fresh_connection(hostile) -> None:
    with hostile_client(hostile, timeout=0.3) as client:
        hostile.behave("trickle", interval=0.05)
        with pytest.raises(errors.DeadlineExceeded):
            _get(client)()
        hostile.behave("honest")
        for _ in range(5):
            assert client.get_session(IDS.example_session, user_id=IDS.example_user).session.id


@pytest.mark.parametrize(
    ("status", "detail"), [(429, "Too Many Requests"), (403, "Rate limit exceeded"), (503, "Unavailable")]
)
def test_an_endless_retry_after_fails_at_once_saying_when(hostile, status, detail) -> None:
    hostile.behave("retry_after", value="100000", status=status, detail=detail)
    with hostile_client(hostile, max_retries=5, max_wait=2.0) as client:
        raised, elapsed, _ = probe(_get(client))
    expected = errors.ServerError if status == 503 else errors.RateLimited
    assert type(raised) is expected and elapsed < 1.0 and hostile.attempts == 1
    assert "allows the next try in 100000 s (at 20" in str(raised) and "max_wait=2 s" in str(raised)
    if expected is errors.RateLimited:
        assert raised.retry_after == 100000.0


def test_a_retry_after_date_far_ahead_fails_at_once(hostile) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(days=2), usegmt=True)
    hostile.behave("retry_after", value=when)
    with hostile_client(hostile, max_retries=3) as client:
        raised, elapsed, _ = probe(_get(client))
    assert type(raised) is errors.RateLimited and elapsed < 1.0 and raised.retry_after > 86400


def test_a_short_retry_after_is_honoured(hostile) -> None:
    hostile.behave("retry_after", value="1")
    with hostile_client(hostile, max_retries=1, max_wait=5.0) as client:
        raised, elapsed, _ = probe(_get(client))
    assert type(raised) is errors.RateLimited and raised.retry_after == 1.0
    assert hostile.attempts == 2 and 0.9 < elapsed < 3


def test_one_budget_for_5xx_429_and_403_rate_limits(hostile) -> None:
    answers = [(503, "Unavailable"), (429, "Too Many Requests"), (403, "Rate limit exceeded"), (502, "Bad")]
    hostile.behave("sequence", answers=answers)
    with hostile_client(hostile, max_retries=3) as client:
        raised, elapsed, _ = probe(_get(client))
    assert type(raised) is errors.ServerError and raised.status_code == 502
    assert hostile.attempts == 4 and elapsed < 2
    hostile.behave("sequence", answers=answers)
    with hostile_client(hostile, max_retries=4) as client:
        assert client.get_session(IDS.example_session, user_id=IDS.example_user).session.id
    assert hostile.attempts == 5
    hostile.behave("sequence", answers=[(403, "Quota exceeded")])
    with hostile_client(hostile, max_retries=4) as client:
        with pytest.raises(errors.QuotaExceeded):
            _get(client)()
    assert hostile.attempts == 1


# ----------------------------------------------------------------------------- bounded in memory


def test_a_gzip_bomb_is_refused_within_the_inflated_limit(hostile) -> None:
    hostile.behave("gzip_bomb", inflated=64 * MiB)
    with hostile_client(hostile, max_inflated_bytes=MiB, max_retries=2) as client:
        raised, elapsed, peak = probe(_get(client))
    assert type(raised) is errors.ResponseTooLarge and "inflates to over" in str(raised)
    assert hostile.attempts == 1  # never retried
    assert peak < 8 * MiB and elapsed < 2  # 64 MiB were on offer


@pytest.mark.parametrize("declared", [True, False])
def test_an_oversized_body_is_refused_within_the_body_limit(hostile, declared) -> None:
    hostile.behave("oversized", size=50 * MiB, declared=declared)
    with hostile_client(hostile, max_body_bytes=MiB) as client:
        raised, elapsed, peak = probe(_get(client))
    assert type(raised) is errors.ResponseTooLarge
    assert ("body is 52428800 bytes" if declared else "body is over") in str(raised)
    assert peak < 8 * MiB and elapsed < 2


def test_the_default_limits_are_named_and_sensible() -> None:
    with Client(KEY, base_url="http://127.0.0.1:9") as client:
        settings = client.settings
    assert (settings.timeout, settings.max_retries, settings.max_wait) == (30.0, 5, 60.0)
    assert settings.max_body_bytes == 16 * MiB and settings.max_inflated_bytes == 64 * MiB


# ----------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("raw", [False, True], ids=["json", "text"])
def test_an_echoed_key_never_shows_whatever_its_position_across_the_cut(hostile, raw) -> None:
    with hostile_client(hostile) as client:
        for at in range(250, 320):  # the detail is cut at 300 characters
            hostile.behave("echo_key", at=at, raw=raw)
            with pytest.raises(errors.AsleepAPIError) as info:
                client.get_user(IDS.example_user)
            raised = info.value
            shown = " ".join([str(raised), repr(raised), raised.detail, describe_error(raised)])
            assert not key_fragments(shown), (at, key_fragments(shown))
            assert len(raised.detail) <= 300


@pytest.mark.parametrize("where", ["reason", "content-type"])
def test_an_echoed_key_in_a_header_never_shows(hostile, where) -> None:
    hostile.behave("echo_key", at=0, where=where)
    with hostile_client(hostile) as client, pytest.raises(errors.AsleepError) as info:
        client.get_user(IDS.example_user)
    shown = " ".join([str(info.value), repr(info.value), describe_error(info.value)])
    assert "<api key>" in shown and not key_fragments(shown)


def test_an_echoed_key_in_a_payload_value_is_masked_before_it_is_named(hostile, hostile_payloads) -> None:
    hostile.payloads["20250117000000_keyed"] = {**hostile_payloads[OTHER_SESSION]}
    hostile.payloads["20250117000000_keyed"]["session"] = {
        **hostile_payloads[OTHER_SESSION]["session"],
        "id": KEY,
    }
    with hostile_client(hostile) as client:
        raised, _, _ = probe(_get(client, "20250117000000_keyed"))
    assert type(raised) is errors.IdentityMismatch and "<api key>" in str(raised)
    assert not key_fragments(str(raised) + repr(raised.received))


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_never_followed_so_the_key_stays_home(hostile, status) -> None:
    from hostile import HostileServer

    with HostileServer() as elsewhere:
        hostile.behave("redirect", location=f"{elsewhere.url}/steal", status=status)
        with hostile_client(hostile, max_retries=2) as client:
            raised, elapsed, _ = probe(lambda: client.get_user(IDS.example_user))
        assert type(raised) is errors.ServerError and raised.status_code == status
        assert elsewhere.attempts == 0 and hostile.attempts == 1 and elapsed < 1
