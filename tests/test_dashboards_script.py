"""scripts/dashboards.sh: culling and the kernel cap on by default; the preheat feature test works."""
import re
import subprocess
from pathlib import Path

SCRIPT = (Path(__file__).resolve().parents[1] / "scripts" / "dashboards.sh").read_text()


def test_idle_kernels_are_culled_and_capped_by_default():
    for flag in ("--MappingKernelManager.cull_idle_timeout=", "--MappingKernelManager.cull_interval=",
                 "--CappedKernelManager.max_kernels=", "multi_kernel_manager_class=voila_cap.CappedKernelManager"):
        assert flag in SCRIPT
    assert "127.0.0.1" in SCRIPT


def test_preheat_detection_survives_pipefail(tmp_path):
    """``voila --help-all | grep -q`` under pipefail was false even with the flag: grep exits at the
    first match and voila dies of SIGPIPE. The script captures the help text first."""
    block = re.search(r"^help_text=.*?^fi$", SCRIPT, re.MULTILINE | re.DOTALL).group(0)
    fake = tmp_path / "voila"
    fake.write_text("#!/usr/bin/env bash\necho '--preheat_kernel=<Bool>'\nseq 1 200000\n")
    fake.chmod(0o755)
    snippet = f'set -euo pipefail\nvoila="{fake}"\nargs=()\n{block}\necho "ARGS ${{args[@]:-}}"\n'
    out = subprocess.run(["bash", "-c", snippet], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "--preheat_kernel=True" in out.stdout
    old = 'set -euo pipefail\nif "%s" --help-all 2>/dev/null | grep -q -- "--preheat_kernel="; then echo yes; ' \
          'else echo no; fi\n' % fake
    assert subprocess.run(["bash", "-c", old], capture_output=True, text=True, timeout=60).stdout.strip() == "no"


def test_the_kernel_cap_refuses_one_kernel_too_many(monkeypatch):
    import asyncio
    import sys
    from concurrent.futures import ThreadPoolExecutor

    import pytest
    from tornado import web
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    try:
        from voila_cap import CappedKernelManager
    finally:
        sys.path.pop(0)
    km = CappedKernelManager(max_kernels=2)
    monkeypatch.setattr(km, "list_kernel_ids", lambda: ["a", "b"])
    with pytest.raises(web.HTTPError) as err, ThreadPoolExecutor(1) as pool:
        # a thread of its own: an earlier test in this worker may have left an event loop running here
        pool.submit(asyncio.run, km.start_kernel()).result()
    assert err.value.status_code == 503 and "max_kernels" in err.value.log_message
