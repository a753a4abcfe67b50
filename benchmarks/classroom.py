"""A class opens the same dashboard at once: first-render times and kernel memory on this machine.

Run:  .venv/bin/python benchmarks/classroom.py                      (20 sessions, about two minutes)
      .venv/bin/python benchmarks/classroom.py --sessions 10 --pool 1 --dashboard raft_playground

Serves ``notebooks/dashboards`` through ``bash scripts/dashboards.sh`` (idle culling and the kernel
cap of ``scripts/voila_cap.py`` on; when this checkout has no ``.venv``, Voila from the running
interpreter is started with the script's options instead), with Voila's pre-heated kernels: a
pool of ``--pool`` kernels (default: one per session) that have already run the presented
dashboard, one kernel for each other dashboard (the script's default) and a cap of sessions +
pools. Waits until the pool has rendered and the server is idle, then opens ``--sessions``
headless Chromium pages (Playwright, ``/usr/bin/chromium``, one browser context each) at once, or
spread evenly over ``--arrival-s`` seconds, and times each from navigation to the dashboard's
picture (``.dsysedu-view``) on screen. The browsers run on the same two cores as the server, which
a real class's laptops would not: the figures are an upper bound.

The last line printed is one JSON object: ``sessions``, ``first_render_p50_s``,
``first_render_p95_s``, ``first_render_max_s``, ``kernel_mb`` (median resident memory of the
server's kernels once every page is up, read from ``/proc``: the sessions' kernels, the other
dashboards' pool and the pool's refills, each of which has run a dashboard), ``kernels``, ``kernels_mb_total``,
``failed`` (pages that never showed the picture), ``pool``, ``arrival_s``, ``fill_delay_s``, ``client``
(``--client http`` times only the server: each session GETs the page to its end, no JavaScript runs),
``dashboard`` and
``load_before`` (1-minute load average when the sessions started).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboard_memory import _free_port, _kernels, _rss_mb  # noqa: E402  (the helpers that measure kernels)

REPO = Path(__file__).resolve().parents[1]
VIEW = "img.dsysedu-view, .dsysedu-view img"


def _cpu_ticks(pids) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total


def _percentile(xs, q: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def start_server(port: int, dashboard: str, pool: int, cap: int, fill_delay: float) -> subprocess.Popen:
    """``scripts/dashboards.sh`` (or Voila with its options) with a pool of ``pool`` for ``dashboard``."""
    extra = [  # every other dashboard keeps the script's pool of one kernel
             f"--VoilaKernelManager.kernel_pools_config={json.dumps({'default': {'pool_size': 1}, dashboard + '.ipynb': {'pool_size': pool}})}",
             # seconds before a used pool kernel is replaced (Voila's default: 1)
             f"--VoilaKernelManager.fill_delay={fill_delay}"]
    env = dict(os.environ, PORT=str(port), MAX_KERNELS=str(cap), MPLBACKEND="Agg")
    if (REPO / ".venv" / "bin" / "voila").exists():
        cmd = ["bash", str(REPO / "scripts" / "dashboards.sh"), *extra]
    else:   # the same options as scripts/dashboards.sh, without its setup step
        env["PYTHONPATH"] = f"{REPO / 'scripts'}:{REPO}"
        cmd = [str(Path(sys.executable).with_name("voila")), str(REPO / "notebooks" / "dashboards"), "--no-browser",
               "--Voila.ip=127.0.0.1", f"--port={port}",
               "--VoilaConfiguration.multi_kernel_manager_class=voila_cap.CappedKernelManager",
               f"--CappedKernelManager.max_kernels={cap}", "--MappingKernelManager.cull_idle_timeout=600",
               "--MappingKernelManager.cull_interval=60", "--MappingKernelManager.cull_connected=True",
               "--preheat_kernel=True", *extra]
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_preheated(server: subprocess.Popen, want: int, timeout: float = 240) -> float:
    """Wait until ``want`` kernels have run their dashboard (resident memory over 150 MB) and the
    server's process tree has been idle for 3 s."""
    start = time.monotonic()
    while sum(_rss_mb(k) > 150 for k in _kernels(server.pid)) < want:
        if server.poll() is not None:
            raise RuntimeError("the server stopped while pre-heating")
        if time.monotonic() - start > timeout:
            print(f"WARNING: only {sum(_rss_mb(k) > 150 for k in _kernels(server.pid))} of {want} kernels "
                  f"pre-heated after {timeout:.0f} s; measuring anyway")
            break
        time.sleep(1)
    last, quiet = _cpu_ticks([server.pid, *_kernels(server.pid)]), 0
    while quiet < 3 and time.monotonic() - start < timeout:
        time.sleep(1)
        now = _cpu_ticks([server.pid, *_kernels(server.pid)])
        quiet = quiet + 1 if now - last <= 10 else 0   # at most 0.1 CPU-s per second
        last = now
    return time.monotonic() - start


