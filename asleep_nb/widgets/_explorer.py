"""The base both explorers share: notebook display and the status line.

Examples
--------
>>> import ipywidgets as widgets
>>> class Tiny(Explorer):
...     def __init__(self):
...         self.client, self.status = None, widgets.HTML()
...         self.widget = widgets.VBox([self.status])
>>> tiny = Tiny()
>>> tiny._set_status("ready", "ok")
>>> tiny.message, "asleep-ok" in tiny.status.value
('ready', True)
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from asleep_nb.widgets._messages import Level, client_secrets, redact, status_html

__all__ = ["Explorer"]


class Explorer:
    """Displays as its ``widget`` and keeps one redacted status line.

    A subclass sets ``widget`` (the whole explorer), ``status`` (an
    ``ipywidgets.HTML``) and ``client`` (whose secrets are redacted from
    every message); :meth:`_set_status` sets ``message`` and ``status``.

    Examples
    --------
    See the module docstring.
    """

    widget: widgets.Widget
    status: widgets.HTML
    client: Any
    message: str

    def _stills(self) -> list[bytes]:
        """The PNGs of the figures shown now, for the still image (subclasses say which)."""
        return []

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The live widget, a still image of the figures and the repr (:func:`~._render.still_bundle`)."""
        from asleep_nb.widgets._render import still_bundle

        return still_bundle(self, self._stills())

    def _set_status(self, text: str, level: Level) -> None:
        text = redact(text, client_secrets(self.client))
        self.message = text
        self.status.value = status_html(text, level)
