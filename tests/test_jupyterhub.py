"""A class on a real JupyterHub, on 127.0.0.1: five learners log in, each opens a chapter and a dashboard.

The hub is the real ``jupyterhub`` (with its default proxy, configurable-http-proxy, which
``scripts/setup.sh`` installs with npm), the ``dummy`` authenticator (any name, any password)
and ``SimpleLocalProcessSpawner`` (each learner's Jupyter server is a local process). Everything
goes through the hub's public port, as a browser would:

1. each learner logs in with the hub's login form;
2. the test asks the hub's REST API (as an admin service) to start each learner's server and for
   a token per learner;
3. through ``/user/<name>/``: the chapter is read over the contents API, a kernel is started for it,
   and the chapter's setup cell and a seeded Raft run execute in that kernel over its websocket;
4. the CAP dashboard is rendered by Voila (a Jupyter server extension) in the same server;
5. the memory of each learner's processes (server, chapter kernel, Voila kernel) is measured,
   written to ``tests/artifacts/jupyterhub_memory.json``; ``deploy/README.md`` reads it.

Bounded: every wait has a deadline, and the hub and every process it started are stopped at the end.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

requests = pytest.importorskip("requests")
websocket = pytest.importorskip("websocket")
psutil = pytest.importorskip("psutil")
pytest.importorskip("jupyterhub")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHAPTER = "03_1_consensus.ipynb"
DASHBOARD = "dashboards/cap_playground.ipynb"
USERS = [f"learner{i}" for i in range(1, 6)]
CHP = shutil.which("configurable-http-proxy")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHP is None, reason="configurable-http-proxy not found (npm install -g "
                                                     "configurable-http-proxy; scripts/setup.sh does it when npm exists)")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hub_config(tmp: Path, port: int, token: str) -> str:
    bin_dir = Path(sys.executable).parent
    # kernels talk over IPC sockets, not TCP ports: fifteen kernels starting at once on one machine
    # otherwise race for ports ("Address already in use"), and a kernel that loses dies. A socket's
    # path must stay under about 100 characters, hence a short runtime directory.
    args = (["--allow-root"] if os.geteuid() == 0 else []) + ["--KernelManager.transport=ipc"]
    runtime = tempfile.mkdtemp(prefix="dsh")
    return f"""
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{CHP!r}]
c.ConfigurableHTTPProxy.pid_file = {str(tmp / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{tmp / 'hub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(tmp / "cookie_secret")!r}
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(tmp / "home" / "{username}")!r}
c.Spawner.cmd = [{str(bin_dir / "jupyterhub-singleuser")!r}]
c.Spawner.args = {args!r}
c.Spawner.notebook_dir = {str(NOTEBOOKS)!r}
c.Spawner.environment = {{"PYTHONPATH": {str(ROOT)!r}, "MPLBACKEND": "Agg", "JUPYTER_RUNTIME_DIR": {runtime!r}}}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.services = [{{"name": "class-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "class-test", "services": ["class-test"],
                             "scopes": ["admin:users", "admin:servers", "tokens", "list:users"]}}]
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub")
    port, token = free_port(), uuid.uuid4().hex
    (tmp / "jupyterhub_config.py").write_text(hub_config(tmp, port, token))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    log = open(tmp / "hub.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(tmp / "jupyterhub_config.py")],
                            cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{url}/hub/api/", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the hub did not start:\n{(tmp / 'hub.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield {"url": url, "token": token, "pid": proc.pid, "log": tmp / "hub.log"}
    finally:
        stop_hub(proc, url, token)
        log.close()


def stop_hub(proc, url, token):
    """Stop the learners' servers through the API, then the hub; kill what is left of its process group."""
    tree = [proc.pid] + [c.pid for c in psutil.Process(proc.pid).children(recursive=True)] if proc.poll() is None else []
    try:
        for user in USERS:
            requests.delete(f"{url}/hub/api/users/{user}/server", headers=auth(token), timeout=10)
    except requests.RequestException:
        pass
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    for pid in tree:   # only processes this hub started (the proxy, servers and kernels)
        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass


def auth(token):
    return {"Authorization": f"token {token}"}


def login(url: str, user: str) -> requests.Session:
    """The hub's login form, as a browser fills it (the dummy authenticator takes any password)."""
    s = requests.Session()
    s.get(f"{url}/hub/login", timeout=30).raise_for_status()
    r = s.post(f"{url}/hub/login", data={"username": user, "password": "any", "_xsrf": s.cookies.get("_xsrf")},
               allow_redirects=False, timeout=30)
    assert r.status_code == 302, f"{user}: login answered {r.status_code}"
    assert any(c.name.startswith("jupyterhub-session") or c.name == "jupyterhub-hub-login" for c in s.cookies)
    return s


def wait_ready(url: str, token: str, user: str, deadline: float):
    while time.monotonic() < deadline:
        model = requests.get(f"{url}/hub/api/users/{user}", headers=auth(token), timeout=10).json()
        server = model.get("servers", {}).get("", {})
        if server.get("ready"):
            return
        time.sleep(1)
    pytest.fail(f"{user}'s server was not ready in time")


def execute(ws, code: str, timeout: float = 120) -> str:
    """Run ``code`` in a kernel over its websocket; return its stdout (fail on an error)."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                                   "session": uuid.uuid4().hex, "version": "5.3"},
                        "parent_header": {}, "metadata": {}, "channel": "shell",
                        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                                    "allow_stdin": False, "stop_on_error": True}}))
    out, deadline, replied, idle = [], time.monotonic() + timeout, False, False
    while time.monotonic() < deadline and not (replied and idle):   # the reply and iopub's idle, in any order
        ws.settimeout(max(1.0, deadline - time.monotonic()))
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream":
            out.append(msg["content"]["text"])
        elif kind == "error":
            raise AssertionError(f"kernel error: {msg['content']['ename']}: {msg['content']['evalue']}")
        elif kind == "execute_reply":
            assert msg["content"]["status"] == "ok", msg["content"]
            replied = True
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
    if not (replied and idle):
        raise AssertionError("no execute_reply in time")
    return "".join(out)


def learner_session(url: str, token: str, user: str) -> dict:
    """Open the chapter (contents API + a kernel that runs its setup cell) and the dashboard (Voila)."""
    base = f"{url}/user/{user}"
    h = auth(token)
    chapter = requests.get(f"{base}/api/contents/{CHAPTER}", headers=h, timeout=60)
    assert chapter.ok, chapter.text[:300]
    cells = chapter.json()["content"]["cells"]
    setup = next(c["source"] for c in cells if c["cell_type"] == "code")
    assert "SEED = 7" in setup
    session = requests.post(f"{base}/api/sessions", headers=h, timeout=120,
                            json={"path": CHAPTER, "type": "notebook", "kernel": {"name": "python3"}})
    assert session.status_code == 201, session.text[:300]
    kernel = session.json()["kernel"]["id"]
    ws = websocket.create_connection(f"ws://127.0.0.1:{url.rsplit(':', 1)[1]}/user/{user}/api/kernels/{kernel}/channels",
                                     header=[f"Authorization: token {token}"], timeout=120)
    try:
        execute(ws, setup)
        said = execute(ws, "import dsysedu, os\nfrom dsysedu.protocols.consensus import raft\n"
                           "t = run(raft.leader_crash_scenario(), seed=SEED)\n"
                           "print(dsysedu.__version__, bool(raft.raft_safety(t)), os.environ['JUPYTERHUB_USER'])")
    finally:
        ws.close()
    assert said.split() == [__import__("dsysedu").__version__, "True", user]
    page = requests.get(f"{base}/voila/render/{DASHBOARD}", headers=h, timeout=240)
    assert page.ok, page.text[:300]
    assert "application/vnd.jupyter.widget-view+json" in page.text   # the dashboard's widgets were rendered
    assert "Traceback" not in page.text
    return {"user": user, "kernel": kernel}


def processes_of(hub_pid: int, user: str) -> list:
    """The learner's Jupyter server and every process under it (kernels: the chapter's and Voila's)."""
    for p in psutil.Process(hub_pid).children(recursive=True):
        try:
            if p.environ().get("JUPYTERHUB_USER") == user and "singleuser" in " ".join(p.cmdline()):
                return [p] + p.children(recursive=True)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return []


def test_five_learners_each_open_a_chapter_and_a_dashboard_through_the_hub(hub, tmp_path):
    url, token = hub["url"], hub["token"]
    started = time.monotonic()
    tokens = {}
    for user in USERS:
        login(url, user)
        r = requests.post(f"{url}/hub/api/users/{user}/server", headers=auth(token), timeout=30)
        assert r.status_code in (201, 202), r.text[:300]
        t = requests.post(f"{url}/hub/api/users/{user}/tokens", headers=auth(token), timeout=30,
                          json={"note": "class test", "expires_in": 3600})
        assert t.status_code == 201, t.text[:300]
        tokens[user] = t.json()["token"]
    for user in USERS:
        wait_ready(url, token, user, time.monotonic() + 180)
    with ThreadPoolExecutor(max_workers=len(USERS)) as pool:
        done = list(pool.map(lambda u: learner_session(url, tokens[u], u), USERS))
    assert [d["user"] for d in done] == USERS
    # each learner's token opens only their own server
    other = requests.get(f"{url}/user/{USERS[1]}/api/contents/{CHAPTER}", headers=auth(tokens[USERS[0]]),
                         allow_redirects=False, timeout=30)
    assert other.status_code in (302, 403)

    memory = {}
    for user in USERS:
        procs = processes_of(hub["pid"], user)
        assert len(procs) >= 3, f"{user}: expected a server and two kernels, found {[p.name() for p in procs]}"
        rss = sum(p.memory_info().rss for p in procs) / 2**20
        uss = sum(p.memory_full_info().uss for p in procs) / 2**20
        memory[user] = {"processes": len(procs), "rss_mib": round(rss, 1), "uss_mib": round(uss, 1)}
    hub_rss = sum(p.memory_info().rss for p in [psutil.Process(hub["pid"])]
                  + [c for c in psutil.Process(hub["pid"]).children() if "singleuser" not in " ".join(c.cmdline())])
    report = {"users": memory, "hub_and_proxy_rss_mib": round(hub_rss / 2**20, 1),
              "max_user_rss_mib": max(m["rss_mib"] for m in memory.values()),
              "max_user_uss_mib": max(m["uss_mib"] for m in memory.values()),
              "seconds": round(time.monotonic() - started, 1), "load": round(os.getloadavg()[0], 2)}
    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "jupyterhub_memory.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report))
    # a learner with a chapter and a dashboard open: a server and two kernels, a few hundred MiB
    assert 150 < report["max_user_rss_mib"] < 2000
