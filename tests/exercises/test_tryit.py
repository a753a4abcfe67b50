"""The student copy runs top to bottom: a try-it cell calling a function not written yet shows the
checker's friendly message, not a traceback; other errors still are errors."""
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from dsysedu.exercises.notebooks import student_version
from dsysedu.exercises.tryit import NotWrittenYet, install

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def shell():
    sh = InteractiveShell.instance()
    assert install(sh) and install(sh)  # once, however often it is called
    assert sum(isinstance(t, NotWrittenYet) for t in sh.ast_transformers) == 1
    yield sh
    sh.ast_transformers[:] = [t for t in sh.ast_transformers if not isinstance(t, NotWrittenYet)]


def test_an_unwritten_function_says_so_and_the_cell_succeeds(shell, capsys):
    assert shell.run_cell("def majority(n):\n    raise NotImplementedError()").success
    result = shell.run_cell("[majority(n) for n in (3, 4, 5)]")
    assert result.success and result.error_in_exec is None
    out = capsys.readouterr().out
    assert "majority is not written yet" in out and "Traceback" not in out


def test_the_last_value_is_still_displayed_and_other_errors_still_fail(shell, capsys):
    result = shell.run_cell("x = 20\nx + 1", store_history=True)
    assert result.success and result.result == 21
    assert shell.run_cell("x + 1;", store_history=True).result is None  # a trailing semicolon still hides it
    assert not shell.run_cell("1 / 0").success
    assert not shell.run_cell("raise NotImplementedError('a cell of my own')").success
    assert not shell.run_cell("no_such_name + 1").success
    # raised inside a library, not by a function of the notebook: a real error
    assert not shell.run_cell("import io\nio.RawIOBase().readinto(bytearray(1))").success


def test_a_variable_an_interrupted_cell_never_assigned_is_explained(shell, capsys):
    shell.run_cell("def safe(s):\n    raise NotImplementedError()")
    assert shell.run_cell("ok = 1\nverdict = safe(3)\nlater = 2").success
    result = shell.run_cell("print(verdict)")
    assert result.success
    out = capsys.readouterr().out
    assert "verdict has no value yet" in out and "safe is not written yet" in out


@pytest.mark.parametrize("path", sorted((REPO / "notebooks" / "exercises").glob("*.ipynb")), ids=lambda p: p.name)
def test_the_student_copy_runs_top_to_bottom_without_an_error(path, tmp_path):
    student = student_version(path, tmp_path / path.name)
    nb = nbformat.read(student, as_version=4)
    # the kernel talks over IPC sockets in a short directory of its own: on TCP, kernels started at
    # once by two test workers can race for the same free port ("Address already in use")
    sockets = tempfile.mkdtemp(prefix="dsk")
    try:
        km = KernelManager(kernel_name="python3", transport="ipc", connection_file=f"{sockets}/kernel.json")
        NotebookClient(nb, km=km, timeout=300, kernel_name="python3", allow_errors=False,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    outputs = [(c.source, o) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for _, o in outputs if o.output_type == "error"]
    tried = [o for src, o in outputs if "check(" not in src and "def " not in src
             and "is not written yet" in str(o.get("data", {}).get("text/plain", ""))]
    assert tried, "no try-it cell showed the friendly message"
    assert any("raise NotImplementedError()" in str(o["data"]["text/plain"]) for o in tried)
