"""What a dashboard page costs on the server: the kernel's resident memory, per dashboard.

Run:  .venv/bin/python benchmarks/dashboard_memory.py      (about a minute)

Starts Voila on 127.0.0.1 with the options of ``scripts/dashboards.sh`` (the capped kernel
manager of ``scripts/voila_cap.py``, here with a cap of 3 kernels, and idle culling), loads
each dashboard of ``notebooks/dashboards`` once (the server runs the notebook: the widgets
are built and drawn at their starting values), and reads each kernel's RSS from ``/proc``.
Then loads one page more than the cap allows and reports its HTTP status (503 expected),
and waits for the culler to shut the idle kernels down.

The last line printed is one JSON object: ``rss_mb`` (dashboard -> MB), ``rss_mb_max``,
``over_cap_status`` and ``kernels_after_cull``. A browser that plays with a dashboard grows its
kernel further (the gossip dashboard at N = 2,000 was measured at 280-360 MB in issue 18).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CAP = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kernels(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text().rsplit(")", 1)[1].split()
                cmd = (p / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat[1]) == pid and b"ipykernel" in cmd:
                out.append(int(p.name))
    return sorted(out)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=180) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def main() -> dict:
    port = _free_port()
    voila = Path(sys.executable).with_name("voila")
    env = dict(os.environ, PYTHONPATH=f"{REPO / 'scripts'}:{REPO}", MPLBACKEND="Agg")
    cmd = [str(voila), str(REPO / "notebooks" / "dashboards"), "--no-browser", "--Voila.ip=127.0.0.1",
           f"--port={port}", "--VoilaConfiguration.multi_kernel_manager_class=voila_cap.CappedKernelManager",
           f"--CappedKernelManager.max_kernels={CAP}", "--MappingKernelManager.cull_idle_timeout=20",
           "--MappingKernelManager.cull_interval=5", "--MappingKernelManager.cull_connected=True"]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rss: dict[str, float] = {}
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        names = sorted(p.stem for p in (REPO / "notebooks" / "dashboards").glob("*.ipynb"))
        for i in range(0, len(names), CAP):
            batch = names[i:i + CAP]
            for name in batch:
                seen = set(_kernels(server.pid))
                status = _get(f"http://127.0.0.1:{port}/voila/render/{name}.ipynb")
                time.sleep(1.0)
                new = [k for k in _kernels(server.pid) if k not in seen]
                rss[name] = round(_rss_mb(new[0]), 1) if status == 200 and new else float("nan")
                print(f"{name:22s} HTTP {status}  kernel RSS {rss[name]} MB")
            if len(batch) == CAP:
                over = _get(f"http://127.0.0.1:{port}/voila/render/{names[0]}.ipynb")
                print(f"one page over the cap of {CAP}: HTTP {over}")
            deadline = time.time() + 60
            while _kernels(server.pid) and time.time() < deadline:
                time.sleep(2)
            after = len(_kernels(server.pid))
            print(f"kernels after the idle culler ran: {after}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"rss_mb": rss, "rss_mb_max": max(rss.values()), "over_cap_status": over, "kernels_after_cull": after}


if __name__ == "__main__":
    print(json.dumps(main()))
