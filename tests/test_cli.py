"""``asleep-nb serve`` in a subprocess, then the printed curl example."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from asleep_nb.cli import SUBCOMMANDS, build_parser, main

REPO = Path(__file__).resolve().parents[1]


def _start(data_dir, *extra, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != "ASLEEP_NB_STANDIN_KEY"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env.update(env_extra or {})
    cmd = [sys.executable, "-m", "asleep_nb.cli", "serve", "--port", "0", "--data-dir", str(data_dir), *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if "curl" in line:
            break
    return proc, lines


def _stop(proc, sig=signal.SIGINT):
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, out, err


def test_serve_then_curl_returns_the_published_example(standin_data_dir, example_result):
    proc, lines = _start(standin_data_dir)
    try:
        assert lines[0].startswith("asleep-nb stand-in API: 6 users, 258 sessions from ")
        url = lines[1].split()[2]
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        assert "local stand-in only" in lines[2]
        command = shlex.split(lines[-1])
        assert command[0] == "curl" and command[-1] == f"{url}/data/v3/sessions/20250115025029_fvivn"
        if shutil.which("curl"):
            body = subprocess.run(command, capture_output=True, check=True, timeout=20).stdout
        else:  # the same request with requests
            hdrs = dict(h.split(": ", 1) for h in command[command.index("-H") + 1 :: 2][:3])
            body = requests.get(command[-1], headers=hdrs, timeout=10).content
        assert json.loads(body) == {"detail": "OK", "result": example_result}
    finally:
        code, out, err = _stop(proc)
    assert code == 0, err
    assert "stopped" in out


def test_serve_with_a_given_key_does_not_print_it(standin_data_dir):
    proc, lines = _start(standin_data_dir, env_extra={"ASLEEP_NB_STANDIN_KEY": "my-local-secret"})
    try:
        text = "\n".join(lines)
        assert "my-local-secret" not in text
        assert "API key: the value of ASLEEP_NB_STANDIN_KEY" in text
        assert '"x-api-key: $ASLEEP_NB_STANDIN_KEY"' in lines[-1]
        url = lines[1].split()[2]
        r = requests.get(
            f"{url}/ai/v1/users/G-20250115025029-vLErWBfQNtnfvgDccFOQ",
            headers={"x-api-key": "my-local-secret"},
        )
        assert r.json()["detail"] == "success"
    finally:
        code, _, err = _stop(proc, signal.SIGTERM)
    assert code == 0, err


def test_serve_reports_a_missing_folder(tmp_path, capsys):
    assert main(["serve", "--port", "0", "--data-dir", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_parser_registry():
    assert "serve" in SUBCOMMANDS
    args = build_parser().parse_args(["serve", "--port", "0", "--latency", "0.05"])
    assert (args.port, args.latency, args.api_key, args.data_dir) == (0, 0.05, None, None)
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_help_states_the_exit_statuses_it_uses(name, capsys):
    """Each --help says what 2 (bad input) means, and 1 (data not to be had) where the command has it."""
    with pytest.raises(SystemExit):
        main([name, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "exit status: 0" in text and "2 bad input" in text
    if name in ("fetch", "report", "sync"):  # the commands that fetch data, so can miss some
        assert "1 " in text.split("exit status:")[1]


def test_the_top_level_help_states_the_exit_statuses(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "1 data could not be had; 2 bad input" in text


def test_serve_bad_port_is_status_2(capsys):
    assert main(["serve", "--port", "70000"]) == 2
    assert "port" in capsys.readouterr().err
