"""Style: the one place where views get their colours, sizes and node positions.

Every view asks this module which colour a role, a state or a message type has,
so a ``leader`` is the same colour in the topology, the space-time diagram and
the timeline of every chapter. The base palette is Okabe and Ito's, which stays
distinguishable under the common forms of colour blindness [1]_; values that no
one named here get a colour from a second colour-blind-safe palette (Paul Tol's
"muted" [2]_), picked by a stable hash of the value's ``repr`` (CRC-32, not
Python's salted ``hash``), so an unseen value has the same colour in every run
and every kernel.

:func:`layout` turns a graph into positions (data: a dict node -> (x, y)),
separate from any drawing, as networkx keeps layout apart from drawing.

References
----------
.. [1] M. Okabe and K. Ito, "Color Universal Design (CUD): how to make figures and
   presentations that are friendly to colorblind people", 2008.
.. [2] P. Tol, "Colour schemes", SRON technical note SRON/EPS/TN/09-002, 2021.
.. [3] U. Brandes and C. Pich, "Eigensolver methods for progressive multidimensional
   scaling of large data", Graph Drawing 2006 (pivot MDS).
.. [4] T. M. J. Fruchterman and E. M. Reingold, "Graph drawing by force-directed
   placement", Software: Practice and Experience 21(11), 1991.
"""
from __future__ import annotations

import zlib
from collections import OrderedDict, deque
from numbers import Real

import matplotlib
import numpy as np

from dsysedu.sim.scenario import sort_key

__all__ = ["OKABE_ITO", "FALLBACK", "NODE_COLORS", "MESSAGE_COLORS", "FONT", "CJK_FONTS", "CJK_FONT", "cjk_font",
           "node_color", "message_color",
           "series_color", "numeric_color", "text_color_on", "scale_for", "layout",
           "NO_VALUE", "CRASHED", "PAUSED", "FAULT", "EDGE", "HIGHLIGHT", "LANE", "CURSOR", "TERM_COLORS",
           "term_color", "INK", "MARK", "OUTLINE", "ARC", "OUTLINE_SOFT", "ANNOTATION", "NEUTRAL", "MUTED",
           "FAINT", "HATCH", "CONNECTOR", "FAILED_OPERATION", "UNMARKED", "EMPTY_SLOT", "PLANNED", "AVAILABLE",
           "NOW_ON_CURVE", "VERDICT_OK", "NOT_YET"]

# Okabe-Ito, by name.
OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000",
}
_O = OKABE_ITO

# Paul Tol's "muted" scheme: colours for values nobody named below.
FALLBACK = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
            "#AA4499")

# Colours with a fixed meaning in every view.
NO_VALUE = "#FFFFFF"   # a node that has not observed the key yet
CRASHED = "#8C8C8C"    # a crashed node, a crash interval
PAUSED = "#C8C8C8"     # a paused node
FAULT = "#C1272D"      # dropped messages, partitions, cut links (red; always with a shape too)
EDGE = "#9A9A9A"       # an ordinary link
LANE = "#B5B5B5"       # a process lane in the space-time diagram
HIGHLIGHT = "#F0E442"  # halo behind events a checker points at (with a black ring)
CURSOR = "#000000"     # the "now" line

