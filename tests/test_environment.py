"""``environment.yml`` (Binder) installs exactly ``pyproject.toml``'s dependencies.

The environment file may list Python, pip and a pip section; whatever it installs is
expanded (``-e .`` / ``.[extra]`` stand for the package's own dependencies, plus the extra's)
and compared with ``[project] dependencies`` as a set of requirement strings. A package added
to one file and not the other, or a test extra sneaking into the learners' Binder image,
fails here.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[1]
_SELF = re.compile(r"^(?:-e\s+)?\.(?:\[(?P<extras>[A-Za-z0-9_,\s-]+)\])?$")


def _pyproject() -> dict:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _canonical(req: str) -> str:
    r = Requirement(req)
    extras = f"[{','.join(sorted(r.extras))}]" if r.extras else ""
    return f"{r.name.lower().replace('_', '-')}{extras}{r.specifier}"


def installed_by(env: dict, project: dict) -> tuple[set[str], str | None]:
    """What an environment file installs: (requirement strings, python pin or None).

    Parameters
    ----------
    env : dict
        The parsed ``environment.yml``.
    project : dict
        The ``[project]`` table of ``pyproject.toml``.
    """
    reqs: set[str] = set()
    python = None
    for dep in env.get("dependencies", []):
        if isinstance(dep, dict):
            for line in dep.get("pip", []):
                m = _SELF.match(line.strip())
                if m is None:
                    reqs.add(_canonical(line))
                    continue
                reqs |= {_canonical(d) for d in project["dependencies"]}
                for extra in filter(None, (m.group("extras") or "").replace(" ", "").split(",")):
                    reqs |= {_canonical(d) for d in project["optional-dependencies"][extra]}
        elif dep.split("=")[0].strip() == "python":
            python = dep.split("=", 1)[1].strip() if "=" in dep else None
        elif dep.strip() != "pip":
            reqs.add(_canonical(dep.replace("=", "==", 1) if "==" not in dep and "=" in dep else dep))
    return reqs, python


def test_environment_installs_exactly_pyproject_dependencies():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    project = _pyproject()
    reqs, _ = installed_by(env, project)
    want = {_canonical(d) for d in project["dependencies"]}
    assert reqs == want, (f"environment.yml installs {sorted(reqs - want)} beyond pyproject.toml and lacks "
                          f"{sorted(want - reqs)}: keep one list, in pyproject.toml")


def test_environment_python_satisfies_requires_python():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    _, python = installed_by(env, _pyproject())
    assert python is not None, "environment.yml must pin python (Binder builds the newest otherwise)"
    assert SpecifierSet(_pyproject()["requires-python"]).contains(python + ".0")


@pytest.mark.parametrize("pip_lines, extra_dep, drifts", [
    (["-e ."], None, False),
    (["-e .[test]"], None, True),       # test tools in the learners' image
    (["-e .", "requests"], None, True),  # a package pyproject does not name
    (["simpy>=4.1,<4.2"], None, True),  # a partial copy of the list
    (["-e ."], "numpy", True),          # a conda package beside pip's
])
def test_drift_is_caught(pip_lines, extra_dep, drifts):
    project = _pyproject()
    deps = ["python=3.11", "pip", {"pip": pip_lines}] + ([extra_dep] if extra_dep else [])
    reqs, _ = installed_by({"dependencies": deps}, project)
    assert (reqs != {_canonical(d) for d in project["dependencies"]}) == drifts
