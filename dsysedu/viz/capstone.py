"""The capstone's views: one run seen by each layer, and the course's recursive loop.

* :func:`layer_panels`: a small panel per layer for one run of
  :func:`dsysedu.ops.capstone.capstone_scenario` (formal, algorithms, engineering, patterns,
  AI and humans, operations);
* :func:`recursive_loop`: the conclusion's loop (formal → algorithms → engineering → patterns →
  AI and humans → operations → back to formal) as an SVG whose nodes link to the chapters'
  notebooks; a chapter without a notebook yet is shown in grey, without a link.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

from dsysedu.viz import style

__all__ = ["layer_panels", "LOOP", "LoopFigure", "recursive_loop"]

#: the conclusion's loop: each layer and the sections that teach it
LOOP = (("formal", ("2.1", "2.2", "2.3")), ("algorithms", ("3.1", "3.2", "3.3", "3.4")),
        ("engineering", ("4.1", "4.2", "4.3", "4.4")), ("patterns", ("5",)), ("AI and humans", ("6",)),
        ("operations", ("9",)))
_CENTRE = ("principles, practice, this", ("7", "8", "10"))


def _shade(ax, spans, colour, label):
    for i, (a, b) in enumerate(spans):
        ax.axvspan(a, b, color=colour, alpha=0.18, lw=0, label=label if i == 0 else None)


def _gap(ax, title, text):
    ax.set_title(title, fontsize=style.FONT["title"], loc="left")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=style.FONT["label"], color=style.MUTED, wrap=True,
            transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_color(style.EMPTY_SLOT)


def layer_panels(views: dict, formal=None, verdicts=None, ai=None, title=None):
    """Draw :func:`dsysedu.ops.capstone.layer_views` as six panels; return the figure.

    Parameters
    ----------
    views : dict
        From :func:`~dsysedu.ops.capstone.layer_views`.
    formal : DataFrame, optional
        :func:`~dsysedu.ops.capstone.formal_checks` (states per model); else a gap is drawn.
    verdicts : dict name -> Verdict, optional
        :func:`~dsysedu.ops.capstone.hypotheses`: shown under the operations panel.
    ai : dict, optional
        ``{"time": ..., "replicas": ..., "proposed": [...], "approved": [...], "rejected": [...]}`` for
        the AI-and-humans panel; default the views' ``"AI and humans"``; without either, a gap
        saying which piece is still to come.
    """
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 3, figsize=(13.5, 6.6), layout="constrained")
    (a_formal, a_algo, a_eng), (a_pat, a_ai, a_ops) = axes
    ops = views["operations"]
    slow = ops["slow"]
    crashes = [iv for ivs in ops["crashes"].values() for iv in ivs]

    if formal is None:
        _gap(a_formal, "formal", "model-checker verdicts\nnot computed")
    else:
        ys = range(len(formal))
        colours = [style.VERDICT_OK if v == "ok" else style.VERDICT_BAD for v in formal.verdict]
        a_formal.barh(list(ys), formal.states, color=colours)
        a_formal.set_yticks(list(ys), [f"{p}\n{q}" for p, q in zip(formal.part, formal.property)],
                            fontsize=style.FONT["small"])
        a_formal.invert_yaxis()
        a_formal.set_xscale("log")
        a_formal.set_xlabel("states explored (every one checked)", fontsize=style.FONT["label"])
        a_formal.set_title("formal: the parts' models hold", fontsize=style.FONT["title"], loc="left")

    leaders = views["algorithms"]
    end = float(ops["p99"].start.max() + 1) if len(ops["p99"]) else 1.0
    _shade(a_algo, crashes, style.CRASHED, "a Raft node down")
    for i, row in enumerate(leaders.itertuples()):
        stop = leaders.time.iloc[i + 1] if i + 1 < len(leaders) else end
        a_algo.plot([row.time, stop], [row.term, row.term], color=style.series_color(0), lw=3)
        a_algo.text(row.time, row.term + 0.08, f"{row.node} leads", fontsize=style.FONT["small"])
    a_algo.set_ylim(0.5, max(leaders.term.max() if len(leaders) else 1, 1) + 0.7)
    a_algo.set_xlim(0, end)
    a_algo.set_yticks(sorted(set(leaders.term)) or [1])
    a_algo.set_xlabel("time (s)", fontsize=style.FONT["label"])
    a_algo.set_ylabel("term", fontsize=style.FONT["label"])
    a_algo.set_title("algorithms: the ledger's Raft leader", fontsize=style.FONT["title"], loc="left")
    a_algo.legend(fontsize=style.FONT["legend"], loc="lower right")

    calls, backlog = views["engineering"]["calls"], views["engineering"]["backlog"]
    _shade(a_eng, slow, style.FAULT, "web1 slow")
    for i, w in enumerate(calls.columns):
        a_eng.step(calls.index, calls[w], where="post", color=style.series_color(i), label=f"calls to {w}")
    a_eng.step(backlog.index, backlog.values, where="post", color=style.ANNOTATION, ls="--",
               label="queue backlog (most in the second)")
    a_eng.set_xlim(0, end)
    a_eng.set_ylim(0, 2.0 * max(1, float(calls.to_numpy().max())))
    a_eng.set_xlabel("time (s)", fontsize=style.FONT["label"])
    a_eng.set_ylabel("per second / messages", fontsize=style.FONT["label"])
    a_eng.set_title("engineering: balancer, breaker, queue", fontsize=style.FONT["title"], loc="left")
    a_eng.legend(fontsize=style.FONT["legend"], loc="upper right")

    ended = views["patterns"]
    a_pat.bar(ended.index, ended["done"], width=0.8, color=style.VERDICT_OK, label="done", align="edge")
    a_pat.bar(ended.index, ended["compensated"], width=0.8, bottom=ended["done"], color=style.series_color(1),
              label="compensated (payment declined)", align="edge")
    a_pat.set_xlim(0, end)
    a_pat.set_ylim(0, 1.45 * max(1, float((ended["done"] + ended["compensated"]).max())))
    a_pat.set_xlabel("time (s)", fontsize=style.FONT["label"])
    a_pat.set_ylabel("sagas ended", fontsize=style.FONT["label"])
    a_pat.set_title("patterns: the order saga", fontsize=style.FONT["title"], loc="left")
    a_pat.legend(fontsize=style.FONT["legend"], loc="upper right")

    ai = views.get("AI and humans") if ai is None else ai
    if ai is None:
        _gap(a_ai, "AI and humans", "this layer's view arrives with\nthe AI autoscaler and its human approval")
    else:
        a_ai.step(list(ai["time"]) + [end], list(ai["replicas"]) + list(ai["replicas"])[-1:], where="post",
                  color=style.series_color(2), lw=2, label="web servers in the pool")
        for i, t in enumerate(ai.get("proposed", ())):
            a_ai.axvline(t, color=style.ANNOTATION, ls="--", label="the autoscaler proposes" if i == 0 else None)
        for i, t in enumerate(ai.get("approved", ())):
            a_ai.axvline(t, color=style.VERDICT_OK, ls=":", label="approved by a human" if i == 0 else None)
        for i, t in enumerate(ai.get("rejected", ())):
            a_ai.axvline(t, color=style.VERDICT_BAD, ls=":", label="rejected by a human" if i == 0 else None)
        top = max(ai["replicas"]) if len(ai["replicas"]) else 1
        a_ai.set_xlim(0, end)
        a_ai.set_ylim(0, top + 1.5)
        a_ai.set_yticks(range(0, top + 1))
        a_ai.set_xlabel("time (s)", fontsize=style.FONT["label"])
        a_ai.set_ylabel("web servers", fontsize=style.FONT["label"])
        a_ai.set_title("AI and humans: a proposal, a person decides", fontsize=style.FONT["title"], loc="left")
        a_ai.legend(fontsize=style.FONT["legend"], loc="lower right")

    p99 = ops["p99"]
    _shade(a_ops, slow, style.FAULT, "chaos: web1 slow")
    _shade(a_ops, crashes, style.CRASHED, "chaos: leader crashed")
    a_ops.plot(p99.start + 0.5, p99.p99, marker="o", ms=3, color=style.series_color(0), label="checkouts' p99")
    top = float(p99.p99.max()) if len(p99) else 1.0
    for i, row in enumerate(ops["alerts"].itertuples()):
        stop = row.resolved if row.resolved == row.resolved else end        # NaN: still firing at the end
        a_ops.plot([row.fired, stop], [1.08 * top, 1.08 * top], color=style.VERDICT_BAD, lw=4,
                   label="alert firing" if i == 0 else None)
    a_ops.set_ylim(0, 2.0 * top)          # the legend above the curves and the alerts
    a_ops.set_xlim(0, end)
    a_ops.set_xlabel("time (s)", fontsize=style.FONT["label"])
    a_ops.set_ylabel("p99 latency (s)", fontsize=style.FONT["label"])
    held = "" if verdicts is None else f": {sum(v.ok for v in verdicts.values())} of {len(verdicts)} hypotheses hold"
    a_ops.set_title(f"operations{held}", fontsize=style.FONT["title"], loc="left")
    a_ops.legend(fontsize=style.FONT["legend"], loc="upper right", ncol=2)
    for ax in axes.flat:
        ax.tick_params(labelsize=style.FONT["tick"])
    if title:
        fig.suptitle(title, fontsize=style.FONT["title"] + 1)
    return fig


@dataclass(frozen=True)
class LoopFigure:
    """The recursive loop as SVG (shown as HTML in a notebook) and its links ``(label, href)``."""
    svg: str
    links: tuple

    def _repr_html_(self) -> str:
        return self.svg


def _chapter_of(section, chapters):
    return next((c for c in chapters if c.section == section), None)


def recursive_loop(root=None, width: int = 720, height: int = 470) -> LoopFigure:
    """The conclusion's loop as an SVG: a ring of layers, each listing its sections as links to the
    notebooks that exist under ``root`` (default: this checkout's ``notebooks/``).

    Examples
    --------
    >>> loop = recursive_loop()
    >>> loop.links[0]
    ('2.1', '02_1_system_model.ipynb')
    """
    from dsysedu.course import CHAPTERS, notebooks_dir
    root = notebooks_dir() if root is None else Path(root)
    cx, cy = width / 2, height / 2 - 5
    rx, ry = width / 2 - 95, height / 2 - 60
    n = len(LOOP)
    pos = [(cx + rx * math.cos(-math.pi / 2 + 2 * math.pi * i / n), cy + ry * math.sin(-math.pi / 2 + 2 * math.pi * i / n))
           for i in range(n)]
    parts, links, arrows = [], [], []
    parts.append(f'<defs><marker id="dsysedu-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                 f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{style.ANNOTATION}"/></marker></defs>')
    bw, bh = 150, 64

    def edge(dx, dy):                                    # from a box's centre to its border along (dx, dy)
        return min((bw / 2 + 6) / abs(dx) if dx else math.inf, (bh / 2 + 6) / abs(dy) if dy else math.inf)

    for i in range(n):                                   # arrows from each layer to the next, the last back to the first
        (x1, y1), (x2, y2) = pos[i], pos[(i + 1) % n]
        dx, dy = x2 - x1, y2 - y1
        t = edge(dx, dy)
        arrows.append(f'<line x1="{x1 + dx * t:.1f}" y1="{y1 + dy * t:.1f}" x2="{x2 - dx * t:.1f}" '
                      f'y2="{y2 - dy * t:.1f}" stroke="{style.ANNOTATION}" stroke-width="1.6" '
                      f'marker-end="url(#dsysedu-arrow)"/>')

    def box(x, y, label, sections, fill, w=bw):
        out = [f'<rect x="{x - w / 2:.1f}" y="{y - bh / 2:.1f}" width="{w}" height="{bh}" rx="10" fill="{fill}" '
               f'stroke="{style.OUTLINE_SOFT}"/>',
               f'<text x="{x:.1f}" y="{y - 10:.1f}" text-anchor="middle" font-size="14" font-weight="bold" '
               f'fill="{style.INK}">{html.escape(label)}</text>']
        step = 34
        x0 = x - step * (len(sections) - 1) / 2
        for j, sec in enumerate(sections):
            ch = _chapter_of(sec, CHAPTERS)
            tx = x0 + j * step
            if ch is not None and (root / ch.notebook).exists():
                links.append((sec, ch.notebook))
                out.append(f'<a href="{html.escape(ch.notebook)}" target="_blank"><text x="{tx:.1f}" y="{y + 16:.1f}" '
                           f'text-anchor="middle" font-size="13" fill="{style.series_color(0)}" '
                           f'text-decoration="underline">{sec}<title>{html.escape(ch.title)}</title></text></a>')
            else:
                out.append(f'<text x="{tx:.1f}" y="{y + 16:.1f}" text-anchor="middle" font-size="13" '
                           f'fill="{style.FAINT}">{sec}<title>planned</title></text>')
        return out

    for (label, sections), (x, y) in zip(LOOP, pos):
        parts += box(x, y, label, sections, style.AVAILABLE)
    parts += box(cx, cy, _CENTRE[0], _CENTRE[1], style.PLANNED, w=200)
    parts += arrows
    parts.append(f'<text x="{cx:.1f}" y="{height - 8:.1f}" text-anchor="middle" font-size="11" fill="{style.MUTED}">'
                 f'each layer builds on the one before and feeds back into it; grey: a chapter still to come</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif">' + "".join(parts) + "</svg>")
    return LoopFigure(svg, tuple(links))
