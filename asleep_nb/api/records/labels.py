"""Labels the API sends as strings: session states and peculiarities.

Both are ``str`` enums that keep labels they do not know (the contract says
a client must not fail on a new label): an unknown label becomes a
pseudo-member equal to the string sent, with a
:class:`~asleep_nb.errors.PayloadWarning`.

Examples
--------
>>> from asleep_nb.api.records import Peculiarity, SessionState
>>> SessionState("COMPLETE") is SessionState.COMPLETE, Peculiarity.NEVER_SLEPT == "NEVER_SLEPT"
(True, True)
"""

from __future__ import annotations

import enum
import warnings
from typing import Self, TypeVar

from asleep_nb.api.records._parse import as_string, describe
from asleep_nb.errors import PayloadError, PayloadWarning

__all__ = ["OpenLabel", "SessionState", "Peculiarity", "as_label", "as_labels"]


class OpenLabel(enum.StrEnum):
    """A ``str`` enum that keeps labels it does not know.

    ``Label("SOMETHING_NEW")`` returns a pseudo-member that equals the string,
    hashes like it and prints like a member, and emits a
    :class:`~asleep_nb.errors.PayloadWarning`; ``is_known`` is then ``False``.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        warnings.warn(f"unknown {cls.__name__} label {value!r}: kept as is", PayloadWarning, stacklevel=2)
        return cls._pseudo_member(value)

    @classmethod
    def _pseudo_member(cls, value: str) -> Self:
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """Whether the label is one the toolkit knows (``False`` for a kept unknown label)."""
        return type(self)._value2member_map_.get(self._value_) is self


class SessionState(OpenLabel):
    """``session.state``: ``OPEN`` recording, ``CLOSED`` analysing, ``COMPLETE`` done.

    Unknown states are kept (with a :class:`~asleep_nb.errors.PayloadWarning`).

    Examples
    --------
    >>> SessionState("COMPLETE") is SessionState.COMPLETE
    True
    >>> SessionState.OPEN == "OPEN"
    True
    """

    OPEN = "OPEN"
    CLOSED = "CLOSED"
    COMPLETE = "COMPLETE"


class Peculiarity(OpenLabel):
    """A label of ``result.peculiarities``.

    Unknown labels are kept (with a :class:`~asleep_nb.errors.PayloadWarning`).

    Examples
    --------
    >>> Peculiarity("NEVER_SLEPT").is_known
    True
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     label = Peculiarity("BRAND_NEW_LABEL")
    >>> label == "BRAND_NEW_LABEL", label.is_known
    (True, False)
    """

    IN_PROGRESS = "IN_PROGRESS"
    NEVER_SLEPT = "NEVER_SLEPT"
    TOO_SHORT_FOR_ANALYSIS = "TOO_SHORT_FOR_ANALYSIS"
    TOO_LONG_FOR_ANALYSIS = "TOO_LONG_FOR_ANALYSIS"
    TOO_MANY_DEFECTS_IN_SLEEP_STAGES = "TOO_MANY_DEFECTS_IN_SLEEP_STAGES"
    NO_BREATHING_STABILITY = "NO_BREATHING_STABILITY"
    NO_REALTIME_POLLING = "NO_REALTIME_POLLING"


Label = TypeVar("Label", bound=OpenLabel)


def as_label(cls: type[Label], value: object, path: str) -> Label:
    """The member of ``cls`` named by the JSON string ``value``; an unknown label is kept, with a warning."""
    text = as_string(value, path)
    member = cls._value2member_map_.get(text)
    if isinstance(member, cls):
        return member
    warnings.warn(f"{path}: unknown {cls.__name__} label {text!r}; kept as is", PayloadWarning, stacklevel=4)
    return cls._pseudo_member(text)


def as_labels(cls: type[Label], value: object, path: str) -> tuple[Label, ...]:
    """A JSON array of labels as a tuple of ``cls`` members (see :func:`as_label`)."""
    if not isinstance(value, list | tuple):
        raise PayloadError(path, f"expected an array of strings, got {describe(value)}")
    return tuple(as_label(cls, item, f"{path}[{i}]") for i, item in enumerate(value))
