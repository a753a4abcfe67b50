"""Headless command line: run a demo, print a summary table, write the views.

Usage::

    python -m dsysedu run flood --nodes 6 --loss 0.1 --crash 3@0.02 --partition 0,1,2/3,4,5@0.05-0.5 --out out/
    python -m dsysedu run raft --crash 0@1.0-2.0
    python -m dsysedu list
    python -m dsysedu map --out mind_map.html

Every argument is checked before anything runs: a bad value, a knob the demo does not
take, or an ``--out`` that cannot be written is one line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import sys
from pathlib import Path

from .demos import ABOUT, DEMOS, demo
from .sim import Crash, Partition, run
from .sim.streams import normalize_seed
from . import sweep_cli  # the sweep subcommand lives in dsysedu/sweep_cli.py

__all__ = ["main", "parse_crash", "parse_partition", "MAX_DRAWN_NODES"]

MAX_DRAWN_NODES = 300   # larger runs are run and saved, not drawn (a frame costs time in nodes + links)

_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_WHEN = re.compile(rf"\s*({_NUM})\s*(?:-\s*({_NUM})\s*)?")
_KNOBS = ("nodes", "loss", "until")


def _node(text: str):
    text = text.strip()
    if not text:
        raise ValueError("empty node id")
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _when(text: str) -> tuple[float, float | None]:
    """``T`` or ``T-T2`` (seconds, e.g. ``0.5``, ``1e-3``, ``0.1-1e-1``)."""
    m = _WHEN.fullmatch(text)
    if not m:
        raise ValueError(f"bad time {text!r}")
    at, until = m.groups()
    return float(at), None if until is None else float(until)


def parse_crash(spec: str) -> Crash:
    """``NODE@T`` or ``NODE@T-T2`` (crash at T, recover at T2)."""
    try:
        node, sep, when = spec.rpartition("@")
        if not sep:
            raise ValueError("no @")
        at, until = _when(when)
        return Crash(_node(node), at=at, until=until)
    except ValueError as exc:
        raise ValueError(f"--crash {spec!r}: expected NODE@T or NODE@T-T2, e.g. 2@0.5 or 2@0.5-1.5 ({exc})") from None


def parse_partition(spec: str) -> Partition:
    """``A,B/C,D@T`` or ``A,B/C,D@T-T2`` (groups split by ``/``, heal at T2)."""
    try:
        groups_text, sep, when = spec.rpartition("@")
        if not sep:
            raise ValueError("no @")
        groups = [[_node(x) for x in g.split(",") if x.strip()] for g in groups_text.split("/")]
        at, until = _when(when)
        return Partition(groups, at=at, until=until)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"--partition {spec!r}: expected groups like 0,1/2,3,4@T or @T-T2 ({exc})") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dsysedu", description="Run dsysedu demos headless.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the demos")
    m = sub.add_parser("map", help="write the course's mind map as an HTML page",
                       description="Write the source's mind map (section 11) as an HTML page whose leaves open "
                                   "the notebook sections that teach them; planned ones are grey.")
    m.add_argument("--out", default="mind_map.html", help="the HTML file to write (default: mind_map.html)")
    sweep_cli.add_parser(sub)
    r = sub.add_parser("run", help="run a demo and write its views",
                       description="Run a demo, print a summary and write a trace (JSONL), a snapshot (PNG), "
                                   "an animation (HTML) and the summary (JSON).",
                       epilog="demos: " + "; ".join(f"{k}: {v}" for k, v in ABOUT.items()))
    r.add_argument("demo", choices=list(DEMOS))
    r.add_argument("--nodes", type=int, help="number of nodes (not request-reply)")
    r.add_argument("--loss", type=float, help="message loss probability, 0..1")
    r.add_argument("--crash", action="append", default=[], metavar="NODE@T[-T2]",
                   help="crash NODE at T seconds (recover at T2); repeatable")
    r.add_argument("--partition", action="append", default=[], metavar="A,B/C,D@T[-T2]",
                   help="split the nodes into groups at T (heal at T2); repeatable")
    r.add_argument("--seed", type=int, default=0, help="seed of the run (an int >= 0)")
    r.add_argument("--until", type=float, help="simulated seconds to run")
    r.add_argument("--out", default="out", help="folder for PNG/HTML/JSONL files (default: out)")
    r.add_argument("--no-html", action="store_true", help="skip the HTML animation")
    return p


def _argv(argv: list) -> list:
    """``--crash -1@0.1`` as ``--crash=-1@0.1``: a value that starts with '-' is not a flag here."""
    out, i = [], 0
    while i < len(argv):
        a = argv[i]
        if a in ("--crash", "--partition") and i + 1 < len(argv) and argv[i + 1].startswith("-") \
                and "@" in argv[i + 1]:
            out.append(f"{a}={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def _check_out(out: Path) -> None:
    """Refuse an ``--out`` that cannot hold the files, before the run."""
    for parent in [out, *out.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"--out {str(out)!r}: {str(parent)!r} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise ValueError(f"--out {str(out)!r}: cannot write in {str(parent)!r}")
            return


def _summary(trace) -> dict:
    s = trace.summary()
    # the time of the last event, not the bound the run was given (a quiet tail says nothing)
    s["end_time"] = trace.rows[-1][0] if trace.rows else 0.0
    s["truncated"] = trace.truncated
    return s


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(_argv(argv))
    if args.command == "list":
        for name in DEMOS:
            print(f"{name:15s} {ABOUT[name]}")
        return 0
    if args.command == "sweep":
        return sweep_cli.run(args)
    if args.command == "map":
        return _write_map(Path(args.out))
    try:
        if args.seed < 0:
            raise ValueError(f"--seed must be an int >= 0, got {args.seed}")
        normalize_seed(args.seed)
        out = Path(args.out)
        _check_out(out)
        takes = inspect.signature(DEMOS[args.demo]).parameters
        knobs = {}
        for k in _KNOBS:
            v = getattr(args, k)
            if v is not None:
                if k not in takes:
                    raise ValueError(f"--{k}: the {args.demo} demo does not take it")
                knobs[k] = v
        knobs["faults"] = tuple([parse_crash(c) for c in args.crash] + [parse_partition(s) for s in args.partition])
        scenario = demo(args.demo, **knobs)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    trace = run(scenario, seed=args.seed)
    out.mkdir(parents=True, exist_ok=True)
    summary = _summary(trace)
    width = max(len(k) for k in summary)
    print(f"demo {args.demo}, seed {args.seed}")
    for k, v in summary.items():
        print(f"  {k:<{width}}  {v:.6g}" if isinstance(v, float) else f"  {k:<{width}}  {v}")
    if trace.truncated:
        print(f"note: the run was cut off by a bound ({trace.ended_by}) before its end")
    trace.save(out / f"{args.demo}.jsonl")
    written = [f"{args.demo}.jsonl"]
    if len(trace.nodes) <= MAX_DRAWN_NODES:
        written += _draw(trace, out, args.demo, html=not args.no_html)
    else:
        print(f"note: {len(trace.nodes)} nodes: views not drawn (at most {MAX_DRAWN_NODES}); the trace is saved")
    (out / f"{args.demo}.summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    written.append(f"{args.demo}.summary.json")
    print("wrote " + ", ".join(str(out / w) for w in written))
    return 0


def _write_map(out: Path) -> int:
    """``python -m dsysedu map``: the mind map as a page, its links relative to where it is written."""
    from .course import notebooks_dir
    from .mind_map import mind_map
    from .viz.mindmap import mind_map_counts, mind_map_page

    if out.suffix.lower() not in (".html", ".htm"):
        print(f"error: --out {str(out)!r}: expected a file ending in .html", file=sys.stderr)
        return 2
    try:
        _check_out(out.parent if str(out.parent) else Path("."))
        if out.is_dir():
            raise ValueError(f"--out {str(out)!r} is a folder, not a file")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    here = out.resolve().parent
    notebooks = notebooks_dir()

    def link(href: str) -> str:
        notebook, sep, fragment = href.partition("#")
        return Path(os.path.relpath(notebooks / notebook, here)).as_posix() + sep + fragment

    tree = mind_map()
    out.write_text(mind_map_page(tree, link), encoding="utf-8")
    counts = mind_map_counts(tree)
    print(f"wrote {out}: {counts['ready']} of {counts['leaves']} leaves open a lesson, {counts['planned']} planned")
    return 0


def _draw(trace, out: Path, name: str, html: bool) -> list:
    import matplotlib.pyplot as plt

    from dsysedu.viz.animate import frames, snapshot, to_html
    t_mid = float(frames(trace, 3)[1])  # the middle of the activity, not of a quiet tail
    fig = snapshot(trace, t_mid, path=out / f"{name}.png")
    plt.close(fig)
    written = [f"{name}.png"]
    if html:
        (out / f"{name}.html").write_text(to_html(trace, frames=15), encoding="utf-8")
        written.append(f"{name}.html")
    return written
