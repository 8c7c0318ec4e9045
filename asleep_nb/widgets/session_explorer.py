"""SessionExplorer: pick a user, a night and a time zone; see the hypnogram and the numbers.

The explorer only wires other layers together: :meth:`Client.list_sessions`
fills the session picker, :meth:`Client.get_session` and
:func:`~asleep_nb.data.night.to_dataset` load the night,
:func:`~asleep_nb.plot.hypnogram` draws it, :func:`~asleep_nb.stats.verify`
checks the server's stat against the recomputation. Every failure becomes a
status line inside the widget; the controls keep working.

Examples
--------
>>> from asleep_nb.widgets import SessionExplorer
>>> explorer = SessionExplorer()          # doctest: +SKIP
>>> explorer                              # doctest: +SKIP
>>> explorer.timezone.value = "Asia/Seoul"  # doctest: +SKIP
>>> explorer.dataset["time_in_sleep"]     # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from asleep_nb.timezones import available_timezones, validate_timezone
from asleep_nb.widgets._explorer import Explorer
from asleep_nb.widgets._format import MISSING, local_time, percent, rows_html, session_label, stat_table_html
from asleep_nb.widgets._messages import Level, describe_error
from asleep_nb.widgets._render import Quiet, figure_png, new_figure, read_users

__all__ = ["SessionExplorer"]

_NOT_FINISHED_STATES = ("OPEN", "CLOSED")


def _text(value: Any) -> str:
    """The plain label of a str enum or a string."""
    return str(getattr(value, "value", value))


class SessionExplorer(Explorer):
    """Explore one user's nights: user, session and time-zone pickers over a hypnogram and a stat table.

    Parameters
    ----------
    client
        A :class:`~asleep_nb.api.client.Client`. ``None`` calls
        :func:`asleep_nb.connect` (the local demo when ``ASLEEP_API_KEY`` is
        not set).
    users
        The user ids offered by the user picker: a list of ids, a manifest
        ``DataFrame`` or the path of a manifest CSV (column ``user_id``, and
        optionally ``timezone``). ``None`` uses the demo manifest. Any other
        id can be typed into the picker.
    timezone
        IANA zone the night is shown in. ``None`` follows each user's
        manifest zone (``"UTC"`` when unknown) until a zone is picked.

    Attributes
    ----------
    user, session, timezone : ipywidgets.Combobox, ipywidgets.Dropdown, ipywidgets.Combobox
        The controls; set their ``value`` to drive the explorer from code.
    status, table, details : ipywidgets.HTML
        The status line (CSS classes ``asleep-status`` and ``asleep-error``,
        ``asleep-warning``, ``asleep-info`` or ``asleep-ok``), the stat table
        and the state / peculiarities / verification block.
    image : ipywidgets.Image
        The hypnogram as PNG.
    widget : ipywidgets.VBox
        The whole explorer; displaying the explorer displays it.
    result, dataset
        The loaded :class:`~asleep_nb.api.records.SessionResult` and its
        ``xarray.Dataset`` (``None`` when nothing is loaded).
    message : str
        The current status text.

    Examples
    --------
    >>> import asleep_nb
    >>> explorer = asleep_nb.SessionExplorer(timezone="Europe/Paris")  # doctest: +SKIP
    >>> explorer.session.options[:1]                                    # doctest: +SKIP
    (('Sat 2025-03-29 23:12 · 7h41 · COMPLETE', '20250329221200_ab12c'),)
    """

    def __init__(self, client: Any = None, *, users: Any = None, timezone: str | None = None) -> None:
        if timezone is not None:
            validate_timezone(timezone)
        if client is None:
            from asleep_nb.connection import connect

            client = connect()
        self.client = client
        self._user_ids, self._user_zones = read_users(users)
        self._follow_user_zone = timezone is None
        first = self._user_ids[0] if self._user_ids else ""
        self._zone = timezone or self._user_zones.get(first, "UTC")
        self._user_id = ""
        self.result: Any = None
        self.dataset: Any = None
        self.message = ""
        self._quiet = Quiet()

        self.user = widgets.Combobox(
            options=self._user_ids,
            value="",
            ensure_option=False,
            continuous_update=False,
            placeholder="type or pick a user id",
            description="User",
            layout=widgets.Layout(width="420px"),
        )
        self.session = widgets.Dropdown(
            options=[], description="Session", layout=widgets.Layout(width="420px")
        )
        self.timezone = widgets.Combobox(
            options=list(available_timezones()),
            value=self._zone,
            ensure_option=False,
            continuous_update=False,
            placeholder="IANA zone, e.g. Europe/Paris",
            description="Time zone",
            layout=widgets.Layout(width="320px"),
        )
        self.status = widgets.HTML()
        self.image = widgets.Image(
            format="png", layout=widgets.Layout(max_width="100%", align_self="flex-start")
        )
        self.table = widgets.HTML()
        self.details = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HBox(
                    [self.user, self.session, self.timezone], layout=widgets.Layout(flex_flow="wrap")
                ),
                self.status,
                self.image,
                widgets.HBox([self.table, self.details], layout=widgets.Layout(grid_gap="24px")),
            ]
        )
        self.widget.add_class("asleep-session-explorer")
        for control, name in (
            (self.user, "user"),
            (self.session, "session"),
            (self.timezone, "timezone"),
            (self.status, "status-line"),
            (self.image, "hypnogram"),
            (self.table, "stat-table"),
            (self.details, "details"),
        ):
            control.add_class(f"asleep-{name}")  # stable hooks for CSS and browser tests

        self.user.observe(self._quiet.observer(self._on_user), names="value")
        self.session.observe(self._quiet.observer(self._on_session), names="value")
        self.timezone.observe(self._quiet.observer(self._on_timezone), names="value")

        if first:
            self.user.value = first  # lists the sessions and loads the newest
        else:
            self._set_status("Type a user id to start.", "info")

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        return (
            f"SessionExplorer(user={self._user_id!r}, session={self.session.value!r}, "
            f"timezone={self._zone!r})"
        )

    # ---------------------------------------------------------------- handlers
    def _on_user(self, change: dict) -> None:
        self._select_user(str(change["new"] or ""))

    def _on_session(self, change: dict) -> None:
        self._load_session()

    def _on_timezone(self, change: dict) -> None:
        name = str(change["new"] or "").strip()
        try:
            validate_timezone(name)
        except Exception as exc:
            with self._quiet:  # keep the previous zone, shown and used
                self.timezone.value = self._zone
            self._set_status(f"{describe_error(exc)}; keeping {self._zone}.", "error")
            return
        self._follow_user_zone = False
        if name == self._zone:
            return
        self._zone = name
        self._refresh_sessions(keep=self.session.value)

    # ------------------------------------------------------------------- steps
    def _select_user(self, user_id: str) -> None:
        user_id = user_id.strip()
        if not user_id:
            self._set_status("Type or pick a user id.", "info")
            return
        self._user_id = user_id
        zone = self._user_zones.get(user_id)
        if self._follow_user_zone and zone and zone != self._zone:
            with self._quiet:
                self.timezone.value = zone
            self._zone = zone
        self._refresh_sessions(keep=None)

    def _refresh_sessions(self, keep: str | None) -> None:
        """List the user's sessions in the current zone; select ``keep`` (or the newest) and load it."""
        if not self._user_id:
            return
        self._set_status(f"Listing the sessions of {self._user_id}…", "info")
        try:
            summaries = self.client.list_sessions(self._user_id, timezone=self._zone)
        except Exception as exc:
            self._set_options([])
            self._clear_night()
            self._set_status(describe_error(exc), "error")
            return
        options = [(session_label(s, self._zone), s.session_id) for s in summaries]
        self._set_options(options, keep)
        if not options:
            self._clear_night()
            self._set_status(f"No sessions for user {self._user_id}.", "warning")
            return
        self._load_session()

    def _set_options(self, options: list[tuple[str, str]], keep: str | None = None) -> None:
        with self._quiet:
            self.session.options = options
            ids = [sid for _, sid in options]
            self.session.value = keep if keep in ids else (ids[0] if ids else None)

    def _load_session(self) -> None:
        session_id = self.session.value
        if not session_id:
            return
        self._set_status(f"Loading session {session_id}…", "info")
        try:
            result = self.client.get_session(session_id, user_id=self._user_id, timezone=self._zone)
            from asleep_nb.data.night import to_dataset

            dataset = to_dataset(result, timezone=self._zone)
        except Exception as exc:
            self._clear_night()
            self._set_status(describe_error(exc), "error")
            return
        self.result, self.dataset = result, dataset
        self._render()

    # --------------------------------------------------------------- rendering
    def _render(self) -> None:
        result, ds, zone = self.result, self.dataset, self._zone
        state = _text(result.state)
        peculiarities = [_text(p) for p in result.peculiarities]
        problems: list[str] = []

        n_epochs = int(ds.sizes.get("time", 0))
        if n_epochs:
            try:
                self.image.value = self._hypnogram_png(ds)
                self.image.layout.display = None
            except Exception as exc:
                self._hide_image()
                problems.append(f"hypnogram not drawn: {describe_error(exc)}")
        else:
            self._hide_image()

        session = result.session
        extra = [
            ("session", _text(session.id)),
            ("start", local_time(session.start_time, zone, "%a %Y-%m-%d %H:%M")),
            ("end", local_time(session.end_time, zone, "%a %Y-%m-%d %H:%M")),
            ("time zone", zone),
        ]
        if result.stat is not None:
            self.table.value = stat_table_html(ds, zone, extra=extra)
        else:
            self.table.value = rows_html(extra, columns=2)

        verification = self._verification()
        self.details.value = rows_html(
            [
                ("state", state),
                ("peculiarities", ", ".join(peculiarities) or "none"),
                ("missing data", percent(result.missing_data_ratio)),
                ("epochs", str(n_epochs)),
                ("check", verification),
            ],
            css_class="asleep-details",
        )

        if state in _NOT_FINISHED_STATES:
            shown = "partial hypnogram shown" if n_epochs else "no epochs yet"
            level: Level = "warning"
            text = f"Analysis not finished (state {state}): no statistics yet; {shown}."
        elif not result.is_valid:
            level = "warning"
            text = f"Invalid session ({', '.join(peculiarities)}): no statistics."
        elif result.stat is None:
            level = "warning"
            text = f"No statistics for this session ({', '.join(peculiarities) or 'stat is null'})."
        else:
            level = "ok"
            text = f"Session {session.id} ({state}), {n_epochs} epochs, times in {zone}."
        if problems:
            level, text = "error", f"{text} {'; '.join(problems)}."
        self._set_status(text, level)

    def _hypnogram_png(self, ds: Any) -> bytes:
        from asleep_nb.plot import hypnogram

        fig = new_figure(9.0, 2.8)
        ax = fig.subplots()
        hypnogram(ds, ax=ax)
        return figure_png(fig)

    def _verification(self) -> str:
        """``verified: matches recomputation``, or the fields that differ."""
        if self.result.stat is None:
            return f"nothing to verify ({MISSING} no stat)"
        try:
            from asleep_nb.stats import verify

            differences = verify(self.result)
        except Exception as exc:
            return f"could not verify: {describe_error(exc)}"
        if not differences:
            return "verified: matches recomputation"
        parts = [f"{name} (server {a}, recomputed {b})" for name, (a, b) in differences.items()]
        return "differs from recomputation: " + "; ".join(parts)

    def _hide_image(self) -> None:
        self.image.value = b""
        self.image.layout.display = "none"

    def _clear_night(self) -> None:
        self.result = None
        self.dataset = None
        self._hide_image()
        self.table.value = ""
        self.details.value = ""
