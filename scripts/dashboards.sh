#!/usr/bin/env bash
# For teachers: serve the dashboards (notebooks/dashboards) with Voila from .venv, as
# plain web apps without code cells. Listens on 127.0.0.1 only.
#
#   bash scripts/dashboards.sh            # port 8866
#   PORT=9000 bash scripts/dashboards.sh
#   MAX_KERNELS=40 IDLE_TIMEOUT=1800 bash scripts/dashboards.sh
#   bash scripts/dashboards.sh --some.voila.option=...   # extra options go to voila
#
# Every page load starts a kernel: 215-225 MB once a dashboard has drawn (measured per
# dashboard by benchmarks/dashboard_memory.py, see docs/benchmarks.md), up to ~360 MB for the
# gossip dashboard at N = 2,000. So by default idle kernels are culled (no message for
# IDLE_TIMEOUT seconds, default 600, checked every CULL_INTERVAL = 60 s, open tabs included)
# and at most MAX_KERNELS (default 16, about 3.6 GB) run at once: one more page load gets
# "503" until a kernel is culled.
# MAX_KERNELS=0 lifts the cap.
#
# Voila reads voila.json from the repository root (the folder it starts in): it leaves out the
# JupyterLab extensions a dashboard does not use and whose scripts fail in Voila's page (nbgrader's
# and Notebook 7's, installed with nbgrader for the graded exercises).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/setup.sh

dir=notebooks/dashboards
if [ ! -d "$dir" ]; then
    echo "[dashboards] ERROR: $dir does not exist" >&2
    exit 1
fi
port=${PORT:-8866}
voila="$repo/.venv/bin/voila"
args=("$dir" --no-browser --Voila.ip=127.0.0.1 --port "$port"
      --VoilaConfiguration.multi_kernel_manager_class=voila_cap.CappedKernelManager
      "--CappedKernelManager.max_kernels=${MAX_KERNELS:-16}"
      "--MappingKernelManager.cull_idle_timeout=${IDLE_TIMEOUT:-600}"
      "--MappingKernelManager.cull_interval=${CULL_INTERVAL:-60}"
      --MappingKernelManager.cull_connected=True
      # nbgrader's JupyterLab extension (for teachers in JupyterLab) and the Notebook 7 one it
      # brings fail in a Voila page ("The getter for the shared module is not a function")
      --VoilaConfiguration.extension_denylist=@jupyter/nbgrader
      --VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension)
# the capped kernel manager lives beside this script
export PYTHONPATH="$repo/scripts${PYTHONPATH:+:$PYTHONPATH}"
# Pre-started kernels halve the first render (~3 s -> ~1.5 s); only on Voila versions
# that know the flag. The help text is captured first: `voila --help-all | grep -q` under
# pipefail is false even when the flag is there (grep exits at the first match, voila
# then dies of SIGPIPE and the pipeline fails).
help_text=$("$voila" --help-all 2>/dev/null || true)
if grep -q -- '--preheat_kernel=' <<<"$help_text"; then
    args+=(--preheat_kernel=True)
fi

echo "[dashboards] Voila: http://127.0.0.1:$port/"
echo "[dashboards] stop with Ctrl+C"
exec "$voila" "${args[@]}" "$@"
