"""Colours that follow the notebook's theme: status lines and the dark variant of figures.

Status colours are CSS custom properties of JupyterLab (and Voilà, Notebook 7,
which share its themes), so a status line takes the theme's own success,
warning and error colours, light or dark; the hex after the comma is the
fallback where no JupyterLab theme is loaded (classic pages, nbconvert HTML).

Figures are drawn in light ink on white; their dark variant mirrors the
lightness of every neutral colour (black ink becomes near-white, a light grey
band a dark one) on a transparent background, while the stage colours
(Okabe-Ito, readable on both) keep their defined values.

Examples
--------
>>> STATUS_COLORS["ok"]
'var(--jp-success-color1, #1b6e20)'
>>> THEMES
('auto', 'light', 'dark')
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "Theme",
    "THEMES",
    "STATUS_COLORS",
    "NEUTRAL_TOLERANCE",
    "DARK_THEME_SELECTORS",
]

Theme = Literal["auto", "light", "dark"]
#: Figure themes of the explorers: ``"auto"`` follows the page's theme (both
#: variants drawn, the page's stylesheet shows the one that fits), ``"light"``
#: and ``"dark"`` draw one.
THEMES: tuple[str, ...] = ("auto", "light", "dark")

#: Colour of each status level: a JupyterLab theme variable with a fallback.
STATUS_COLORS: dict[str, str] = {
    "error": "var(--jp-error-color1, #b00020)",
    "warning": "var(--jp-warn-color1, #a05a00)",
    "info": "var(--jp-ui-font-color2, #555555)",
    "ok": "var(--jp-success-color1, #1b6e20)",
}

#: A colour is neutral (a grey, black or white, mirrored in a dark figure)
#: when its red, green and blue differ by at most this much (0..1).
NEUTRAL_TOLERANCE: float = 0.04

#: CSS selectors of a page in a dark theme: JupyterLab, Notebook 7 and Voilà
#: set ``data-jp-theme-light="false"`` on ``body``; VS Code sets ``vscode-dark``.
DARK_THEME_SELECTORS: tuple[str, ...] = ('body[data-jp-theme-light="false"]', "body.vscode-dark")
