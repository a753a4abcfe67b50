#!/usr/bin/env bash
# Build a static web site of the executed course into site/ (git-ignored): every written
# chapter run with its fixed seeds and exported to HTML with its figures and animations, the
# exercises and dashboards the chapters link to (shown unrun), and the course map as the
# front page, site/index.html. Ends by checking every internal link of every page.
#
#   bash scripts/site.sh                       # everything (several minutes: every chapter runs)
#   bash scripts/site.sh --no-execute          # export the notebooks as stored (seconds)
#   bash scripts/site.sh --only 01_introduction.ipynb 03_1_consensus.ipynb
#   bash scripts/site.sh out/site              # another output folder
#
# Exits non-zero when a chapter fails to run or a link does not resolve. Serve it with e.g.
# `.venv/bin/python -m http.server -d site -b 127.0.0.1 8000`, or copy site/ to any web host.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/setup.sh --course
exec "$repo/.venv/bin/python" -m dsysedu.site "$@"
