"""Files the package ships or finds beside it: where the demo cohort lives.

Nothing here imports another ``asleep_nb`` module, so every layer (the
stand-in server, the widgets, the CLI) asks the same question the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["demo_data_dir"]


def demo_data_dir() -> Path:
    """The folder of the demo cohort.

    ``$ASLEEP_NB_DEMO_DIR`` when set; otherwise ``data/demo`` next to the
    package (a source checkout), then ``asleep_nb/demo_data`` (an installed
    wheel).

    Raises
    ------
    FileNotFoundError
        When none of them exists, saying where it looked.

    Examples
    --------
    >>> demo_data_dir().name
    'demo'
    """
    env = os.environ.get("ASLEEP_NB_DEMO_DIR")
    if env:
        path = Path(env)
        if not path.is_dir():
            raise FileNotFoundError(f"ASLEEP_NB_DEMO_DIR={env!r} is not a folder")
        return path
    package = Path(__file__).resolve().parent
    candidates = [package.parent / "data" / "demo", package / "demo_data"]
    for path in candidates:
        if (path / "sessions").is_dir():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(
        f"demo data folder not found (looked in {looked}); build it with `asleep-nb build-demo` "
        "or point ASLEEP_NB_DEMO_DIR at a stand-in data folder"
    )