# Greys by the part they play, darkest first: views draw structure in grey so that colour
# can carry meaning.
INK = "#111111"               # text on a pale label box (the gossip spread's count)
MARK = "#222222"              # marks that read as black: crash crosses, log entry text
OUTLINE = "#333333"           # the outline of a filled shape: a node, a committed entry, a crashed bar
ARC = "#404040"               # a Petri net's arcs
OUTLINE_SOFT = "#444444"      # a paused node's ring, a follower's log label, captions under a bar
ANNOTATION = "#555555"        # secondary text and lines: hatch outlines, timer ticks, reference lines
NEUTRAL = "#666666"           # "no key in particular" in a history's legend
MUTED = "#777777"             # pending and failed things: dashed outlines, failed operations, notes
FAINT = "#999999"             # what is not there yet: planned chapters, a curve's ceiling
HATCH = "#AAAAAA"             # the hatching of uncommitted log entries
CONNECTOR = "#BBBBBB"         # the course map's tree lines
FAILED_OPERATION = "#BDBDBD"  # a failed client operation: a lighter shade of CRASHED
UNMARKED = "#D9D9D9"          # a state with no mark in a large state graph
EMPTY_SLOT = "#DDDDDD"        # an empty log slot, a planned chapter's outline
SNAPSHOT = "#5B4B8A"          # log entries compacted into a snapshot (their outline and hatching)
PLANNED = "#F2F2F2"           # a planned chapter's box
AVAILABLE = "#CCE8D9"         # a written chapter's box (a pale bluish green)
NOW_ON_CURVE = "#B2182B"      # the "now" line and dot on a curve against time (dark red)
VERDICT_OK = "#1B7837"        # a verdict that holds, an exercise that passes its cases, an acknowledged command
NOT_YET = NOW_ON_CURVE        # an exercise that does not pass yet (the same dark red)

NODE_COLORS = {
    # consensus and replication
    "leader": _O["vermillion"], "follower": _O["sky_blue"], "candidate": _O["yellow"],
    "precandidate": "#F8F3B0",  # a paler candidate: asking for PreVotes, term not raised yet
    "primary": _O["vermillion"], "backup": _O["sky_blue"],
    "proposer": _O["vermillion"], "acceptor": _O["sky_blue"], "learner": _O["bluish_green"],
    "coordinator": _O["reddish_purple"], "participant": _O["sky_blue"],
    # flooding and gossip
    "origin": _O["vermillion"], "informed": _O["bluish_green"], "waiting": "#E6E6E6",
    "susceptible": "#E6E6E6", "infected": _O["bluish_green"], "removed": _O["blue"],
    # toys
    "client": _O["blue"], "server": _O["orange"], "pinger": _O["reddish_purple"], "echo": _O["sky_blue"],
    # health and outcomes
    "crashed": CRASHED, "paused": PAUSED, "down": CRASHED, "up": _O["bluish_green"],
    "alive": _O["bluish_green"], "suspected": _O["orange"], "dead": CRASHED,
    "ok": _O["bluish_green"], "unknown": _O["orange"], "error": _O["vermillion"],
    "committed": _O["bluish_green"], "aborted": _O["vermillion"], "prepared": _O["yellow"],
    # sagas: a step done is committed, a compensated one orange; the coordinator's saga states
    "compensated": _O["orange"], "compensating": _O["yellow"], "running": _O["sky_blue"], "done": _O["bluish_green"],
    # circuit breakers and the dependencies they guard
    "closed": _O["bluish_green"], "open": _O["orange"], "half_open": _O["yellow"],
    "healthy": _O["sky_blue"], "sick": _O["vermillion"],
    True: _O["bluish_green"], False: "#E6E6E6", None: NO_VALUE,
}

