"""Typed, immutable records of the Asleep API's payloads.

Every record is a frozen, slotted dataclass whose attributes keep the API's
field names, so ``result.session.start_time`` and ``result.stat.time_in_sleep``
mean what the API reference says. Times become timezone-aware ``datetime``
objects carrying the offset the server sent; stage arrays become read-only
``numpy.int8`` arrays; every field the contract makes nullable stays nullable
(``None``). The payload a record was built from stays reachable as
``record.payload`` (a read-only view) for archiving.

Building a record validates the payload. What does not match the contract
either raises :class:`~asleep_nb.errors.PayloadError`, whose message names the
field as a dotted path (``session.sleep_stages[12]: value 7 is not a sleep
stage code (-1, 0, 1, 2, 3)``), or, when the data is still usable, emits a
:class:`~asleep_nb.errors.PayloadWarning` and keeps what the server sent:

=======================================================  ==================
What is wrong                                            Outcome
=======================================================  ==================
not a JSON object / array where one is required          PayloadError
a required key missing (Get Session, List Sessions)      PayloadError
wrong JSON type (string for an integer, float for an     PayloadError
integer, boolean for a number, ...)
NaN or infinity in a number                              PayloadError
timestamp not ISO 8601 or without a UTC offset           PayloadError
``timezone`` not an IANA zone name                       PayloadError
``created_timezone`` not an IANA zone name               PayloadWarning
negative duration or count; ratio outside [0, 1]         PayloadError
integer past 2**53; duration longer than the session;    PayloadError
count over its epochs; ``sleep_index`` outside 50..100;
session over 7 days (:mod:`~asleep_nb.api.records.bounds`)
stage value outside its code set                         PayloadError
stage array length differs from                          PayloadError
``(end_time - start_time) // 30`` by two epochs or more
``end_time`` or ``unexpected_end_time`` before           PayloadError
``start_time``
webhook ``event`` other than ``SESSION_COMPLETE``        PayloadError
stage array length off by exactly one epoch              PayloadWarning
``stat`` present although a peculiarity says it is null  PayloadWarning
(``IN_PROGRESS``, ``NO_REALTIME_POLLING``,
``TOO_SHORT_FOR_ANALYSIS``,
``TOO_MANY_DEFECTS_IN_SLEEP_STAGES``)
``stat`` null although the session is ``COMPLETE`` and   PayloadWarning
no peculiarity explains it
``stat`` on a session not ``COMPLETE``; a stat time      ContractWarning
outside the session; a stat identity broken
(:mod:`~asleep_nb.api.records.bounds`)
unknown ``state`` or peculiarity label                   PayloadWarning,
                                                         label kept
webhook ``version`` other than ``V3``                    PayloadWarning
unknown extra keys                                       ignored (kept in
                                                         ``payload``)
=======================================================  ==================

Warnings never change the data: a record holds what the server sent. Turn
them into errors with ``warnings.simplefilter("error", PayloadWarning)``.

Get User and Average Stats are documented loosely by the vendor ("...");
their records require only the id and the container types, and read absent
optional keys as ``None``.

Modules: :mod:`~asleep_nb.api.records.session` (Get Session and the webhook),
:mod:`~asleep_nb.api.records.stat` (the ``stat`` object),
:mod:`~asleep_nb.api.records.summary` (List Sessions),
:mod:`~asleep_nb.api.records.user` (Get User),
:mod:`~asleep_nb.api.records.average` (Average Stats),
:mod:`~asleep_nb.api.records.labels` (states and peculiarities),
:mod:`~asleep_nb.api.records.stages` (stage arrays) and the JSON checks
they share (``_parse``). Import the records from here.

Examples
--------
>>> import json
>>> from asleep_nb.api.records import SessionResult
>>> body = json.load(open("data/published_example.json"))
>>> result = SessionResult.from_webhook(body)
>>> result.session.id, result.stat.time_in_sleep, result.user_id
('20250115025029_fvivn', 1080, 'G-20250115025029-vLErWBfQNtnfvgDccFOQ')
"""

from __future__ import annotations

from asleep_nb.api.records.average import AverageStats
from asleep_nb.api.records.labels import Peculiarity, SessionState
from asleep_nb.api.records.session import Session, SessionResult
from asleep_nb.api.records.stat import Stat
from asleep_nb.api.records.summary import SessionSummary
from asleep_nb.api.records.user import LastSessionInfo, User, UserMetadata

__all__ = [
    "SessionState",
    "Peculiarity",
    "Session",
    "Stat",
    "SessionResult",
    "SessionSummary",
    "LastSessionInfo",
    "UserMetadata",
    "User",
    "AverageStats",
]
