"""Shared pytest fixtures: a local Voila server and a headless Chromium page.

Browser tests are marked ``@pytest.mark.browser``; they are skipped when
``DSYSEDU_NO_BROWSER=1`` or when Debian's ``/usr/bin/chromium`` is absent
(``scripts/setup.sh`` installs it when it can).

Fixtures
--------
``voila_factory`` (session)
    ``voila_factory(directory) -> base_url``: serves ``directory`` with Voila and stops
    it at the end of the session. Notebooks are at ``base_url + "voila/render/<name>"``.
``voila_server`` (session)
    Base URL of Voila serving ``notebooks/dashboards`` (or ``$DSYSEDU_VOILA_DIR``, or
    the directory given by indirect parametrization).
``browser_page`` (function)
    A Playwright page on headless Chromium, tall viewport, network limited to
    127.0.0.1/localhost. ``page.console_errors`` collects console errors (as
    "<text> (<source url>)") and uncaught page errors (as "pageerror: <message>");
    ``page.unexpected_console_errors()`` is that list minus the benign ones in
    ``BENIGN_CONSOLE_ERRORS``.
``artifacts_dir`` (function)
    ``tests/artifacts/`` (gitignored), created on demand: screenshots go there.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
DEFAULT_VOILA_DIR = REPO / "notebooks" / "dashboards"
VOILA_START_TIMEOUT = 60.0  # seconds until the HTTP port must answer
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 2200}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

# Console errors that are expected and harmless: regexes matched against the entries
# of ``page.console_errors``, which read "<message text> (<source url>)".
# JupyterLab extensions that nbgrader brings into the environment (its own, and Notebook 7's, which it
# requires). Voila's page loads every federated extension it finds; these two need JupyterLab's
# file browser and document registry, which a Voila page does not share, and log errors there.
VOILA_DENIED_EXTENSIONS = ("@jupyter/nbgrader", "@jupyter-notebook/lab-extension")

BENIGN_CONSOLE_ERRORS = [
    # Every request to a host other than 127.0.0.1/localhost is aborted by the page's
    # route (CI has no network beyond package registries, and tests must not depend on
    # it). Voila 0.5's lab template links Font Awesome CSS (all.min.css, v4-shims.min.css)
    # from cdn.jsdelivr.net; Chromium logs each aborted load as
    # "Failed to load resource: net::ERR_FAILED". Only failures of non-loopback URLs are
    # filtered: a failed load from the local server still counts as an error.
    r"^Failed to load resource: net::ERR_FAILED \(https?://(?!127\.0\.0\.1[:/]|localhost[:/]|\[::1\][:/])",
]


def browser_available() -> bool:
    return os.environ.get("DSYSEDU_NO_BROWSER") != "1" and os.path.exists(CHROMIUM)


def pytest_collection_modifyitems(config, items):
    if browser_available():
        return
    skip = pytest.mark.skip(reason="chromium not found (DSYSEDU_NO_BROWSER)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


# --------------------------------------------------------------------------- Voila


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VoilaServer:
    """A running Voila process; ``stop()`` ends its whole process group.

    Kernels run in sessions of their own (jupyter_client starts them so), but Voila shuts
    them down on SIGTERM, and ipykernel exits by itself once its parent is gone
    (JPY_PARENT_PID), so the SIGKILL fallback leaves none behind either.
    """

    def __init__(self, proc: subprocess.Popen, base_url: str, log_path: Path):
        self.proc = proc
        self.base_url = base_url
        self.log_path = log_path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        else:
            # Voila itself is gone; end anything left in its process group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.log_path.unlink(missing_ok=True)


def start_voila(directory, *extra_args: str, timeout: float = VOILA_START_TIMEOUT) -> VoilaServer:
    """Serve ``directory`` with Voila (this interpreter's) on a free loopback port.

    Returns once the HTTP port answers (any HTTP status), or raises RuntimeError with
    Voila's log after ``timeout`` seconds or if Voila exits early.
    """
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise FileNotFoundError(f"Voila directory does not exist: {directory}")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/"
    log_fd, log_name = tempfile.mkstemp(prefix=f"voila-{port}-", suffix=".log")
    cmd = [
        sys.executable, "-m", "voila", str(directory),
        "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
        *(f"--VoilaConfiguration.extension_denylist={name}" for name in VOILA_DENIED_EXTENSIONS),
        *extra_args,
    ]
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log_fd,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    os.close(log_fd)
    server = VoilaServer(proc, base_url, Path(log_name))
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            log = server.log()
            server.stop()
            raise RuntimeError(f"Voila exited with code {proc.returncode} before answering:\n{log}")
        try:
            with urllib.request.urlopen(base_url, timeout=2):
                return server
        except urllib.error.HTTPError:
            return server  # it answers HTTP: that is all we wait for
        except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
            pass
        if time.monotonic() > deadline:
            log = server.log()
            server.stop()
            raise RuntimeError(f"Voila did not answer on {base_url} within {timeout:.0f} s:\n{log}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def voila_factory():
    servers: list[VoilaServer] = []

    def serve(directory, *extra_args: str) -> str:
        server = start_voila(directory, *extra_args)
        servers.append(server)
        return server.base_url

    yield serve
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def voila_server(request, voila_factory):
    directory = getattr(request, "param", None) or os.environ.get("DSYSEDU_VOILA_DIR") or DEFAULT_VOILA_DIR
    directory = Path(directory)
    if not directory.is_absolute():
        directory = REPO / directory
    if not directory.is_dir():
        pytest.fail(f"voila_server: directory to serve does not exist: {directory}")
    return voila_factory(directory)


# ------------------------------------------------------------------------- Chromium


@pytest.fixture(scope="session")
def _chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _only_loopback(route):
    host = urlparse(route.request.url).hostname or ""
    if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort()


def unexpected_console_errors(errors: list[str]) -> list[str]:
    return [e for e in errors if not any(re.search(p, e) for p in BENIGN_CONSOLE_ERRORS)]


@pytest.fixture
def browser_page(_chromium):
    context = _chromium.new_context(viewport=VIEWPORT)
    context.route("**/*", _only_loopback)
    page = context.new_page()
    errors: list[str] = []
    def on_console(msg):
        if msg.type == "error":
            url = (msg.location or {}).get("url") or "?"
            errors.append(f"{msg.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.console_errors = errors
    page.unexpected_console_errors = lambda: unexpected_console_errors(errors)
    yield page
    context.close()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
