"""What the cohort figures share: group order, tick labels with counts, stacked-stage legends."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from asleep_nb.definitions import SleepStage
from asleep_nb.plot._style import RC_PARAMS, STACK_ORDER, STAGE_COLORS, stage_labels, text_width, width_inches

__all__ = [
    "stack_codes",
    "group_order",
    "stack_legend",
    "count",
    "group_counts",
    "group_title",
    "group_ticks",
    "fit_name",
]


def stack_codes(two_stage: bool) -> tuple[tuple[int, ...], dict[int, str]]:
    """Stage codes stacked bottom to top, and their labels (two-stage nights: sleep, wake, no signal)."""
    if two_stage:
        return (SleepStage.LIGHT, SleepStage.WAKE, SleepStage.ERROR), stage_labels(True)
    return STACK_ORDER, stage_labels(False)


def group_order(labels: np.ndarray) -> list[Any]:
    """The distinct group labels, sorted by their text."""
    return sorted(pd.unique(labels).tolist(), key=str)


def stack_legend(
    target: Axes, codes: Sequence[int], names: dict[int, str], extra: Sequence[Artist] = (), **kw: Any
) -> None:
    """A legend of stage patches, top of the stack first, then the ``extra`` handles."""
    handles = [Patch(color=STAGE_COLORS[c], label=names[c]) for c in reversed(codes)]
    target.legend(handles=[*handles, *extra], **kw)


def count(n: int, noun: str) -> str:
    """``"1 user"``, ``"3 users"``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def group_counts(n_users: int | None, n_nights: int) -> str:
    """The size of one group, as its tick label says it: ``"3 users, 12 nights"``.

    Examples
    --------
    >>> group_counts(3, 12), group_counts(None, 1)
    ('3 users, 12 nights', '1 night')
    """
    nights = count(int(n_nights), "night")
    return nights if n_users is None else f"{count(int(n_users), 'user')}, {nights}"


def group_title(group: Any, counts: str, width: float, points: float) -> str:
    r"""``"group (counts)"`` on one line if it fits ``width`` inches at ``points``, else on two.

    Examples
    --------
    >>> group_title("apnea", "55 users, 55 nights", 4.0, 9), group_title("apnea", "5 users", 0.5, 9)
    ('apnea (55 users, 55 nights)', 'apnea\n5 users')
    """
    line = f"{group} ({counts})"
    return line if text_width(line, points) <= width else f"{group}\n{counts}"


def group_ticks(ax: Axes, order: Sequence[Any], counts: Sequence[str], many: int = 6) -> None:
    """Group names with their counts underneath; beyond ``many`` groups, names only, slanted.

    The counts (``"3 users, 12 nights"``) stay on one line under the name
    while each group's slot of the axes is wide enough for them, and break
    at the commas (one count per line) when it is not, so neighbouring
    labels never run into each other.
    """
    if len(order) > many:
        ax.set_xticks(np.arange(len(order)), [str(g) for g in order], rotation=35, ha="right",
                      rotation_mode="anchor")  # fmt: skip
        return
    slot = width_inches(ax) / max(len(order), 1)
    points = float(RC_PARAMS["xtick.labelsize"])
    lines = [f"({c})" for c in counts]
    if any(text_width(line, points) > 0.95 * slot for line in lines):
        lines = [c.replace(", ", "\n") for c in counts]
    names = [fit_name(str(g), 0.95 * slot, points) for g in order]
    ax.set_xticks(np.arange(len(order)), [f"{g}\n{line}" for g, line in zip(names, lines, strict=True)])


def fit_name(name: str, width: float, points: float) -> str:
    r"""``name`` broken after ``_`` or ``/`` into lines no wider than ``width`` inches, where it can be.

    Examples
    --------
    >>> fit_name("validation_healthy", 0.7, 8), fit_name("apnea", 0.7, 8)
    ('validation_\nhealthy', 'apnea')
    """
    if text_width(name, points) <= width:
        return name
    lines = [""]
    for part in re.split(r"(?<=[_/])", name):
        if lines[-1] and text_width(lines[-1] + part, points) > width:
            lines.append(part)
        else:
            lines[-1] += part
    return "\n".join(lines)