MESSAGE_COLORS = {
    "Rumor": _O["blue"], "Gossip": _O["blue"],  # not the green of "informed": dots must not look like nodes
    "Ping": _O["blue"], "Pong": _O["orange"],
    "Request": _O["blue"], "Reply": _O["orange"],
    "RequestVote": _O["reddish_purple"], "RequestVoteReply": _O["sky_blue"], "Vote": _O["sky_blue"],
    "PreVote": "#E4B2D0", "PreVoteReply": "#A9D7F2",  # paler RequestVote and RequestVoteReply
    "ClientRequest": _O["black"], "ClientReply": _O["bluish_green"],
    "AppendEntries": _O["blue"], "AppendEntriesReply": _O["orange"], "Heartbeat": "#7F7F7F",
    "Prepare": _O["blue"], "Promise": _O["sky_blue"], "Accept": _O["vermillion"],
    "Accepted": _O["orange"], "Commit": _O["bluish_green"], "Abort": _O["vermillion"],
    # sagas: actions blue, their answers sky blue; compensations vermillion, their answers orange
    "Do": _O["blue"], "Done": _O["sky_blue"], "Undo": _O["vermillion"], "Undone": _O["orange"],
    "Go": _O["blue"], "Compensate": _O["vermillion"], "Ack": "#BBBBBB", "EventAck": "#BBBBBB", "Busy": "#7F7F7F",
    "Finish": _O["bluish_green"], "Hello": _O["reddish_purple"], "Order": _O["black"],
    # the message queue of chapter 4.1: publish and its confirm, a consumer's poll and the delivery,
    # the effect sent to the store and its answer (acks stay grey)
    "Publish": _O["blue"], "Confirm": _O["bluish_green"], "Receive": _O["sky_blue"],
    "Deliver": _O["reddish_purple"], "Apply": _O["vermillion"], "Applied": _O["orange"],
}

# Font sizes in points.
FONT = {"title": 11, "label": 9, "tick": 8, "legend": 8, "small": 7, "node": 9}

# The Chinese terms the course names (共识, 选举限制 ...) need a CJK font: matplotlib falls back to
# the first of these that is installed (Debian's fonts-noto-cjk, which scripts/setup.sh installs),
# after DejaVu Sans, which keeps drawing every Latin character as before.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei")
_CJK_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf")


def cjk_font() -> str | None:
    """Make a CJK font matplotlib's fallback after DejaVu Sans; return its name (None if none is installed).

    Called once when the views are imported. A font installed after matplotlib built its font
    cache is added from its Debian path.

    Examples
    --------
    >>> name = cjk_font()
    >>> name is None or name in CJK_FONTS
    True
    """
    from matplotlib import font_manager
    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & set(CJK_FONTS):
        import os
        for path in _CJK_FILES:
            if os.path.exists(path):
                font_manager.fontManager.addfont(path)
        names = {f.name for f in font_manager.fontManager.ttflist}
    name = next((n for n in CJK_FONTS if n in names), None)
    if name is not None:
        family = [f for f in matplotlib.rcParams["font.family"] if f not in ("sans-serif", name)]
        matplotlib.rcParams["font.family"] = ["DejaVu Sans", *[f for f in family if f != "DejaVu Sans"], name]
    return name


CJK_FONT = cjk_font()

# Series (one line per node in a numeric timeline): Okabe-Ito without yellow, then Tol.
_SERIES = (_O["blue"], _O["vermillion"], _O["bluish_green"], _O["reddish_purple"], _O["orange"],
           _O["sky_blue"], _O["black"]) + FALLBACK


def _stable_index(value, n: int) -> int:
    return zlib.crc32(repr(value).encode("utf-8", "backslashreplace")) % n


def node_color(value) -> str:
    """The fill colour of a node whose observed role or state is ``value``.

    Parameters
    ----------
    value : str, bool, None or any value with a ``repr``
        Named roles and states (``"leader"``, ``"informed"``, ``"crashed"``...) have fixed
        colours; ``None`` (nothing observed yet) is white; any other value gets a colour from
        the fallback palette, the same one in every run.

    Returns
    -------
    str
        A hex colour.

    Examples
    --------
    >>> node_color("leader")
    '#D55E00'
    >>> node_color("some new state") == node_color("some new state")
    True
    """
    try:
        c = NODE_COLORS.get(value)
    except TypeError:  # unhashable value
        c = None
    if c is not None or value is None:
        return c if c is not None else NO_VALUE
    if isinstance(value, str) and value.lower() in NODE_COLORS:
        return NODE_COLORS[value.lower()]
    return FALLBACK[_stable_index(value, len(FALLBACK))]


