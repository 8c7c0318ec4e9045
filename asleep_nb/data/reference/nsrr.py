"""Reference scorings as NSRR XML (``PSGAnnotation`` / ``ScoredEvents``), parsed with ``defusedxml``.

The files are untrusted input: they are parsed by :mod:`defusedxml.sax`
with DTDs, entity declarations and external references forbidden, so an
entity bomb ("billion laughs") or an external entity is refused at once
with a :class:`~asleep_nb.errors.ReferenceFileError`, never expanded.

What is read: every ``ScoredEvent`` whose ``EventType`` starts with
``Stages`` (``Stages|Stages``), in file order: ``EventConcept`` the label
(``Wake|0``, ``Stage 1 sleep|1`` ... ``Stage 4 sleep|4``, ``REM sleep|5``,
``Movement|6``, ``Unscored|9``), ``Start`` and ``Duration`` in seconds from
the recording start. Other events (arousals, desaturations) are skipped. An
``EpochLength`` other than 30 is refused. NSRR files give the start clock
without a date, so the start time comes from the reference manifest
(``start_time``) or the caller. Messages name the line of the event's
``<ScoredEvent>`` tag.

Examples
--------
>>> import tempfile, pathlib
>>> f = pathlib.Path(tempfile.mkdtemp()) / "n.xml"
>>> _ = f.write_text(
...     "<PSGAnnotation><EpochLength>30</EpochLength><ScoredEvents>"
...     "<ScoredEvent><EventType>Stages|Stages</EventType><EventConcept>Wake|0</EventConcept>"
...     "<Start>0</Start><Duration>60</Duration></ScoredEvent></ScoredEvents></PSGAnnotation>"
... )
>>> read_nsrr(f, start_time="2025-01-01T22:00:00Z").stages.tolist()
[0, 0]
"""

from __future__ import annotations

import io
import os
import xml.sax
from datetime import datetime
from pathlib import Path
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import Locator

from defusedxml import DefusedXmlException
from defusedxml.sax import parse as defused_parse

from asleep_nb.data.reference.delimited import MAX_FILE_BYTES, read_bytes
from asleep_nb.data.reference.epochs import (
    MAX_EPOCHS,
    Row,
    Scoring,
    parse_instant,
    parse_seconds,
    scoring_from_rows,
)
from asleep_nb.definitions import EPOCH_SECONDS
from asleep_nb.errors import ReferenceFileError, shorten

__all__ = ["read_nsrr"]

_FIELDS = ("EventType", "EventConcept", "Start", "Duration")


class _Events(ContentHandler):
    """Collects the stage events of a ``ScoredEvents`` list, each with its line."""

    def __init__(self, shown: str) -> None:
        super().__init__()
        self.shown = shown
        self.locator: Locator | None = None
        self.rows: list[Row] = []
        self.epoch_length: str | None = None
        self._event: dict[str, str] | None = None
        self._line = 0
        self._field: str | None = None
        self._text: list[str] = []

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def _where(self) -> str:
        return f"line {self.locator.getLineNumber() if self.locator else '?'}"

    def startElement(self, name: str, attrs: object) -> None:
        if name == "ScoredEvent":
            self._event, self._line = {}, int(self.locator.getLineNumber() or 0) if self.locator else 0
        elif (self._event is not None and name in _FIELDS) or name == "EpochLength":
            self._field, self._text = name, []

    def characters(self, content: str) -> None:
        if self._field is not None:
            self._text.append(content)

    def endElement(self, name: str) -> None:
        if name == self._field:
            text = "".join(self._text).strip()
            if name == "EpochLength":
                self.epoch_length = text
            elif self._event is not None:
                self._event[name] = text
            self._field = None
        elif name == "ScoredEvent" and self._event is not None:
            event, self._event = self._event, None
            if event.get("EventType", "").startswith("Stages"):
                self._add(event, f"line {self._line}")

    def _add(self, event: dict[str, str], where: str) -> None:
        if len(self.rows) >= MAX_EPOCHS:
            raise ReferenceFileError(self.shown, f"more than {MAX_EPOCHS} stage events (72 h)", where)
        values = []
        for name in ("Start", "Duration"):
            if name not in event:
                raise ReferenceFileError(self.shown, f"the stage event has no {name}", where)
            values.append(parse_seconds(event[name], name, self.shown, where))
        self.rows.append(Row(values[0], values[1], event.get("EventConcept", ""), where))


def read_nsrr(
    path: str | os.PathLike[str],
    *,
    start_time: str | datetime | None = None,
    shown: str | None = None,
) -> Scoring:
    """Read one night from an NSRR XML annotation file (see the module for what is read).

    Parameters
    ----------
    path
        The XML file.
    start_time
        ISO 8601 instant with a UTC offset of the recording start (``Start`` 0). Required.
    shown
        How messages name the file (default: ``path`` as given).

    Returns
    -------
    Scoring

    Raises
    ------
    ReferenceFileError
        Missing file, malformed XML, a DTD or entity declaration (refused as
        unsafe), an ``EpochLength`` other than 30, no start time, or a rule of
        :func:`~asleep_nb.data.reference.epochs.scoring_from_rows` broken (the
        message names the line).

    Examples
    --------
    >>> read_nsrr("no/such.xml")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ReferenceFileError: reference no/such.xml: file not found
    """
    shown = os.fspath(path) if shown is None else shown
    data = read_bytes(Path(path), shown, MAX_FILE_BYTES)
    handler = _Events(shown)
    try:
        defused_parse(io.BytesIO(data), handler, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ReferenceFileError(
            shown,
            f"refused as unsafe XML ({type(exc).__name__}: DTDs and entities are not read)",
            handler._where(),
        ) from None
    except xml.sax.SAXParseException as exc:
        raise ReferenceFileError(
            shown, f"malformed XML: {exc.getMessage()}", f"line {exc.getLineNumber()}"
        ) from None
    if handler.epoch_length is not None:
        try:
            length = float(handler.epoch_length)
        except ValueError:
            length = float("nan")
        if length != EPOCH_SECONDS:
            raise ReferenceFileError(
                shown,
                f"EpochLength {shorten(handler.epoch_length)}: only {EPOCH_SECONDS}-s scorings are read",
            )
    if start_time is None:
        raise ReferenceFileError(
            shown,
            "no start time: NSRR XML gives no date; give start_time (reference manifest column or argument)",
        )
    origin = parse_instant(start_time, shown, "start_time")
    return scoring_from_rows(handler.rows, shown, origin)
