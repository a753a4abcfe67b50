"""The course itself: its chapters, its map, and an environment check.

The chapter list follows the source document's outline (sections 1 to 10), then the protocol labs;
the source's own mind map (its section 11), resolved against the notebooks present, is
:mod:`dsysedu.mind_map`. A chapter that has no notebook yet is shown as planned, without a link.
"""
from __future__ import annotations

import importlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

__all__ = ["Chapter", "CHAPTERS", "course_graph", "chapter_links", "check_environment", "notebooks_dir"]


@dataclass(frozen=True)
class Chapter:
    section: str
    title: str
    notebook: str  # path relative to notebooks/
    part: str


CHAPTERS = (
    Chapter("0", "Start here", "00_start_here.ipynb", "Course"),
    Chapter("1", "Introduction: why distributed systems are hard", "01_introduction.ipynb", "Course"),
    Chapter("2.1", "System model, concurrency, CAP and eventual consistency, timing models, FLP", "02_1_system_model.ipynb", "Formal foundations"),
    Chapter("2.2", "Formal models: SMR, pi-calculus with choice, Petri nets", "02_2_formal_models.ipynb", "Formal foundations"),
    Chapter("2.3", "Verification: model checking, temporal logic and proofs", "02_3_verification.ipynb", "Formal foundations"),
    Chapter("3.1", "Consensus: Paxos and Raft", "03_1_consensus.ipynb", "Algorithms"),
    Chapter("3.1b", "Consensus in practice: Multi-Paxos, snapshots, reads, Jepsen", "03_1b_consensus_in_practice.ipynb",
            "Algorithms"),
    Chapter("3.2", "Replication and consistency, CRDTs", "03_2_replication.ipynb", "Algorithms"),
    Chapter("3.3", "Distributed transactions: ACID/BASE, 2PC, 3PC, Paxos Commit and sagas", "03_3_transactions.ipynb", "Algorithms"),
    Chapter("3.4", "Failure detection and gossip", "03_4_failure_detection.ipynb", "Algorithms"),
    Chapter("3.4b", "Gossip at scale: sweeps on Dask", "03_4b_gossip_at_scale.ipynb", "Algorithms"),
    Chapter("4.1", "Communication: RPC, queues, logs, queueing theory", "04_1_communication.ipynb", "Engineering"),
    Chapter("4.2", "Storage: sharding and caching", "04_2_storage.ipynb", "Engineering"),
    Chapter("4.3", "Discovery and load balancing", "04_3_discovery_balancing.ipynb", "Engineering"),
    Chapter("4.4", "Fault tolerance and resilience", "04_4_fault_tolerance.ipynb", "Engineering"),
    Chapter("5", "Design patterns: leases, breakers, event sourcing", "05_design_patterns.ipynb", "Patterns"),
    Chapter("6", "AI and humans: autoscaling, a guard, approvals, explanations, agents", "06_ai_and_humans.ipynb",
            "AI and people"),
    Chapter("7", "Principles: simplicity, evolvability, resilience, observability, security, cost",
            "07_principles.ipynb", "Practice"),
    Chapter("8", "Practice: formal methods at work, infrastructure as code, delivery, technology selection",
            "08_practice.ipynb", "Practice"),
    Chapter("9", "Operations: telemetry, alerting, self-healing, chaos engineering", "09_operations.ipynb", "Practice"),
    Chapter("10", "Conclusion: the recursive loop and the capstone", "10_conclusion.ipynb", "Practice"),
    Chapter("L1", "Lab: echo", "labs/lab1_echo.ipynb", "Labs"),
    Chapter("L2", "Lab: unique ids", "labs/lab2_unique_ids.ipynb", "Labs"),
    Chapter("L3", "Lab: broadcast", "labs/lab3_broadcast.ipynb", "Labs"),
    Chapter("L4", "Lab: grow-only counter", "labs/lab4_grow_only_counter.ipynb", "Labs"),
    Chapter("L5", "Lab: Kafka-style log", "labs/lab5_kafka_log.ipynb", "Labs"),
    Chapter("L6", "Lab: Raft", "labs/lab6_raft.ipynb", "Labs"),
)


def notebooks_dir() -> Path:
    """The ``notebooks/`` folder of this checkout."""
    return Path(__file__).resolve().parent.parent / "notebooks"


def course_graph() -> nx.DiGraph:
    """The course map as a tree: course -> part -> chapter (node attribute ``available``)."""
    root = notebooks_dir()
    g = nx.DiGraph()
    g.add_node("dsysedu", kind="course", available=True)
    for ch in CHAPTERS:
        if ch.part not in g:
            g.add_node(ch.part, kind="part", available=True)
            g.add_edge("dsysedu", ch.part)
        label = f"{ch.section} {ch.title}"
        g.add_node(label, kind="chapter", available=(root / ch.notebook).exists(), notebook=ch.notebook)
        g.add_edge(ch.part, label)
    return g


def chapter_links(root: Path | None = None) -> list[tuple[Chapter, str | None]]:
    """Each chapter with its relative link, or None when its notebook is not written yet."""
    root = notebooks_dir() if root is None else Path(root)
    return [(ch, ch.notebook if (root / ch.notebook).exists() else None) for ch in CHAPTERS]


def check_environment() -> list[dict]:
    """What the course needs, and whether this machine has it (package versions, Chromium)."""
    rows = []
    for name in ("simpy", "networkx", "matplotlib", "pandas", "numpy", "ipywidgets", "voila", "jupyterlab", "z3",
                 "nbval", "hypothesis", "playwright"):
        try:
            mod = importlib.import_module(name)
            version = getattr(mod, "__version__", None) or (mod.get_version_string() if name == "z3" else "?")
            rows.append({"needed for": _purpose(name), "package": name, "version": version,
                         "ok": True})
        except ImportError:
            rows.append({"needed for": _purpose(name), "package": name, "version": "missing", "ok": False})
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    rows.append({"needed for": "dashboard tests", "package": "chromium", "version": chromium or "missing",
                 "ok": chromium is not None})
    return rows


def _purpose(name: str) -> str:
    return {"simpy": "simulation", "networkx": "topologies", "matplotlib": "views", "pandas": "traces as tables",
            "numpy": "numbers", "ipywidgets": "controls", "voila": "dashboards", "jupyterlab": "the course",
            "z3": "proofs (chapter 2.3)",
            "nbval": "notebook tests", "hypothesis": "property tests", "playwright": "dashboard tests"}[name]
