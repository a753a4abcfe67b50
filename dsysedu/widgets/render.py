"""Figures drawn off-screen and handed to widgets as PNG bytes.

Scrubbing redraws only what moves: :class:`Blitter` draws a figure once without its
moving artists, keeps that picture, and for every new time pastes it back and draws
the moving artists on top (matplotlib's blitting, done off-screen).
"""
from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["new_figure", "png_bytes", "Blitter", "LayeredBlitter"]


def new_figure(width: float = 12.0, height: float = 4.6, dpi: int = 90, **subplot_kw):
    """A Figure not managed by pyplot (so widgets never leak open figures)."""
    fig = Figure(figsize=(width, height), dpi=dpi, **subplot_kw)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _encode(rgba: np.ndarray) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(rgba[..., :3]).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class Blitter:
    """Render ``fig`` to PNG, redrawing only its moving artists after the first time.

    Call :meth:`reset` with the moving artists whenever the figure's static content
    changes (a new trace); then :meth:`png` for each frame.
    """

    def __init__(self, fig):
        self.fig = fig
        self.canvas = fig.canvas
        self.moving: list = []
        self._background = None

    def reset(self, moving) -> None:
        for a in self.moving:
            a.set_animated(False)
        self.moving = sorted(set(moving), key=lambda a: a.get_zorder())
        for a in self.moving:
            a.set_animated(True)
        self._background = None

    def png(self) -> bytes:
        if self._background is None:
            self.canvas.draw()  # everything but the moving artists
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for a in self.moving:
            self.fig.draw_artist(a)
        return _encode(np.asarray(self.canvas.buffer_rgba()))


class LayeredBlitter(Blitter):
    """A Blitter with a middle layer: the still picture, then one Axes that is redrawn now and
    then (the space-time diagram of a growing run, or of a moving window), then the moving
    artists. The topology, the log grid and the legend are drawn only once per trace."""

    def __init__(self, fig):
        super().__init__(fig)
        self.layer = None
        self._middle = None

    def reset(self, moving, layer=None) -> None:
        super().reset(moving)
        self._middle = None
        if layer is not None:
            self.layer = layer
            layer.set_animated(True)  # kept out of the still picture

    def relayer(self, moving) -> None:
        """The layer Axes was redrawn (with new moving artists); the still picture stays."""
        still = self._background
        self.reset(moving)
        self._background = still

    def png(self) -> bytes:
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        if self._middle is None:
            self.canvas.restore_region(self._background)
            if self.layer is not None:
                self.fig.draw_artist(self.layer)
            self._middle = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._middle)
        for a in self.moving:
            self.fig.draw_artist(a)
        return _encode(np.asarray(self.canvas.buffer_rgba()))
