"""The headless CLI: python -m dsysedu run DEMO ..."""
import json
import subprocess
import sys

import pytest

from dsysedu.cli import main, parse_crash, parse_partition
from dsysedu.sim import Crash, Partition


def test_parse_fault_specs():
    assert parse_crash("2@0.5") == Crash(2, at=0.5)
    assert parse_crash("2@0.5-1.5") == Crash(2, at=0.5, until=1.5)
    assert parse_partition("0,1/2,3,4@0.2-0.9") == Partition([[0, 1], [2, 3, 4]], at=0.2, until=0.9)
    with pytest.raises(ValueError, match="NODE@T"):
        parse_crash("2")
    with pytest.raises(ValueError, match="groups"):
        parse_partition("0,1@x")


def test_run_writes_views_and_prints_summary(tmp_path, capsys):
    code = main(["run", "flood", "--nodes", "6", "--loss", "0.1", "--crash", "3@0.0-0.05",
                 "--partition", "0,1,2,3/4,5@0.0-0.03", "--seed", "3", "--out", str(tmp_path), "--no-html"])
    assert code == 0
    out = capsys.readouterr().out
    assert "deliver" in out and "ended_by" in out
    summary = json.loads((tmp_path / "flood.summary.json").read_text())
    assert summary["crash"] == 1 and summary["partition"] == 1
    png = (tmp_path / "flood.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    from dsysedu.sim import Trace
    assert len(Trace.load(tmp_path / "flood.jsonl")) == summary["events"]


def test_bad_input_is_an_error_message_not_a_traceback(tmp_path, capsys):
    assert main(["run", "flood", "--loss", "1.5", "--out", str(tmp_path)]) == 2
    assert "loss must be" in capsys.readouterr().err
    assert main(["run", "flood", "--crash", "99@0.1", "--out", str(tmp_path)]) == 2
    assert "unknown node 99" in capsys.readouterr().err


def test_module_entry_point_lists_demos():
    out = subprocess.run([sys.executable, "-m", "dsysedu", "list"], capture_output=True, text=True, check=True)
    assert "flood" in out.stdout and "request-reply" in out.stdout
