"""Figures drawn off-screen and handed to widgets as PNG bytes.

Scrubbing redraws only what moves: :class:`Blitter` draws a figure once without its
moving artists, keeps that picture, and for every new time pastes it back and draws
the moving artists on top (matplotlib's blitting, done off-screen).
"""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["new_figure", "png_bytes", "Blitter", "LayeredBlitter", "CachedArtist"]


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
    """PNG bytes of an RGBA frame (alpha dropped): rows unfiltered, deflated at level 1.

    Filtering each row (what Pillow does) costs more than it saves on these mostly-flat
    pictures: this is about twice as fast as Pillow at ``compress_level=1`` and no bigger.
    """
    h, w = rgba.shape[:2]
    raw = np.empty((h, 1 + 3 * w), np.uint8)
    raw[:, 0] = 0                                   # filter type "None" for every row
    rgb = raw[:, 1:].reshape(h, w, 3)
    for c in range(3):                              # channel by channel: 5x faster than one strided copy
        rgb[..., c] = rgba[..., c]
    return b"".join((b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)),
                     _chunk(b"IDAT", zlib.compress(raw.data, 1)), _chunk(b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


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
        """New moving artists, and a new middle ``layer`` when given: one Axes, or a list of
        artists (only the parts of a panel that change; the rest stays in the still picture)."""
        super().reset(moving)
        self._middle = None
        if layer is not None:
            new = list(layer) if isinstance(layer, (list, tuple)) else [layer]
            for a in self._layers():
                if a not in new:
                    a.set_animated(False)
            self.layer = layer if not isinstance(layer, (list, tuple)) else \
                sorted(new, key=lambda a: a.get_zorder())
            for a in new:
                a.set_animated(True)  # kept out of the still picture

    @property
    def still(self):
        """The kept still picture (None until the next :meth:`png` draws it): a panel may keep it
        per set of axis limits and give it back after a :meth:`reset` to the same limits."""
        return self._background

    @still.setter
    def still(self, pixels) -> None:
        self._background = pixels
        self._middle = None

    def relayer(self, moving, layer=None) -> None:
        """The layer was redrawn (with new moving artists, and maybe new layer artists); the still
        picture stays."""
        still = self._background
        self.reset(moving, layer)
        self._background = still

    def _layers(self) -> list:
        if self.layer is None:
            return []
        return list(self.layer) if isinstance(self.layer, list) else [self.layer]

    def png(self) -> bytes:
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        if self._middle is None:
            self.canvas.restore_region(self._background)
            for a in self._layers():
                self.fig.draw_artist(a)
            self._middle = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._middle)
        for a in self.moving:
            self.fig.draw_artist(a)
        return _encode(np.asarray(self.canvas.buffer_rgba()))


class CachedArtist(Artist):
    """Stands in for a slow artist (a legend: text is slow to draw) in a blitter's layer: draws
    it the first time a ``key`` is shown, then pastes the pixels kept for that key.

    The pixels include what lay under the artist, so use it only where that does not change
    (a legend outside the Axes, on the figure's plain background). :meth:`show` switches to
    another artist and key; :meth:`forget` drops the kept pixels. Stand-ins may share one
    ``pixels`` dict (key -> pixels) when their keys differ.
    """

    def __init__(self, artist=None, key=None, pixels=None):
        super().__init__()
        self.artist, self.key = None, None
        self._pixels: dict = {} if pixels is None else pixels
        if artist is not None:
            self.show(artist, key)

    def show(self, artist, key) -> None:
        self.artist, self.key = artist, key
        artist.set_animated(True)  # drawn only through this stand-in
        self.set_zorder(artist.get_zorder())

    def forget(self) -> None:
        self._pixels.clear()

    def draw(self, renderer) -> None:
        if self.artist is None:
            return
        kept = self._pixels.get(self.key)
        if kept is not None:
            renderer.restore_region(kept)
            return
        self.artist.draw(renderer)
        self._pixels[self.key] = renderer.copy_from_bbox(self.artist.get_window_extent(renderer).padded(2))
