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


def test_time_specs_with_exponents_and_negative_nodes():
    assert parse_crash("3@1e-3") == Crash(3, at=0.001)
    assert parse_crash("3@0.1-1e-1") == Crash(3, at=0.1, until=0.1)
    assert parse_crash("3@1e-3-2E-1") == Crash(3, at=0.001, until=0.2)
    assert parse_partition("0,1/2@1e-2-5e-1") == Partition([[0, 1], [2]], at=0.01, until=0.5)
    with pytest.raises(ValueError, match="NODE@T"):
        parse_crash("3@0.1-0.2-0.3")


def test_negative_node_is_a_value_not_a_flag(tmp_path, capsys):
    assert main(["run", "flood", "--crash", "-1@0.1", "--out", str(tmp_path)]) == 2
    assert "unknown node -1" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--seed", "-1"], "--seed must be an int >= 0"),
    (["--nodes", "3"], "request-reply demo does not take it"),
])
def test_bad_knobs_are_refused_before_the_run(tmp_path, capsys, argv, message):
    assert main(["run", "request-reply", *argv, "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_unusable_out_is_refused_before_the_run(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    for out in (f, f / "sub"):
        assert main(["run", "flood", "--out", str(out)]) == 2
        assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["raft", "paxos", "gossip", "cap-cp", "cap-ap"])
def test_protocol_demos_run_and_summarise_to_the_last_event(tmp_path, capsys, name):
    assert main(["run", name, "--seed", "1", "--out", str(tmp_path), "--no-html"]) == 0
    summary = json.loads((tmp_path / f"{name}.summary.json").read_text())
    from dsysedu.sim import Trace
    trace = Trace.load(tmp_path / f"{name}.jsonl")
    assert summary["end_time"] == trace.rows[-1][0] and summary["truncated"] is False
    assert summary["deliver"] > 0


def test_help_and_list_have_no_markup():
    for args in (["--help"], ["run", "--help"]):
        out = subprocess.run([sys.executable, "-m", "dsysedu", *args], capture_output=True, text=True).stdout
        assert "``" not in out and ":class:" not in out and ":func:" not in out
        assert "raft" in out or args == ["--help"]
    out = subprocess.run([sys.executable, "-m", "dsysedu", "list"], capture_output=True, text=True).stdout
    assert "``" not in out and {"raft", "paxos", "gossip", "cap-cp", "cap-ap"} <= {l.split()[0] for l in out.splitlines()}


def test_large_runs_are_saved_not_drawn(tmp_path, capsys):
    assert main(["run", "flood", "--nodes", "400", "--until", "0.2", "--out", str(tmp_path)]) == 0
    assert "views not drawn" in capsys.readouterr().out
    assert (tmp_path / "flood.jsonl").exists() and not (tmp_path / "flood.png").exists()


def test_map_writes_the_mind_map_with_links_that_resolve_from_where_it_is(tmp_path, capsys):
    import html
    import re
    from urllib.parse import unquote

    from dsysedu.course import notebooks_dir
    from dsysedu.mind_map import mind_map, notebook_headings

    out = tmp_path / "deep" / "map.html"
    assert main(["map", "--out", str(out)]) == 0
    assert "leaves open a lesson" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
    assert len(hrefs) == sum(1 for n in mind_map().walk() if n.href) + sum(
        exists for n in mind_map().walk() for _, exists in n.also)
    for href in hrefs:
        path, _, anchor = href.partition("#")
        target = (out.parent / unquote(path)).resolve()
        assert target.is_file() and notebooks_dir() in target.parents, href
        if anchor:
            assert anchor in {h.anchor for h in notebook_headings(target)}, href
    assert "planned" in page


def test_map_refuses_an_out_that_is_not_an_html_file(tmp_path, capsys):
    assert main(["map", "--out", str(tmp_path / "map.txt")]) == 2
    assert "ending in .html" in capsys.readouterr().err
    (tmp_path / "a.html").mkdir()
    assert main(["map", "--out", str(tmp_path / "a.html")]) == 2
    assert "is a folder" in capsys.readouterr().err