async def _session(browser, url: str, delay: float, timeout_s: float) -> float | None:
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    start = time.monotonic()
    try:
        await page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        await page.locator(VIEW).first.wait_for(state="visible", timeout=timeout_s * 1000)
        return time.monotonic() - start
    except Exception:   # a page that never shows its picture counts as failed
        return None


async def open_sessions(url: str, n: int, arrival_s: float, timeout_s: float, hold_s: float) -> list[float | None]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        times = await asyncio.gather(*[_session(browser, url, arrival_s * i / max(n - 1, 1), timeout_s)
                                       for i in range(n)])
        await asyncio.sleep(hold_s)   # pages stay open while the kernels are measured
        await browser.close()
    return times


def _http_session(url: str, delay: float, timeout_s: float) -> float | None:
    time.sleep(delay)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            body = r.read()
        return time.monotonic() - start if r.status == 200 and b"widget-view+json" in body else None
    except OSError:
        return None


def open_http_sessions(url: str, n: int, arrival_s: float, timeout_s: float) -> list[float | None]:
    """The server's share only: each session GETs the page and reads it to its end (Voila has then
    run the dashboard in a kernel and sent its outputs); no browser runs the page's JavaScript."""
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda i: _http_session(url, arrival_s * i / max(n - 1, 1), timeout_s), range(n)))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--dashboard", default="cap_playground", help="a notebook of notebooks/dashboards, no suffix")
    ap.add_argument("--pool", type=int, default=None, help="pre-heated kernels for it (default: one per session)")
    ap.add_argument("--arrival-s", type=float, default=0.0, help="spread the page loads over this many seconds")
    ap.add_argument("--fill-delay", type=float, default=1.0,
                    help="seconds before Voila replaces a pool kernel a page took (Voila's default 1)")
    ap.add_argument("--client", choices=("chromium", "http"), default="chromium",
                    help="chromium: time to the picture on screen; http: time to the whole page from the server")
    ap.add_argument("--timeout-s", type=float, default=180.0)
    args = ap.parse_args(argv)
    if args.sessions < 1:
        raise ValueError(f"--sessions must be at least 1, got {args.sessions}")
    if not (REPO / "notebooks" / "dashboards" / f"{args.dashboard}.ipynb").exists():
        raise ValueError(f"--dashboard {args.dashboard!r}: allowed are "
                         f"{sorted(p.stem for p in (REPO / 'notebooks' / 'dashboards').glob('*.ipynb'))}")
    pool = args.sessions if args.pool is None else args.pool
    others = len(list((REPO / "notebooks" / "dashboards").glob("*.ipynb"))) - 1
    cap = args.sessions + pool + others + 2
    port = _free_port()
    server = start_server(port, args.dashboard, pool, cap, args.fill_delay)
    try:
        warm = wait_preheated(server, pool + others)
        print(f"server up, {pool + others} kernels pre-heated in {warm:.0f} s")
        load = os.getloadavg()[0]
        url = f"http://127.0.0.1:{port}/voila/render/{args.dashboard}.ipynb"
        if args.client == "chromium":
            times = asyncio.run(open_sessions(url, args.sessions, args.arrival_s, args.timeout_s, hold_s=0))
        else:
            times = open_http_sessions(url, args.sessions, args.arrival_s, args.timeout_s)
        kernels = _kernels(server.pid)
        rss = {k: _rss_mb(k) for k in kernels}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    ok = [t for t in times if t is not None]
    for i, t in enumerate(times):
        print(f"session {i + 1:2d}: " + (f"{t:5.2f} s" if t is not None else "FAILED (no picture)"))
    result = {"sessions": args.sessions, "first_render_p50_s": round(statistics.median(ok), 2) if ok else None,
              "first_render_p95_s": round(_percentile(ok, 0.95), 2) if ok else None,
              "first_render_max_s": round(max(ok), 2) if ok else None,
              "kernel_mb": round(statistics.median(rss.values()), 1), "kernels": len(rss),
              "kernels_mb_total": round(sum(rss.values())), "failed": len(times) - len(ok), "pool": pool,
              "arrival_s": args.arrival_s, "fill_delay_s": args.fill_delay, "client": args.client, "dashboard": args.dashboard, "load_before": round(load, 2)}
    return result


if __name__ == "__main__":
    print(json.dumps(main()))
