#!/usr/bin/env bash
# kefu's two commands (README, Quick start):
#   ./run.sh start [kefu serve options]   set up, migrate, load demo data on first start, run everything
#   ./run.sh test  [pytest options]       install what the tests need, run the whole test suite
# Needs only Python 3.11 or newer. Environment: KEFU_DATA_DIR, DATABASE_URL, REDIS_URL, … (README, Configuration).
set -euo pipefail
cd "$(dirname "$0")"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

apt_install() {
  echo "kefu: installing Debian packages: $*" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

find_python() {
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "kefu needs Python 3.11 or newer (python3 on PATH)." >&2
  return 1
}

# Creates .venv and installs kefu into it; reinstalls when pyproject.toml changes.
ensure_env() {
  local extras=$1 stamp=".venv/.kefu-installed-$1" lock="requirements/$1.txt"
  if [ ! -x .venv/bin/python ]; then
    local python; python=$(find_python)
    if ! "$python" -m venv .venv 2>/dev/null; then
      rm -rf .venv
      apt_install python3-venv || { echo "kefu: '$python -m venv' failed; install python3-venv." >&2; exit 1; }
      "$python" -m venv .venv
    fi
  fi
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
    echo "kefu: installing dependencies into .venv (exact versions from $lock) …" >&2
    mkdir -p data
    local log=data/install.log
    # The lock pins every package with its hashes: a fresh machine gets what CI tested.
    if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
      .venv/bin/python -m pip install --disable-pip-version-check --require-hashes -r "$lock" &&
      .venv/bin/python -m pip install --disable-pip-version-check --no-deps -e . ; } >"$log" 2>&1; then
      tail -n 30 "$log" >&2
      echo "kefu: installing dependencies failed; the whole output is in $log" >&2
      exit 1
    fi
    touch "$stamp"
  fi
}

# Browser tests drive Debian's Chromium; under CI they are never skipped, so it must be there.
# A CJK font makes screenshots and layout checks render Chinese as a person sees it. GNU gettext
# lets the i18n test extract the source strings and find any the Chinese catalogue lacks.
ensure_test_tools() {
  if [ -x /usr/bin/chromium ] && [ -d /usr/share/fonts/truetype/wqy ] && command -v msgmerge >/dev/null 2>&1; then
    return 0
  fi
  apt_install chromium fonts-wqy-microhei gettext && return 0
  if [ "${CI:-}" = "true" ]; then
    echo "kefu: chromium or gettext is missing and could not be installed (CI never skips those tests)." >&2
    exit 1
  fi
  echo "kefu: Chromium or gettext could not be installed here; the tests that need them will be skipped." >&2
}

case "${1:-}" in
  start)
    shift
    ensure_env runtime
    exec .venv/bin/kefu serve "$@"
    ;;
  test)
    shift
    ensure_env test
    ensure_test_tools
    workers=${KEFU_TEST_WORKERS:-$(nproc 2>/dev/null || echo 2)}
    exec .venv/bin/python -m pytest -n "$workers" --dist loadgroup "$@"
    ;;
  *)
    echo "usage: ./run.sh start [--port 8000 --host 0.0.0.0 --no-demo] | ./run.sh test [pytest options]" >&2
    exit 2
    ;;
esac
