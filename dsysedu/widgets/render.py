"""Figures drawn off-screen and handed to widgets as PNG bytes."""
from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["new_figure", "png_bytes"]


def new_figure(width: float = 12.0, height: float = 4.6, dpi: int = 90, **subplot_kw):
    """A Figure not managed by pyplot (so widgets never leak open figures)."""
    fig = Figure(figsize=(width, height), dpi=dpi, **subplot_kw)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
