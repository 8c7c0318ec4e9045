"""SessionExplorer: pick a user, a night and a time zone; see the hypnogram and the numbers.

The explorer only wires other layers together: :meth:`Client.list_sessions`
fills the session picker, :meth:`Client.get_session` and
:func:`~asleep_nb.data.night.to_dataset` load the night,
:func:`~asleep_nb.plot.hypnogram` draws it, :func:`~asleep_nb.stats.verify`
checks the server's stat against the recomputation. Every failure becomes a
status line inside the widget; the controls keep working.

In a notebook: ``explorer = asleep_nb.SessionExplorer()`` then ``explorer`` shows
it; ``explorer.user.value = ...`` drives it from code and ``explorer.dataset``
continues from what it shows (``notebooks/02_exploring_sessions.ipynb``).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from asleep_nb.definitions.identifiers import USER_ID_EXAMPLE, is_user_id
from asleep_nb.timezones import available_timezones, validate_timezone
from asleep_nb.widgets._explorer import Explorer
from asleep_nb.widgets._format import MISSING, local_time, percent, rows_html, session_label, stat_table_html
from asleep_nb.widgets._messages import Level, describe_error
from asleep_nb.widgets._render import Quiet, new_figure, read_users
from asleep_nb.widgets._themed import AUTO_CLASS, ThemedImage, check_theme, theme_css

__all__ = ["SessionExplorer"]

_NOT_FINISHED_STATES = ("OPEN", "CLOSED")


def _recorded_zone(summaries: list[Any]) -> str | None:
    """The zone the newest of ``summaries`` was recorded in (``created_timezone``), if it is a real zone."""
    for summary in summaries:
        zone = getattr(summary, "created_timezone", None)
        if zone:
            try:
                validate_timezone(zone)
            except Exception:
                return None
            return str(zone)
    return None


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
        IANA zone the night is shown in, pinned for every user (the "Keep
        zone" box ticked). ``None`` follows each user's own zone: the zone of
        the user's manifest row, else the zone the user's newest session was
        recorded in (``created_timezone``), else ``"UTC"``. A zone picked in
        the box applies to the user on screen; the next user is shown in
        their own zone unless "Keep zone" is ticked.
    theme
        Figures for the page's theme: ``"auto"`` (both variants drawn; the
        page's JupyterLab/Voilà theme decides which shows), ``"light"`` or
        ``"dark"`` (see :mod:`asleep_nb.definitions.theme`).

    Attributes
    ----------
    user, session, timezone : ipywidgets.Combobox, ipywidgets.Dropdown, ipywidgets.Combobox
        The controls; set their ``value`` to drive the explorer from code.
        Text in the user box that is not a whole user id (part of one)
        filters the user list instead of loading anything; a whole id loads
        that user.
    keep_zone : ipywidgets.Checkbox
        "Keep zone": when ticked, the zone stays as it is when the user
        changes; when not, each user is shown in their own zone.
    status, table, details : ipywidgets.HTML
        The status line (CSS classes ``asleep-status`` and ``asleep-error``,
        ``asleep-warning``, ``asleep-info`` or ``asleep-ok``), the stat table
        and the state / peculiarities / verification block.
    image, image_dark : ipywidgets.Image
        The hypnogram as PNG, for a light and for a dark page (the one the
        theme does not need is empty).
    widget : ipywidgets.VBox
        The whole explorer; displaying the explorer displays it.
    result, dataset
        The loaded :class:`~asleep_nb.api.records.SessionResult` and its
        ``xarray.Dataset`` (``None`` when nothing is loaded).
    message : str
        The current status text.

    """

    def __init__(
        self, client: Any = None, *, users: Any = None, timezone: str | None = None, theme: str = "auto"
    ) -> None:
        if timezone is not None:
            validate_timezone(timezone)
        theme = check_theme(theme)
        if client is None:
            from asleep_nb.connection import connect

            client = connect()
        self.client = client
        self._user_ids, self._user_zones = read_users(users)
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
        self.keep_zone = widgets.Checkbox(
            value=timezone is not None,
            description="Keep zone",
            tooltip="Keep this time zone when the user changes (else each user is shown in their own zone)",
            indent=False,
            layout=widgets.Layout(width="auto"),
        )
        self.status = widgets.HTML()
        self._figure = ThemedImage("hypnogram", theme, max_width="100%", align_self="flex-start")
        self.image, self.image_dark = self._figure.children
        self.table = widgets.HTML()
        self.details = widgets.HTML()
        self.widget = widgets.VBox(
            [
                theme_css(),
                widgets.HBox(
                    [self.user, self.session, self.timezone, self.keep_zone],
                    layout=widgets.Layout(flex_flow="wrap"),
                ),
                self.status,
                *self._figure.children,
                widgets.HBox([self.table, self.details], layout=widgets.Layout(grid_gap="24px")),
            ]
        )
        self.widget.add_class("asleep-session-explorer")
        if theme == "auto":
            self.widget.add_class(AUTO_CLASS)
        for control, name in (
            (self.user, "user"),
            (self.session, "session"),
            (self.timezone, "timezone"),
            (self.keep_zone, "keep-zone"),
            (self.status, "status-line"),
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

    def _stills(self) -> list[bytes]:
        return [bytes(self.image.value)]

    # ---------------------------------------------------------------- handlers
    def _on_user(self, change: dict) -> None:
        text = str(change["new"] or "").strip()
        if text and (text in self._user_ids or is_user_id(text)):
            with self._quiet:
                self.user.options = self._user_ids
            self._select_user(text)
        else:
            self._filter_users(text)

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
        if name == self._zone:
            return
        self._zone = name
        self._refresh_sessions(keep=self.session.value)

    # ------------------------------------------------------------------- steps
    def _filter_users(self, text: str) -> None:
        """Part of an id (or nothing): narrow the user list to the ids containing it; load nothing."""
        matches = [u for u in self._user_ids if text.lower() in u.lower()]
        with self._quiet:
            self.user.options = matches or self._user_ids
        if not text:
            self._set_status("Type or pick a user id.", "info")
        elif matches:
            users = "1 user id contains" if len(matches) == 1 else f"{len(matches)} user ids contain"
            self._set_status(f"{users} {text!r}: pick one from the list.", "info")
        else:
            self._set_status(
                f"Invalid user id: {text!r} is not a whole user id (like {USER_ID_EXAMPLE}) and no listed "
                "id contains it; the night shown stays.",
                "error",
            )

    def _select_user(self, user_id: str) -> None:
        self._user_id = user_id
        summaries = self._list_sessions()
        if summaries is None:
            return
        if not self.keep_zone.value:  # the user's own zone, unless the zone is pinned
            zone = self._user_zones.get(user_id) or _recorded_zone(summaries) or "UTC"
            if zone != self._zone:
                with self._quiet:
                    self.timezone.value = zone
                self._zone = zone
        self._show_sessions(summaries, keep=None)

    def _list_sessions(self) -> list[Any] | None:
        """The user's sessions (``None`` after a failure, said in the status)."""
        self._set_status(f"Listing the sessions of {self._user_id}…", "info")
        try:
            return list(self.client.list_sessions(self._user_id, timezone=self._zone))
        except Exception as exc:
            self._set_options([])
            self._clear_night()
            self._set_status(describe_error(exc), "error")
            return None

    def _refresh_sessions(self, keep: str | None) -> None:
        """List the user's sessions in the current zone; select ``keep`` (or the newest) and load it."""
        if not self._user_id:
            return
        summaries = self._list_sessions()
        if summaries is not None:
            self._show_sessions(summaries, keep)

    def _show_sessions(self, summaries: list[Any], keep: str | None) -> None:
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
                self._figure.show(self._hypnogram_figure(ds))
            except Exception as exc:
                self._figure.clear()
                problems.append(f"hypnogram not drawn: {describe_error(exc)}")
        else:
            self._figure.clear()

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

    def _hypnogram_figure(self, ds: Any) -> Any:
        from asleep_nb.plot import hypnogram

        fig = new_figure(9.0, 2.8)
        hypnogram(ds, ax=fig.subplots())
        return fig

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

    def _clear_night(self) -> None:
        self.result = None
        self.dataset = None
        self._figure.clear()
        self.table.value = ""
        self.details.value = ""
