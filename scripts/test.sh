#!/usr/bin/env bash
# The one test command: sets up .venv (scripts/setup.sh), then runs the whole suite:
# unit/property tests under tests/, every notebook under notebooks/ (nbval, lax mode:
# each cell must run; only cells marked '# NBVAL_CHECK_OUTPUT' are compared) and the
# browser tests (Voila + headless Chromium).
#
#   bash scripts/test.sh                          # everything
#   bash scripts/test.sh tests/test_scaffolding.py  # only the paths given
#   bash scripts/test.sh -k raft -m "not slow"    # extra pytest options, default paths
#
# Paths are relative to the repository root (the script cd's there). When an argument
# names an existing file or folder (optionally with ::node), only the
# paths given run; otherwise the default paths (tests, notebooks: those that exist) are
# added. Exits with pytest's exit code (5 = no test collected is a failure here).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

bash scripts/setup.sh --test

export MPLBACKEND=Agg
if [ ! -x /usr/bin/chromium ]; then
    export DSYSEDU_NO_BROWSER=1
    echo "##################################################################"
    echo "### browser tests SKIPPED: chromium not found (/usr/bin/chromium)"
    echo "##################################################################"
elif [ "${DSYSEDU_NO_BROWSER:-}" = "1" ]; then
    echo "##################################################################"
    echo "### browser tests SKIPPED: DSYSEDU_NO_BROWSER=1 is set"
    echo "##################################################################"
fi

paths=()
given=0
for arg in "$@"; do
    case "$arg" in -*) continue ;; esac
    if [ -e "${arg%%::*}" ]; then given=1; fi
done
if [ "$given" = 0 ]; then
    for p in tests notebooks; do
        if [ -e "$p" ]; then paths+=("$p"); fi
    done
fi

exec "$repo/.venv/bin/python" -m pytest -n 2 --dist loadfile \
    --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
    -p no:cacheprovider ${paths[@]+"${paths[@]}"} "$@"