def message_color(type_name) -> str:
    """The colour of a message type (a class name, a class, or a message).

    Examples
    --------
    >>> message_color("Ping")
    '#0072B2'
    >>> from dsysedu.protocols.basics.toys import Pong
    >>> message_color(Pong) == message_color(Pong(1)) == message_color("Pong")
    True
    """
    if not isinstance(type_name, str):
        type_name = type_name.__name__ if isinstance(type_name, type) else type(type_name).__name__
    c = MESSAGE_COLORS.get(type_name)
    return c if c is not None else FALLBACK[_stable_index(type_name, len(FALLBACK))]


def series_color(i: int) -> str:
    """The colour of the ``i``-th line of a chart with one line per node.

    Examples
    --------
    >>> series_color(0)
    '#0072B2'
    """
    return _SERIES[i % len(_SERIES)]


def numeric_color(value, vmin: float, vmax: float, cmap: str = "viridis"):
    """The colour of a number on a colour map scaled to ``[vmin, vmax]`` (RGBA tuple).

    Examples
    --------
    >>> numeric_color(5, 0, 10)[3]
    1.0
    """
    if value is None or not isinstance(value, Real):
        return matplotlib.colors.to_rgba(NO_VALUE)
    span = (vmax - vmin) or 1.0
    return tuple(float(x) for x in matplotlib.colormaps[cmap]((float(value) - vmin) / span))


# Raft and Paxos terms (ballots): a sequential palette, light to dark (ColorBrewer YlGnBu,
# 8 steps without its palest yellow, which would not show on white). Terms past the 8th
# start again at the light end; cells also print the term number, so equal colours never
# mislead on their own.
TERM_COLORS = ("#EDF8B1", "#C7E9B4", "#7FCDBB", "#41B6C4", "#1D91C0", "#225EA8", "#253494", "#081D58")


def term_color(term) -> str:
    """The fill colour of a log entry (or anything else) of Raft term ``term``.

    Terms count from 1; term 0 (and None: no term yet) is white. The palette is sequential, so
    later terms are darker, and repeats every ``len(TERM_COLORS)`` terms.

    Examples
    --------
    >>> term_color(1), term_color(0)
    ('#EDF8B1', '#FFFFFF')
    >>> term_color(9) == term_color(1)
    True
    """
    if term is None or isinstance(term, bool) or not isinstance(term, Real) or term < 1:
        return NO_VALUE
    return TERM_COLORS[(int(term) - 1) % len(TERM_COLORS)]


def text_color_on(fill) -> str:
    """Black or white, whichever reads better on ``fill`` (relative luminance).

    Examples
    --------
    >>> text_color_on("#000000"), text_color_on("#FFFFFF")
    ('white', 'black')
    """
    r, g, b, _ = matplotlib.colors.to_rgba(fill)
    lum = 0.2126 * r ** 2.2 + 0.7152 * g ** 2.2 + 0.0722 * b ** 2.2
    return "black" if lum > 0.18 else "white"


def scale_for(n: int) -> dict:
    """Sizes that keep a topology of ``n`` nodes readable.

    Returns a dict with ``node_size`` (points squared), ``node_edge`` (outline width),
    ``edge_width``, ``edge_alpha``, ``labels`` (whether node ids fit), ``label_size``,
    ``dot_size`` (message dots) and ``dot_offset`` (how far, in layout units, a message dot
    sits to the right of its link so that the two directions do not overlap).

    Examples
    --------
    >>> scale_for(5)["labels"], scale_for(2000)["labels"]
    (True, False)
    """
    if n <= 7:
        return dict(node_size=1000, node_edge=1.5, edge_width=1.6, edge_alpha=0.9, labels=True,
                    label_size=FONT["node"] + 2, dot_size=70, dot_offset=0.035)
    if n <= 12:
        return dict(node_size=650, node_edge=1.3, edge_width=1.3, edge_alpha=0.8, labels=True,
                    label_size=FONT["node"], dot_size=50, dot_offset=0.03)
    if n <= 40:
        return dict(node_size=200, node_edge=1.0, edge_width=0.9, edge_alpha=0.6, labels=True,
                    label_size=FONT["small"], dot_size=22, dot_offset=0.015)
    if n <= 300:
        return dict(node_size=45, node_edge=0.5, edge_width=0.6, edge_alpha=0.35, labels=False,
                    label_size=FONT["small"], dot_size=10, dot_offset=0.006)
    if n <= 1000:
        return dict(node_size=14, node_edge=0.0, edge_width=0.35, edge_alpha=0.15, labels=False,
                    label_size=FONT["small"], dot_size=4, dot_offset=0.0)
    return dict(node_size=7, node_edge=0.0, edge_width=0.25, edge_alpha=0.08, labels=False,
                label_size=FONT["small"], dot_size=2, dot_offset=0.0)


