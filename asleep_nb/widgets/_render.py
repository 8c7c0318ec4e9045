r"""Shared plumbing of the explorers: figures to PNG bytes, suppressible observers, user lists.

Examples
--------
>>> from matplotlib.figure import Figure
>>> fig = Figure(figsize=(2, 1))
>>> _ = fig.subplots().plot([0, 1])
>>> figure_png(fig)[:4]
b'\x89PNG'
"""

from __future__ import annotations

import base64
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "figure_png",
    "new_figure",
    "Quiet",
    "read_users",
    "demo_manifest_path",
    "still_png",
    "still_bundle",
]


def new_figure(width: float = 9.0, height: float = 3.2) -> Any:
    """A matplotlib ``Figure`` detached from pyplot (nothing to close, never shown).

    Examples
    --------
    >>> new_figure(4, 2).get_size_inches().tolist()
    [4.0, 2.0]
    """
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def figure_png(fig: Any, dpi: int = 96, *, transparent: bool = False, close: bool = True) -> bytes:
    """Render a matplotlib figure to PNG bytes, then (``close``) close it if pyplot knows it.

    ``transparent`` leaves the figure and axes backgrounds out (a dark page shows through).
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, transparent=transparent)
    if close and "matplotlib.pyplot" in sys.modules:  # a figure made by pyplot must be released
        sys.modules["matplotlib.pyplot"].close(fig)
    return buffer.getvalue()


def still_png(pngs: list[bytes], gap: int = 12) -> bytes:
    """The PNG images ``pngs`` side by side on white, top-aligned (empty ones left out); ``b""`` if none.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> one = figure_png(Figure(figsize=(1, 1)))
    >>> from PIL import Image
    >>> import io
    >>> Image.open(io.BytesIO(still_png([one, b"", one]))).size
    (204, 96)
    """
    from PIL import Image

    images = [Image.open(io.BytesIO(png)).convert("RGBA") for png in pngs if png]
    if not images:
        return b""
    width = sum(im.width for im in images) + gap * (len(images) - 1)
    canvas = Image.new("RGBA", (width, max(im.height for im in images)), (255, 255, 255, 255))
    x = 0
    for im in images:
        canvas.alpha_composite(im, (x, 0))
        x += im.width + gap
    buffer = io.BytesIO()
    canvas.convert("RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def still_bundle(explorer: Any, pngs: list[bytes]) -> dict[str, Any]:
    """An explorer's display data: the live widget, a still image of its figures, and its repr.

    A page that shows widgets (a running kernel, a trusted notebook, Voilà)
    shows the live explorer; one that cannot (an untrusted or unexecuted
    notebook in JupyterLab, GitHub, nbviewer without widget state) shows the
    still ``image/png`` of its figures instead of the widget's text repr; and
    plain text is the explorer's own ``repr``.
    """
    data: dict[str, Any] = dict(explorer.widget._repr_mimebundle_())
    data["text/plain"] = repr(explorer)
    still = still_png(pngs)
    if still:
        data["image/png"] = base64.b64encode(still).decode("ascii")
    return data


class Quiet:
    """A flag that silences widget observers while the explorer sets values itself.

    Examples
    --------
    >>> quiet = Quiet()
    >>> with quiet:
    ...     bool(quiet)
    True
    >>> bool(quiet)
    False
    """

    def __init__(self) -> None:
        self._depth = 0

    def __enter__(self) -> Quiet:
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1

    def __bool__(self) -> bool:
        return self._depth > 0

    def observer(self, handler: Callable[[dict], None]) -> Callable[[dict], None]:
        """Wrap ``handler`` so it does nothing while the flag is raised."""

        def wrapped(change: dict) -> None:
            if not self:
                handler(change)

        return wrapped


def demo_manifest_path() -> Path | None:
    """Where the demo cohort's ``manifest.csv`` lives, or ``None`` when there is none.

    The demo folder is the one the stand-in serves
    (:func:`asleep_nb.resources.demo_data_dir`: ``$ASLEEP_NB_DEMO_DIR``,
    ``data/demo`` or the packaged ``asleep_nb/demo_data``).
    """
    from asleep_nb.resources import demo_data_dir

    try:
        path = demo_data_dir() / "manifest.csv"
    except FileNotFoundError:
        return None
    return path if path.is_file() else None


def read_users(users: Any) -> tuple[list[str], dict[str, str]]:
    """User ids and their manifest time zones from a list, a manifest DataFrame or a CSV path.

    Parameters
    ----------
    users
        ``None`` (the demo manifest, when there is one), a sequence of user
        ids, a ``pandas.DataFrame`` with a ``user_id`` column (and optionally
        ``timezone``), or the path of such a CSV file.

    Returns
    -------
    ids, zones
        The distinct ids in order of first appearance, and ``{user_id: zone}``
        for the users whose manifest row names a zone.

    Raises
    ------
    ValueError
        When a manifest has no ``user_id`` column.
    TypeError
        When ``users`` is of another type.

    Examples
    --------
    >>> read_users(["a", "b", "a"])
    (['a', 'b'], {})
    """
    if users is None:
        path = demo_manifest_path()
        return read_users(path) if path is not None else ([], {})
    if isinstance(users, str | os.PathLike):
        users = pd.read_csv(users, dtype=str)
    if isinstance(users, pd.DataFrame):
        if "user_id" not in users.columns:
            raise ValueError(f"the manifest has no 'user_id' column (columns: {list(users.columns)})")
        ids = list(dict.fromkeys(str(u) for u in users["user_id"].dropna()))
        zones: dict[str, str] = {}
        if "timezone" in users.columns:
            for uid, zone in zip(users["user_id"], users["timezone"], strict=True):
                if isinstance(zone, str) and zone and isinstance(uid, str):
                    zones.setdefault(uid, zone)
        return ids, zones
    if isinstance(users, bytes) or not hasattr(users, "__iter__"):
        raise TypeError(
            f"users must be a list of ids, a manifest DataFrame or a CSV path, not {type(users).__name__}"
        )
    return list(dict.fromkeys(str(u) for u in users)), {}
