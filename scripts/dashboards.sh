#!/usr/bin/env bash
# For teachers: serve the dashboards (notebooks/dashboards) with Voila from .venv, as
# plain web apps without code cells. Listens on 127.0.0.1 only.
#
#   bash scripts/dashboards.sh            # port 8866
#   PORT=9000 bash scripts/dashboards.sh
#   bash scripts/dashboards.sh --MappingKernelManager.cull_idle_timeout=900 \
#        --MappingKernelManager.cull_interval=60    # extra options go to voila
#
# Every page load starts a kernel (~140 MB); for a whole class, pass the culling
# options above so that idle kernels are shut down.
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
args=("$dir" --no-browser --Voila.ip=127.0.0.1 --port "$port")
# Pre-started kernels halve the first render (~3 s -> ~1.5 s); only on Voila versions
# that know the flag.
if "$voila" --help-all 2>/dev/null | grep -q -- '--preheat_kernel='; then
    args+=(--preheat_kernel=True)
fi

echo "[dashboards] Voila: http://127.0.0.1:$port/"
echo "[dashboards] stop with Ctrl+C"
exec "$voila" "${args[@]}" "$@"
