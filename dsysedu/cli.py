"""Headless command line: run a demo, print a summary table, write the views.

Usage::

    python -m dsysedu run flood --nodes 6 --loss 0.1 --crash 3@0.02 --partition 0,1,2/3,4,5@0.05-0.5 --out out/
    python -m dsysedu list
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .demos import DEMOS, demo
from .sim import Crash, Partition, run
from . import sweep_cli  # the sweep subcommand lives in dsysedu/sweep_cli.py

__all__ = ["main", "parse_crash", "parse_partition"]


def _node(text: str):
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else text


def parse_crash(spec: str) -> Crash:
    """``NODE@T`` or ``NODE@T-T2`` (crash at T, recover at T2)."""
    try:
        node, when = spec.split("@")
        if "-" in when:
            at, until = when.split("-")
            return Crash(_node(node), at=float(at), until=float(until))
        return Crash(_node(node), at=float(when))
    except ValueError as exc:
        raise ValueError(f"--crash {spec!r}: expected NODE@T or NODE@T-T2, e.g. 2@0.5 or 2@0.5-1.5 ({exc})") from None


def parse_partition(spec: str) -> Partition:
    """``A,B/C,D@T`` or ``A,B/C,D@T-T2`` (groups split by ``/``, heal at T2)."""
    try:
        groups_text, when = spec.split("@")
        groups = [[_node(x) for x in g.split(",") if x.strip()] for g in groups_text.split("/")]
        if "-" in when:
            at, until = when.split("-")
            return Partition(groups, at=float(at), until=float(until))
        return Partition(groups, at=float(when))
    except ValueError as exc:
        raise ValueError(f"--partition {spec!r}: expected groups like 0,1/2,3,4@T or @T-T2 ({exc})") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dsysedu", description="Run dsysedu demos headless.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the demos")
    sweep_cli.add_parser(sub)
    r = sub.add_parser("run", help="run a demo and write its views")
    r.add_argument("demo", choices=sorted(DEMOS))
    r.add_argument("--nodes", type=int, help="number of nodes (flood, ping)")
    r.add_argument("--loss", type=float, help="message loss probability, 0..1")
    r.add_argument("--crash", action="append", default=[], metavar="NODE@T[-T2]")
    r.add_argument("--partition", action="append", default=[], metavar="A,B/C,D@T[-T2]")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--until", type=float, help="simulated seconds to run")
    r.add_argument("--out", default="out", help="folder for PNG/HTML/JSONL files (default: out)")
    r.add_argument("--no-html", action="store_true", help="skip the HTML animation")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sweep":
        return sweep_cli.run(args)
    if args.command == "list":
        for name, fn in sorted(DEMOS.items()):
            print(f"{name:15s} {fn.__doc__.strip().splitlines()[0]}")
        return 0
    knobs = {}
    if args.nodes is not None and args.demo != "request-reply":
        knobs["nodes"] = args.nodes
    if args.loss is not None:
        knobs["loss"] = args.loss
    if args.until is not None:
        knobs["until"] = args.until
    try:
        faults = [parse_crash(c) for c in args.crash] + [parse_partition(s) for s in args.partition]
        knobs["faults"] = tuple(faults)
        scenario = demo(args.demo, **knobs)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    trace = run(scenario, seed=args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = trace.summary()
    width = max(len(k) for k in summary)
    print(f"demo {args.demo}, seed {args.seed}")
    for k, v in summary.items():
        print(f"  {k:<{width}}  {v}")
    trace.save(out / f"{args.demo}.jsonl")
    import matplotlib.pyplot as plt

    from dsysedu.viz.animate import frames, snapshot, to_html
    t_mid = float(frames(trace, 3)[1])  # the middle of the activity, not of a quiet tail
    fig = snapshot(trace, t_mid, path=out / f"{args.demo}.png")
    plt.close(fig)
    written = [f"{args.demo}.jsonl", f"{args.demo}.png"]
    if not args.no_html:
        (out / f"{args.demo}.html").write_text(to_html(trace, frames=15), encoding="utf-8")
        written.append(f"{args.demo}.html")
    (out / f"{args.demo}.summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    written.append(f"{args.demo}.summary.json")
    print("wrote " + ", ".join(str(out / w) for w in written))
    return 0
