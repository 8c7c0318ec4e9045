r"""Figures that follow the page's theme: a light and a dark PNG, and the stylesheet that picks one.

The kernel cannot see the page's theme, but the page can: with ``theme="auto"``
an explorer draws each figure twice (light ink on white, and
:func:`asleep_nb.plot._theme.to_dark` on a transparent background) into two
``Image`` widgets, and :func:`theme_css` (an ``HTML`` widget holding a
``<style>``) shows the dark one under a dark JupyterLab, Notebook 7, Voilà or
VS Code theme (:data:`~asleep_nb.definitions.theme.DARK_THEME_SELECTORS`) and
the light one everywhere else. ``"light"`` and ``"dark"`` draw one variant.

Examples
--------
>>> from matplotlib.figure import Figure
>>> shown = ThemedImage("hypnogram", "auto")
>>> fig = Figure(figsize=(2, 1))
>>> _ = fig.subplots().plot([0, 1], color="black")
>>> shown.show(fig)
>>> bytes(shown.light.value)[:4], bytes(shown.dark.value)[:4]
(b'\x89PNG', b'\x89PNG')
>>> "data-jp-theme-light" in theme_css().value
True
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from asleep_nb.definitions.theme import DARK_THEME_SELECTORS, THEMES, Theme
from asleep_nb.widgets._render import figure_png

__all__ = ["ThemedImage", "theme_css", "check_theme", "AUTO_CLASS"]

#: Class of an explorer whose figures follow the page (``theme="auto"``).
AUTO_CLASS = "asleep-theme-auto"


def check_theme(theme: str) -> Theme:
    """``theme`` if it is one of :data:`~asleep_nb.definitions.theme.THEMES`, else ``ValueError``.

    Examples
    --------
    >>> check_theme("dark")
    'dark'
    """
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {THEMES}, got {theme!r}")
    return theme  # type: ignore[return-value]


def theme_css() -> widgets.HTML:
    """An ``HTML`` widget whose ``<style>`` shows each figure's variant for the page's theme."""
    dark = ", ".join(f"{s} .{AUTO_CLASS} .asleep-figure-light" for s in DARK_THEME_SELECTORS)
    shown = ", ".join(f"{s} .{AUTO_CLASS} .asleep-figure-dark" for s in DARK_THEME_SELECTORS)
    css = (
        f".{AUTO_CLASS} .asleep-figure-dark {{ display: none !important; }}\n"
        f"{dark} {{ display: none !important; }}\n"
        f"{shown} {{ display: inline-block !important; }}\n"
    )
    style = widgets.HTML(f"<style>{css}</style>", layout=widgets.Layout(height="0px", margin="0px"))
    style.add_class("asleep-theme-css")
    return style


class ThemedImage:
    """Two ``Image`` widgets for one figure, light and dark, shown by :func:`theme_css`.

    Parameters
    ----------
    name
        CSS class of both images (``asleep-<name>``), a hook for tests and styles.
    theme
        ``"auto"``, ``"light"`` or ``"dark"``: which variants are drawn.
    layout
        Keyword arguments of each image's ``ipywidgets.Layout``.
    """

    def __init__(self, name: str, theme: Theme, **layout: Any) -> None:
        self.theme = check_theme(theme)
        self.light = widgets.Image(format="png", layout=widgets.Layout(**layout))
        self.dark = widgets.Image(format="png", layout=widgets.Layout(**layout))
        for image, variant in ((self.light, "light"), (self.dark, "dark")):
            image.add_class(f"asleep-{name}")
            image.add_class(f"asleep-figure-{variant}")
        self._visible = True
        self._update_display()

    @property
    def children(self) -> list[widgets.Image]:
        """Both images, to put in a box."""
        return [self.light, self.dark]

    def show(self, fig: Any) -> None:
        """Render ``fig`` (a drawn matplotlib figure) into the variants the theme needs."""
        from asleep_nb.plot._theme import to_dark

        light = figure_png(fig, close=False) if self.theme != "dark" else b""
        dark = b""
        if self.theme != "light":
            if not light:
                fig.canvas.draw()  # tick labels exist before recolouring
            fig.set_layout_engine("none")  # laid out once: the dark variant reuses the positions
            dark = figure_png(to_dark(fig), transparent=True)
        else:
            figure_png(fig)  # releases a pyplot figure
        self.light.value, self.dark.value = light, dark
        self._visible = True
        self._update_display()

    def clear(self) -> None:
        """Show nothing."""
        self.light.value = self.dark.value = b""
        self._visible = False
        self._update_display()

    def _update_display(self) -> None:
        self.light.layout.display = None if self._visible and self.theme != "dark" else "none"
        self.dark.layout.display = None if self._visible and self.theme != "light" else "none"
