"""Boundary: the command line (``python -m dsysedu run ...``).

Every bad argument ends in exit status 2 and an ``error:`` line on stderr, before the run:
no traceback, no file written.
"""
import io
from contextlib import redirect_stderr, redirect_stdout

from hypothesis import given
from hypothesis import strategies as st

from dsysedu.cli import main
from limits import FUZZ, TALLY, time_limit

B = "CLI"
DEMO_NAMES = ["flood", "ping", "request-reply", "raft", "paxos", "gossip", "cap-cp", "cap-ap"]


def _refused(argv, out_dir):
    err, out = io.StringIO(), io.StringIO()
    with time_limit(), redirect_stderr(err), redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:   # argparse: a value of the wrong type
            code = exc.code
    text = err.getvalue()
    assert code == 2, (argv, code, text, out.getvalue()[-300:])
    assert "error:" in text and "Traceback" not in text, text
    assert not out_dir.exists() or not any(out_dir.iterdir()), "wrote files for a refused run"
    TALLY[(B, "error (exit 2)")] += 1


specs = st.text(alphabet="0123456789@-.,/eE+x ", max_size=12)


@FUZZ
@given(demo=st.sampled_from(DEMO_NAMES), flag=st.sampled_from(["--crash", "--partition"]), spec=specs)
def test_random_fault_specs(tmp_path_factory, demo, flag, spec):
    out = tmp_path_factory.mktemp("cli") / "out"
    err, o = io.StringIO(), io.StringIO()
    with time_limit(60), redirect_stderr(err), redirect_stdout(o):
        try:
            code = main(["run", demo, flag, spec, "--until", "0.3", "--no-html", "--out", str(out)])
        except SystemExit as exc:
            code = exc.code
    assert "Traceback" not in err.getvalue()
    if code == 0:   # a spec that happens to be valid: the run happened and says how it ended
        assert "ended_by" in o.getvalue()
        TALLY[(B, "bounded run (exit 0)")] += 1
    else:
        assert code == 2 and "error:" in err.getvalue()
        TALLY[(B, "error (exit 2)")] += 1


@FUZZ
@given(demo=st.sampled_from(DEMO_NAMES), data=st.data())
def test_bad_numbers(tmp_path_factory, demo, data):
    flag, value = data.draw(st.sampled_from([
        ("--seed", st.integers(max_value=-1).map(str)), ("--seed", st.sampled_from(["x", "1.5", "", "2**70"])),
        ("--loss", st.sampled_from(["-0.1", "1.5", "nan", "inf", "x"])),
        ("--until", st.sampled_from(["0", "-1", "nan", "inf", "x"])),
        ("--nodes", st.sampled_from(["0", "-3", "x", "2.5", "100000000"]))]))
    value = data.draw(value) if not isinstance(value, str) else value
    out = tmp_path_factory.mktemp("cli") / "out"
    _refused(["run", demo, flag, value, "--out", str(out)], out)


@FUZZ
@given(demo=st.sampled_from(DEMO_NAMES), where=st.sampled_from(["file", "under"]))
def test_unusable_out(tmp_path_factory, demo, where):
    base = tmp_path_factory.mktemp("cli")
    f = base / "f"
    f.write_text("keep")
    out = f if where == "file" else f / "sub" / "dir"
    err = io.StringIO()
    with time_limit(), redirect_stderr(err), redirect_stdout(io.StringIO()):
        code = main(["run", demo, "--out", str(out)])
    assert code == 2 and "is a file, not a folder" in err.getvalue() and f.read_text() == "keep"
    TALLY[(B, "error (exit 2)")] += 1
