"""connect(): the real API when a key is set, else the demo stand-in (started once)."""

from __future__ import annotations

import pytest

from asleep_nb.connection import close_demo_server, connect, demo_server

pytest.importorskip("asleep_nb.api.client")


@pytest.fixture
def demo_env(monkeypatch, standin_data_dir):
    monkeypatch.delenv("ASLEEP_API_KEY", raising=False)
    monkeypatch.delenv("ASLEEP_BASE_URL", raising=False)
    monkeypatch.delenv("ASLEEP_NB_STANDIN_KEY", raising=False)
    monkeypatch.setenv("ASLEEP_NB_DEMO_DIR", str(standin_data_dir))
    close_demo_server()
    yield
    close_demo_server()


def test_without_key_uses_the_demo_and_says_so_once(demo_env, capsys, standin_ids, example_result):
    client = connect()
    out = capsys.readouterr().out
    server = demo_server()
    line = (
        "asleep_nb: no ASLEEP_API_KEY set; using the built-in demo API at "
        f"{server.url} (6 users, 258 sessions)"
    )
    assert out.splitlines() == [line]
    assert server.api_key not in out
    assert client.base_url == server.url
    payload = client.get_session_payload(standin_ids.example_session, user_id=standin_ids.example_user)
    assert payload == example_result
    again = connect(verbose=False)
    assert again.base_url == server.url and demo_server() is server  # reused, not restarted
    assert capsys.readouterr().out == ""
    client.close()
    again.close()


def test_with_a_key_uses_the_given_api(demo_env, capsys, monkeypatch):
    client = connect(api_key="a-real-key", base_url="http://127.0.0.1:9", timeout=5)
    assert client.base_url == "http://127.0.0.1:9" and client.timeout == 5
    monkeypatch.setenv("ASLEEP_API_KEY", "env-key")
    monkeypatch.setenv("ASLEEP_BASE_URL", "http://127.0.0.1:10")
    assert connect().base_url == "http://127.0.0.1:10"
    monkeypatch.delenv("ASLEEP_BASE_URL")
    assert connect().base_url == "https://api.asleep.ai"
    assert capsys.readouterr().out == ""
    import asleep_nb.connection as module

    assert module._demo is None  # no stand-in was started


def test_base_url_without_key(demo_env, monkeypatch):
    with pytest.raises(ValueError, match="no API key"):
        connect(base_url="http://127.0.0.1:8000")
    monkeypatch.setenv("ASLEEP_NB_STANDIN_KEY", "local")
    assert connect(base_url="http://127.0.0.1:8000").base_url == "http://127.0.0.1:8000"


def test_missing_demo_data(demo_env, monkeypatch, tmp_path):
    monkeypatch.setenv("ASLEEP_NB_DEMO_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="ASLEEP_NB_DEMO_DIR"):
        connect()
