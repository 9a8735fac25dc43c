"""Matplotlib figures for a web server: no pyplot (nothing global to close), a Chinese font
when one is installed, PNG bytes for the page, and redraws that cost little.

Matplotlib is not thread-safe and its style lives in global rcParams, so figures are built,
drawn and encoded one at a time under :data:`FIGURE_LOCK` and the dashboard's style
(:func:`styled`). A figure that changes every step is a :class:`BlitFigure`: its static part
(axes, ticks, titles, the town's grids) is drawn once and kept as a picture; a step draws only
the artists that changed over it.

Chinese labels need a CJK font (Debian: ``fonts-wqy-microhei``, which ``make test`` installs
with chromium). Without one, :func:`plot_lang` falls back to English so a chart never shows
empty boxes.

Example:
    >>> def line(n):
    ...     fig = new_figure(3, 2)
    ...     fig.subplots().plot(range(n))
    ...     return fig
    >>> render(line, 5)[:4]
    b'\\x89PNG'
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from matplotlib import font_manager, rc_context
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from coordination.words import Lang

CJK_FAMILIES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC",
                "Source Han Sans SC", "Droid Sans Fallback", "AR PL UMing CN")
DPI = 100
FIGURE_LOCK = threading.RLock()
# the CJK fonts have no bold face; matplotlib says so at every start and then uses the regular one
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
STYLE = {"font.size": 9.5, "axes.titlesize": 10, "axes.titleweight": "bold", "axes.labelsize": 9,
         "legend.fontsize": 8.5, "xtick.labelsize": 8.5, "ytick.labelsize": 8.5,
         "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": DPI}


@cache
def cjk_family() -> str | None:
    """The family of an installed CJK font, registering its file with matplotlib if needed."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower()
        if any(k in name for k in ("wqy", "notosanscjk", "notosanssc", "droidsansfallback", "uming")):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in known), None)


def plot_lang(lang: Lang) -> Lang:
    """The language a figure can be labelled in: Chinese only when a CJK font is installed."""
    return "zh" if lang == "zh" and cjk_family() is not None else "en"


def style() -> dict[str, object]:
    """rcParams for the dashboard's figures: readable on a projector, CJK glyphs if available."""
    family = cjk_family()
    return {**STYLE, "font.family": ["DejaVu Sans", family] if family else ["DejaVu Sans"]}


@contextmanager
def styled() -> Iterator[None]:
    """Hold the figure lock and the dashboard's style while building or drawing figures."""
    with FIGURE_LOCK, rc_context(style()):
        yield


def new_figure(width: float, height: float, *, layout: str | None = "constrained") -> Figure:
    """A figure of ``width`` × ``height`` inches (100 px each), drawn by Agg."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def encode(canvas: FigureCanvasAgg) -> bytes:
    """What the canvas shows now, as PNG bytes (fast compression: the page needs it now)."""
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def png(fig: Figure) -> bytes:
    """The whole figure, drawn now, as PNG bytes."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return encode(canvas)


def render(draw: Callable[..., Figure], *args: Any, **kwargs: Any) -> bytes:
    """Build a figure with ``draw(*args, **kwargs)`` in the dashboard's style; its PNG bytes."""
    with styled():
        return png(draw(*args, **kwargs))


class BlitFigure:
    """A figure redrawn by parts: the static picture once, the changing artists each time.

    Build the figure and call :meth:`animate` on the artists that change; :meth:`png` draws.
    Call :meth:`invalidate` when something static changed (axis limits, labels).

    Example:
        >>> with styled():
        ...     fig = new_figure(3, 2, layout=None)
        ...     ax = fig.subplots()
        ...     _ = ax.set_xlim(0, 10), ax.set_ylim(0, 10)
        ...     (line,) = ax.plot([], [])
        >>> blit = BlitFigure(fig)
        >>> blit.animate(line)
        >>> first = blit.png()
        >>> line.set_data([0, 5, 10], [2, 8, 3])
        >>> first != blit.png()
        True
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        self.dynamic: list[Artist] = []
        self._background: Any = None

    def animate(self, *artists: Artist) -> None:
        """Mark artists as changing: they are drawn over the static picture each time."""
        for artist in artists:
            artist.set_animated(True)
            self.dynamic.append(artist)

    def invalidate(self) -> None:
        """Redraw the static picture next time."""
        self._background = None

    def png(self) -> bytes:
        """The figure now, as PNG bytes."""
        with styled():
            if self._background is None:
                self.canvas.draw()
                self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            else:
                self.canvas.restore_region(self._background)
            for artist in self.dynamic:
                if artist.get_visible():
                    (artist.axes or self.fig).draw_artist(artist)
            return encode(self.canvas)
