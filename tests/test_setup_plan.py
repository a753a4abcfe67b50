"""``scripts/setup.sh --print-plan``: which install a learner and a tester get, and switching.

Runs the real script in a throwaway copy of the repository's layout (``scripts/setup.sh`` and
``pyproject.toml``) whose ``.venv/bin/python`` is a wrapper around the interpreter running
the tests, so no virtualenv is built and pip never runs: ``--print-plan`` only reports.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def copy(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _venv(root: Path) -> None:
    bin_ = root / ".venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_ / "python").chmod(0o755)


def _stamp(root: Path, profile: str | None, sha: str | None = None) -> None:
    sha = sha or hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()
    (root / ".venv" / ".dsysedu-installed").write_text(sha + (f" {profile}" if profile else "") + "\n")


def plan(root: Path, *args: str) -> dict[str, str]:
    out = subprocess.run(["bash", str(root / "scripts" / "setup.sh"), *args, "--print-plan"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_without_venv_both_profiles_install_their_target(copy):
    assert plan(copy, "--course") == {"profile": "course", "action": "install", "target": ".",
                                      "reason": "no usable .venv yet"}
    assert plan(copy, "--test")["target"] == ".[test]"
    assert plan(copy)["profile"] == "test"   # bare setup.sh keeps installing the test extra
    assert not (copy / ".venv").exists()     # the plan changed nothing


def test_course_install_is_upgraded_by_the_test_command(copy):
    _venv(copy)
    _stamp(copy, "course")
    assert plan(copy, "--course")["action"] == "none"
    p = plan(copy, "--test")
    assert (p["action"], p["target"]) == ("install", ".[test]")
    assert "test extra" in p["reason"]


def test_test_install_serves_the_course(copy):
    _venv(copy)
    _stamp(copy, "test")
    assert plan(copy, "--test")["action"] == "none"
    assert plan(copy, "--course")["action"] == "none"


def test_old_stamp_without_profile_counts_as_a_test_install(copy):
    _venv(copy)
    _stamp(copy, None)
    assert plan(copy, "--test")["action"] == "none"


def test_changed_pyproject_reinstalls(copy):
    _venv(copy)
    _stamp(copy, "test", sha="0" * 64)
    p = plan(copy, "--course")
    assert (p["action"], p["target"], p["reason"]) == ("install", ".", "pyproject.toml is new or changed")


def test_missing_distribution_reinstalls(copy):
    _venv(copy)
    _stamp(copy, "test")
    text = (copy / "pyproject.toml").read_text().replace('"pyarrow>=15",', '"pyarrow>=15",\n    "no-such-dist-dsysedu>=1",')
    (copy / "pyproject.toml").write_text(text)
    _stamp(copy, "test")
    assert plan(copy, "--course")["reason"] == "a required distribution is missing from .venv"


def test_unknown_option_is_refused(copy):
    r = subprocess.run(["bash", str(copy / "scripts" / "setup.sh"), "--learner"], capture_output=True, text=True)
    assert r.returncode == 2 and "--course, --test, --print-plan" in r.stderr


def test_course_and_test_commands_pick_their_profile():
    assert "bash scripts/setup.sh --course\n" in (REPO / "scripts" / "course.sh").read_text()
    assert "bash scripts/setup.sh --test\n" in (REPO / "scripts" / "test.sh").read_text()
