#!/usr/bin/env bash
# Idempotent setup for dsysedu: a project-local virtualenv (.venv) with the package
# installed in editable mode (with its test extra unless --course), plus, where apt and root
# are there, Debian's Chromium (browser tests), fonts-noto-cjk (the Chinese terms) and npm
# with configurable-http-proxy (the JupyterHub test).
#
#   bash scripts/setup.sh        # set up (fast no-op when nothing changed); = --test
#   bash scripts/setup.sh --course   # only what the course needs (scripts/course.sh)
#   bash scripts/setup.sh --test     # the course plus the test tools (scripts/test.sh)
#   bash scripts/setup.sh --course --print-plan   # say what pip would do, change nothing
#   source scripts/setup.sh      # same, then activates .venv in the current shell
#
# The stamp .venv/.dsysedu-installed holds pyproject.toml's sha256 and the profile
# installed ("course" or "test"): a test install serves the course too; a course install
# is upgraded by the next --test run.
#
# Nothing is registered globally: no kernelspec, no user-level Jupyter config.
# Environment knobs:
#   PYTHON=/path/to/python3.x   interpreter to build .venv with (default: first python3 >= 3.11)
#   DSYSEDU_NO_BROWSER=1        do not try to install Chromium
#   DSYSEDU_NO_HUB=1            do not install nodejs/npm for the JupyterHub test
#
# Written so that sourcing it never changes the caller's shell options and never
# exits the caller's shell: all work happens in a function that returns a status.

_dsysedu_setup() {
    local repo venv stamp py want have start profile=test plan=0 arg
    start=$SECONDS
    for arg in "$@"; do
        case "$arg" in
            --course) profile=course ;;
            --test) profile=test ;;
            --print-plan) plan=1 ;;
            *) printf '[setup] ERROR: unknown option %s (allowed: --course, --test, --print-plan)\n' "$arg" >&2
               return 2 ;;
        esac
    done
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || return 1
    venv="$repo/.venv"
    stamp="$venv/.dsysedu-installed"

    _say() { printf '[setup] %s\n' "$*"; }
    _warn() { printf '[setup] WARNING: %s\n' "$*" >&2; }
    _die() { printf '[setup] ERROR: %s\n' "$*" >&2; return 1; }
    _py_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; }

    # --- 1. the virtualenv --------------------------------------------------------
    if [ "$plan" = 1 ] && ! _py_ok "$venv/bin/python"; then
        printf 'profile=%s\naction=install\ntarget=%s\nreason=no usable .venv yet\n' "$profile" \
            "$([ "$profile" = test ] && echo '.[test]' || echo '.')"
        unset -f _say _warn _die _py_ok
        return 0
    fi
    if [ -x "$venv/bin/python" ] && ! _py_ok "$venv/bin/python"; then
        _warn ".venv exists but its python does not run or is older than 3.11: recreating it"
        rm -rf "$venv"
    fi
    if [ ! -x "$venv/bin/python" ]; then
        py=""
        local cand
        for cand in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
            if command -v "$cand" >/dev/null 2>&1 && _py_ok "$cand"; then
                py=$(command -v "$cand")
                break
            fi
        done
        if [ -z "$py" ]; then
            have=$(python3 --version 2>&1 || echo "no python3 on PATH")
            _die "dsysedu needs Python >= 3.11, found: $have. Install Python 3.11+ (e.g. 'apt-get install python3.11 python3.11-venv') and rerun, or point PYTHON=/path/to/python3.11 at one."
            return 1
        fi
        _say "creating .venv with $py ($("$py" --version 2>&1))"
        if ! "$py" -m venv "$venv"; then
            rm -rf "$venv"
            _die "'$py -m venv' failed. On Debian/Ubuntu install the venv module: apt-get install python3-venv"
            return 1
        fi
    fi

    # --- 2. the package and its dependencies (only when needed) --------------------
    want=$("$venv/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$repo/pyproject.toml") || {
        _die "cannot read $repo/pyproject.toml"
        return 1
    }
    have=$(cat "$stamp" 2>/dev/null || true)
    # stamp: "<sha256> <profile>"; a stamp without a profile predates --course and was a test install
    local reason="" have_profile=test target='.'
    case "$have" in *" "*) have_profile=${have#* } ;; esac
    have=${have%% *}
    [ "$profile" = test ] && target='.[test]'
    if [ "$want" != "$have" ]; then
        reason="pyproject.toml is new or changed"
    elif [ "$profile" = test ] && [ "$have_profile" != test ]; then
        reason="the test extra is not installed yet (the last setup was --course)"
    else
        # Stamp matches: still check that every distribution pyproject names is installed
        # (someone may have 'pip uninstall'ed one). Cheap: metadata only, no imports.
        if ! "$venv/bin/python" - "$repo/pyproject.toml" "$profile" <<'PY' >/dev/null 2>&1
import re, sys, tomllib
from importlib.metadata import PackageNotFoundError, distribution
with open(sys.argv[1], "rb") as f:
    project = tomllib.load(f)["project"]
reqs = list(project.get("dependencies", []))
if sys.argv[2] == "test":
    reqs += list(project.get("optional-dependencies", {}).get("test", []))
missing = []
for req in [project["name"]] + reqs:
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req).group(1)
    try:
        distribution(name)
    except PackageNotFoundError:
        missing.append(name)