# -- layout -------------------------------------------------------------------

_LAYOUT_CACHE: OrderedDict = OrderedDict()
_LAYOUT_CACHE_SIZE = 32


def layout(graph, seed=0) -> dict:
    """Stable positions for the nodes of ``graph``: a dict node -> numpy array ``(x, y)``.

    Up to 12 nodes sit on a circle, the smallest id at the top, going clockwise. Larger
    graphs get pivot MDS [3]_ (graph distances from 50 pivots, projected to 2-D), refined by
    Fruchterman-Reingold forces [4]_; above 400 nodes the repulsion is estimated from a
    seeded sample of nodes, so 2,000 nodes take about two seconds. Nodes that all carry a
    ``"pos"`` attribute (``networkx.random_geometric_graph`` does) keep those positions.
    Positions are scaled into ``[-1, 1]``. The result depends only on the graph's nodes,
    edges and ``seed`` (not on insertion order) and is cached, so every view of one graph
    puts each node in the same place.

    Parameters
    ----------
    graph : networkx.Graph
    seed : int
        Seed of the layout's own random stream (never the global one).

    Returns
    -------
    dict
        node -> ``numpy.ndarray`` of shape ``(2,)``.

    Examples
    --------
    >>> import networkx as nx
    >>> pos = layout(nx.cycle_graph(5))
    >>> [round(float(v), 2) for v in pos[0]]
    [0.0, 1.0]
    """
    nodes = sorted(graph.nodes, key=sort_key)
    edges = sorted((tuple(sorted((u, v), key=sort_key)) for u, v in graph.edges if u != v),
                   key=lambda e: (sort_key(e[0]), sort_key(e[1])))
    key = (tuple(nodes), tuple(edges), seed)
    try:
        cached = _LAYOUT_CACHE.get(key)
    except TypeError:  # unhashable node ids
        cached, key = None, None
    if cached is None:
        cached = _compute_layout(graph, nodes, edges, seed)
        if key is not None:
            _LAYOUT_CACHE[key] = cached
            while len(_LAYOUT_CACHE) > _LAYOUT_CACHE_SIZE:
                _LAYOUT_CACHE.popitem(last=False)
    else:
        _LAYOUT_CACHE.move_to_end(key)
    return {n: cached[i].copy() for i, n in enumerate(nodes)}


def _compute_layout(graph, nodes, edges, seed) -> np.ndarray:
    n = len(nodes)
    if n == 0:
        return np.zeros((0, 2))
    if n == 1:
        return np.zeros((1, 2))
    given = [graph.nodes[v].get("pos") for v in nodes]
    if all(p is not None and len(p) == 2 for p in given):
        return _normalize(np.asarray(given, dtype=float))
    if n <= 12:
        angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n
        return np.c_[np.cos(angle), np.sin(angle)]
    index = {v: i for i, v in enumerate(nodes)}
    adj = [[] for _ in range(n)]
    for u, v in edges:
        adj[index[u]].append(index[v])
        adj[index[v]].append(index[u])
    rng = np.random.default_rng(seed)
    pos = _normalize(_pivot_mds(adj, rng))
    e = np.array([(index[u], index[v]) for u, v in edges], dtype=int).reshape(-1, 2)
    return _normalize(_forces(pos, e[:, 0], e[:, 1], rng))


