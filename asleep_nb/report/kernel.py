r"""Executing a report notebook in a fresh kernel, and telling expected failures from bugs.

The kernel talks to this process over IPC (Unix sockets in a private
temporary folder), not over TCP: nothing is sent in plain text on a network
port, and ipykernel has no reason to warn about it. It runs in the caller's
working folder, with this ``asleep_nb`` first on its ``PYTHONPATH``.

A cell that raises an :class:`~asleep_nb.errors.AsleepError` (a bad
manifest, a session that cannot be had, ...) ends the run with a
:class:`~asleep_nb.report.errors.ReportError` carrying the exception's
message alone; any other exception is a bug and is raised as the
:class:`nbclient.exceptions.CellExecutionError`, traceback included (without
terminal colours).

Examples
--------
>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
>>> execute(nb)
>>> print(nb.cells[0].outputs[0].text, end="")
42
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import asleep_nb.loading.archive  # noqa: F401  (ArchiveCorrupt: an expected error a cell may raise)
from asleep_nb.errors import AsleepError, ValidationError
from asleep_nb.report.errors import ReportError, ReportInputError

__all__ = ["execute", "kernel_env"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def kernel_env() -> dict[str, str]:
    """The kernel's environment: this process's, with this ``asleep_nb`` first on ``PYTHONPATH``.

    The report must use the same code as the caller, even from a source
    checkout run with a relative ``PYTHONPATH``. ``PYTHONHASHSEED`` is fixed so
    nothing in a figure can depend on string hashing.

    Examples
    --------
    >>> kernel_env()["PYTHONHASHSEED"]
    '0'
    """
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))])
    return env


def execute(nb: Any, *, kernel_name: str = "python3", timeout: int = 900, cwd: str | None = None) -> None:
    """Run every cell of ``nb`` in place, in a new kernel reached over IPC.

    Parameters
    ----------
    nb
        An ``nbformat`` notebook; outputs are written into it.
    kernel_name
        Jupyter kernel to start.
    timeout
        Seconds any one cell may run.
    cwd
        The kernel's working folder (default: this process's).

    Raises
    ------
    ReportError
        A cell raised an :class:`~asleep_nb.errors.AsleepError` (the message is
        the exception's), a cell ran past ``timeout``, or there is no such
        kernel.
    nbclient.exceptions.CellExecutionError
        A cell raised anything else: a bug, reported with its traceback.
    """
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="asleep-nb-kernel-") as sockets:
        # the client creates (and so shuts down) the kernel manager; the config makes it use IPC
        ipc = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(sockets, "ipc")}})
        client = NotebookClient(
            nb,
            kernel_name=kernel_name,
            config=ipc,
            timeout=timeout,
            resources={"metadata": {"path": cwd or os.getcwd()}},
            record_timing=False,
        )
        try:
            client.execute(env=kernel_env())
        except CellExecutionError as exc:
            expected = _expected(exc)
            if expected is not None:
                raise expected from None
            raise CellExecutionError(_ANSI.sub("", exc.traceback), exc.ename, exc.evalue) from None
        except CellTimeoutError:
            raise ReportError(f"a cell of the report ran longer than {timeout} s") from None
        except NoSuchKernel:
            raise ReportInputError(f"no Jupyter kernel named {kernel_name!r} is installed") from None


def _expected(exc: Any) -> ReportError | None:
    """The :class:`ReportError` for a cell that failed with an ``AsleepError``, else ``None``."""
    known = _error_classes()
    cls = known.get(exc.ename)
    if cls is None:
        return None
    message = "\n".join(_ANSI.sub("", str(exc.evalue)).splitlines()[:2])
    if issubclass(cls, ReportError):
        return cls(message)
    if issubclass(cls, ValidationError):
        return ReportInputError(f"{exc.ename}: {message}")
    return ReportError(f"{exc.ename}: {message}")


def _error_classes() -> dict[str, type[AsleepError]]:
    """Every :class:`AsleepError` subclass known to this process, by class name."""
    found: dict[str, type[AsleepError]] = {}
    todo: list[type[AsleepError]] = [AsleepError]
    while todo:
        cls = todo.pop()
        found.setdefault(cls.__name__, cls)
        todo.extend(cls.__subclasses__())
    return found
