"""``python -m dsysedu sweep``: a grid of seeded runs from the terminal, written to Parquet or CSV.

Usage::

    python -m dsysedu sweep raft-chaos --seeds 0:1000 --executor process --workers 2 --out chaos.parquet
    python -m dsysedu sweep flood --seeds 0:20 --param nodes=4,8,16 --param loss=0,0.1 --out flood.csv
    python -m dsysedu sweep gossip-rounds --seeds 0:5 --param N=1000,100000 --executor dask --out g.parquet
    python -m dsysedu sweep raft-chaos --seeds 0:100000 --scheduler tcp://scheduler:8786 --out big.parquet

Each named experiment is a builder and a summary for :func:`dsysedu.sweep`; ``--param NAME=V1,V2``
adds an axis to its grid (numbers are read as numbers, the rest as strings). ``--executor``
picks where the runs happen: ``serial`` (default), ``process`` (a process pool of ``--workers``),
``dask`` (a Dask LocalCluster of ``--workers`` processes on 127.0.0.1), or ``--scheduler ADDRESS``
for a running Dask cluster. The file's suffix picks the format: ``.parquet`` or ``.csv``.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import functools
import sys
import time
from pathlib import Path

from .demos import DEMOS, demo
from .protocols.consensus.raft import chaos_scenario
from .protocols.consensus.raft.experiments import chaos_verdicts
from .protocols.membership.gossip import event_spread, spread_rounds
from .sweep import sweep

__all__ = ["EXPERIMENTS", "add_parser", "run", "parse_seeds", "parse_param"]


def _demo_run(seed, *, name, **knobs):
    return demo(name, **knobs)


#: name -> (builder called as f(seed=..., **point), summary, default grid, one-line description)
EXPERIMENTS = {
    "raft-chaos": (chaos_scenario, chaos_verdicts, {"nodes": [5]},
                   "Raft under random crashes, pauses, partitions and lossy links: safe, live, elections"),
    "gossip-rounds": (spread_rounds, None,
                      {"mode": ["push"], "N": [1000]}, "numpy round-kernel gossip: rounds to full spread"),
    "gossip-events": (event_spread, None, {"N": [1000]},
                      "event-simulator gossip on a random 4-regular graph: time, traffic, residue"),
    **{name: (functools.partial(_demo_run, name=name), None, {}, f"the {name} demo: its trace summary")
       for name in sorted(DEMOS)},
}


def parse_seeds(text: str) -> list[int]:
    """``A:B`` (range, B excluded), ``N`` (seeds 0..N-1) or ``1,5,9`` (a list)."""
    try:
        if ":" in text:
            a, b = text.split(":")
            return list(range(int(a), int(b)))
        if "," in text:
            return [int(x) for x in text.split(",") if x.strip()]
        return list(range(int(text)))
    except ValueError:
        raise ValueError(f"--seeds {text!r}: expected A:B (a range), N (0..N-1) or a list like 1,5,9") from None


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def parse_param(text: str) -> tuple[str, list]:
    """``NAME=V1,V2,...`` -> ``(NAME, [V1, V2, ...])``, numbers read as numbers."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip() or not values.strip():
        raise ValueError(f"--param {text!r}: expected NAME=V1,V2,... e.g. nodes=3,5,7")
    return name.strip(), [_value(v.strip()) for v in values.split(",")]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``sweep`` subcommand to ``python -m dsysedu``'s subparsers."""
    listing = "; ".join(f"{k}: {v[3]}" for k, v in EXPERIMENTS.items())
    p = subparsers.add_parser("sweep", help="run a grid of seeded runs, write Parquet or CSV",
                              description=f"Run a grid of seeded runs. Experiments: {listing}.")
    p.add_argument("experiment", choices=sorted(EXPERIMENTS))
    p.add_argument("--seeds", default="10", help="A:B, N (0..N-1) or 1,5,9 (default 10)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=V1,V2",
                   help="a grid axis (repeat for more axes)")
    p.add_argument("--executor", choices=("serial", "process", "dask"), default="serial")
    p.add_argument("--workers", type=int, default=2, help="process or Dask workers (default 2)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--chunksize", type=int, help="runs per task sent to a worker")
    p.add_argument("--memory", action="store_true", help="add peak_mib, the memory per run")
    p.add_argument("--out", required=True, help="output file, .parquet or .csv")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


@contextlib.contextmanager
def _executor(args):
    if args.scheduler:
        from distributed import Client
        with Client(args.scheduler) as client:
            yield client
    elif args.executor == "process":
        with cf.ProcessPoolExecutor(max_workers=args.workers) as pool:
            yield pool
    elif args.executor == "dask":
        from distributed import Client, LocalCluster
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address=None, silence_logs=50) as cluster, Client(cluster) as client:
            yield client
    else:
        yield None


def run(args) -> int:
    """Run ``python -m dsysedu sweep`` from parsed arguments; returns the exit status."""
    out = Path(args.out)
    try:
        if out.suffix not in (".parquet", ".csv"):
            raise ValueError(f"--out {args.out!r}: the file must end in .parquet or .csv")
        if args.workers < 1:
            raise ValueError(f"--workers must be at least 1, got {args.workers}")
        seeds = parse_seeds(args.seeds)
        build, summary, grid, _ = EXPERIMENTS[args.experiment]
        grid = {**grid, **dict(parse_param(p) for p in args.param)}
        start = time.perf_counter()
        with _executor(args) as executor:
            df = sweep(build, summary, seeds=seeds, params=grid or None, executor=executor,
                       chunksize=args.chunksize, progress=not args.no_progress, memory=args.memory,
                       description=args.experiment)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        df.to_parquet(out, index=False)
    else:
        df.to_csv(out, index=False)
    print(f"{args.experiment}: {len(df)} rows from {len(seeds)} seeds in {seconds:.1f} s -> {out}")
    return 0