def _normalize(pos: np.ndarray) -> np.ndarray:
    pos = pos - (pos.max(0) + pos.min(0)) / 2
    m = np.abs(pos).max()
    return pos / m if m > 0 else pos


def _bfs(adj, source: int) -> np.ndarray:
    dist = np.full(len(adj), -1.0)
    dist[source] = 0.0
    queue = deque([source])
    while queue:
        x = queue.popleft()
        dx = dist[x] + 1
        for y in adj[x]:
            if dist[y] < 0:
                dist[y] = dx
                queue.append(y)
    return dist


def _pivot_mds(adj, rng, pivots: int = 50) -> np.ndarray:
    n = len(adj)
    k = min(pivots, n)
    chosen = int(rng.integers(n))
    cols, nearest = [], None
    for i in range(k):
        d = _bfs(adj, chosen)
        far = d.max() + 1
        d[d < 0] = far  # other components: just beyond the farthest reachable node
        cols.append(d)
        nearest = d if nearest is None else np.minimum(nearest, d)
        chosen = int(np.argmax(nearest))  # next pivot: the node farthest from all pivots
    c = np.array(cols).T ** 2
    c = -0.5 * (c - c.mean(0) - c.mean(1)[:, None] + c.mean())
    u, s, _ = np.linalg.svd(c, full_matrices=False)
    out = u[:, :2] * s[:2]
    if out.shape[1] < 2 or not np.isfinite(out).all() or np.ptp(out, axis=0).min() < 1e-9:
        out = rng.uniform(-1, 1, size=(n, 2))  # degenerate (e.g. no edges): start at random
    return out


def _forces(pos, u, v, rng, iterations: int = 50, sample: int = 400) -> np.ndarray:
    n = len(pos)
    x, y = pos[:, 0].copy(), pos[:, 1].copy()
    k = np.sqrt(4.0 / n)
    temp = 0.1
    cool = temp / (iterations + 1)
    for _ in range(iterations):
        if n <= sample:
            xs, ys, weight = x, y, 1.0
        else:
            idx = rng.choice(n, sample, replace=False)
            xs, ys, weight = x[idx], y[idx], n / sample
        dx = x[:, None] - xs[None, :]
        dy = y[:, None] - ys[None, :]
        d2 = dx * dx + dy * dy
        np.maximum(d2, 1e-4 * k * k, out=d2)
        w = (k * k * weight) / d2
        fx = (dx * w).sum(1)
        fy = (dy * w).sum(1)
        ex, ey = x[u] - x[v], y[u] - y[v]
        pull = np.sqrt(ex * ex + ey * ey) / k
        np.subtract.at(fx, u, ex * pull)
        np.add.at(fx, v, ex * pull)
        np.subtract.at(fy, u, ey * pull)
        np.add.at(fy, v, ey * pull)
        length = np.maximum(np.sqrt(fx * fx + fy * fy), 1e-9)
        step = np.minimum(length, temp) / length
        x += fx * step
        y += fy * step
        temp -= cool
    return np.c_[x, y]


# -- playgrounds: colours of the figures and HTML panels of dsysedu.widgets (and of the viz
# modules that draw their pictures: traceviews, cap, panels), each named by its role
VERDICT_BAD = "#B2182B"     # a broken verdict, a warning in a status line, a crashed node in a table
PAUSED_TEXT = "#8C6D31"     # a paused node in a status table
BOX_BORDER = "#CCCCCC"      # the frame of a node card or a caption box
NARRATION_BORDER = "#9ECAE1"  # the frame of a scenario's narration
__all__ += ["VERDICT_BAD", "PAUSED_TEXT", "BOX_BORDER", "NARRATION_BORDER"]
