"""One look for every chart: palette, fonts, sizes; figures drawn with Agg into PNG bytes.

Figures are built with `matplotlib.figure.Figure` (no pyplot): no global figure registry,
no interactive backend, safe in the API's threads. The font is matplotlib's bundled
DejaVu Sans, so nothing is fetched and the output is the same on every machine.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import matplotlib
import matplotlib.dates as mdates
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

#: Colour-blind safe (Okabe–Ito), readable in greyscale print by order of lightness.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
INK = "#222222"
FAN_80 = "#9ecae1"
FAN_95 = "#deebf7"
SHOCK = "#D55E00"
WIDTH_IN = 7.2  # fits an A4 page inside the print margins
DPI = 150

_RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 8.5,
    "axes.edgecolor": "#888888",
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=PALETTE),
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "svg.fonttype": "path",
}
#: matplotlib types rc_context's argument as a dict keyed by the literal rc names.
RC = cast(Any, _RC)


@contextmanager
def figure(height_in: float, width_in: float = WIDTH_IN) -> Iterator[Figure]:
    """A figure in the report style, laid out with constrained layout."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        yield fig


def png_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def usd_millions(axes: Axes) -> None:
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1e6:,.0f}"))


def dates_on_x(axes: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(formatter)