sys.exit(1 if missing else 0)
PY
        then
            reason="a required distribution is missing from .venv"
        fi
    fi
    if [ "$plan" = 1 ]; then
        printf 'profile=%s\naction=%s\ntarget=%s\nreason=%s\n' "$profile" \
            "$([ -n "$reason" ] && echo install || echo none)" "$target" "${reason:-up to date}"
        unset -f _say _warn _die _py_ok
        return 0
    fi
    if [ -n "$reason" ]; then
        _say "installing dsysedu$([ "$profile" = test ] && echo '[test]') into .venv ($reason)"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip ||
            _warn "could not upgrade pip; continuing with the bundled one"
        if ! (cd "$repo" && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$target"); then
            rm -f "$stamp"
            _die "pip install -e '$target' failed (see the pip output above)"
            return 1
        fi
        printf '%s %s\n' "$want" "$profile" >"$stamp"
    else
        _say ".venv is up to date for --$profile (pyproject.toml unchanged, all distributions present)"
    fi

    # --- 3. Chromium for the browser tests (--test only) ------------------------------
    if [ "$profile" = test ] && [ ! -x /usr/bin/chromium ] && [ "${DSYSEDU_NO_BROWSER:-}" != "1" ]; then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            _say "installing Debian's chromium for the browser tests (apt-get)"
            if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null; then
                _warn "apt-get could not install chromium: browser tests will be SKIPPED."
            fi
        else
            _warn "/usr/bin/chromium not found: browser tests will be SKIPPED. To run them, install Debian's chromium as root: apt-get update && apt-get install -y chromium"
        fi
    fi
    if [ -x /usr/bin/chromium ]; then
        _say "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
    fi

    # --- JupyterHub's proxy, for tests/test_jupyterhub.py (--test only; skipped without it)
    if [ "$profile" = test ] && ! command -v configurable-http-proxy >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1 \
            && [ "${DSYSEDU_NO_HUB:-}" != "1" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        _say "installing Debian's nodejs and npm for JupyterHub's proxy (apt-get; DSYSEDU_NO_HUB=1 skips this)"
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; } >/dev/null; then
            _warn "apt-get could not install npm: the JupyterHub test will be SKIPPED."
        fi
    fi
    if [ "$profile" = test ] && ! command -v configurable-http-proxy >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
        _say "installing configurable-http-proxy (npm) for the JupyterHub test"
        npm install -g configurable-http-proxy >/dev/null 2>&1 \
            || _warn "npm could not install configurable-http-proxy: the JupyterHub test will be SKIPPED."
    fi

    # --- 4. a CJK font: the course names each concept's Chinese term (共识, 选举限制 ...) ---------
    # Without one, headless Chromium and matplotlib draw those terms as empty boxes. Debian's
    # fonts-noto-cjk gives "Noto Sans CJK SC", which dsysedu.viz.style names as matplotlib's fallback.
    if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            _say "installing Debian's fonts-noto-cjk for the Chinese terms (apt-get)"
            if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk; } >/dev/null; then
                _warn "apt-get could not install fonts-noto-cjk: Chinese terms may show as empty boxes."
            fi
        else
            _warn "no CJK font found: Chinese terms may show as empty boxes. As root: apt-get install -y fonts-noto-cjk"
        fi
    fi

    _say "ready in $((SECONDS - start)) s (python: $venv/bin/python)"
    unset -f _say _warn _die _py_ok
    return 0
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # sourced: set up, then activate the venv in the caller's shell; leave no helper
    # functions behind
    if _dsysedu_setup "$@"; then
        unset -f _dsysedu_setup
        # shellcheck disable=SC1091
        . "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv/bin/activate"
    else
        unset -f _dsysedu_setup _say _warn _die _py_ok
        false
    fi
else
    _dsysedu_setup "$@"
    exit $?
fi
