#!/usr/bin/env bash
# Start the course: JupyterLab from the project's .venv, opened on the first notebook,
# with the whole repository browsable. Listens on 127.0.0.1 only.
#
#   bash scripts/course.sh            # port 8888
#   PORT=9000 bash scripts/course.sh  # another port
#   bash scripts/course.sh --some-jupyter-option   # extra options go to jupyter lab
#
# The access token is $JUPYTER_TOKEN when set, otherwise a fresh random one; the URL
# printed below carries it.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/setup.sh --course

port=${PORT:-8888}
export JUPYTER_TOKEN=${JUPYTER_TOKEN:-$("$repo/.venv/bin/python" -c 'import secrets; print(secrets.token_hex(24))')}

start=notebooks/00_start_here.ipynb
args=(--ip=127.0.0.1 --port="$port" --no-browser "--ServerApp.root_dir=$repo")
if [ "$(id -u)" = "0" ]; then
    args+=(--allow-root)
fi
if [ -f "$start" ]; then
    url="http://127.0.0.1:$port/lab/tree/$start?token=$JUPYTER_TOKEN"
    files=("$start")
else
    echo "[course] $start does not exist yet: opening the file browser instead"
    url="http://127.0.0.1:$port/lab?token=$JUPYTER_TOKEN"
    files=()
fi

echo "[course] JupyterLab: $url"
echo "[course] stop with Ctrl+C"
exec "$repo/.venv/bin/jupyter" lab "${args[@]}" ${files[@]+"${files[@]}"} "$@"
