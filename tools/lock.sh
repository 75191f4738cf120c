#!/usr/bin/env bash
# Regenerates requirements/runtime.txt and requirements/test.txt from pyproject.toml: exact versions
# with hashes, for every Python from 3.11 on (uv's universal resolution). ./run.sh installs from them.
# Run after changing dependencies in pyproject.toml; commit the lock files with that change.
#   tools/lock.sh             keep the versions already locked where pyproject still allows them
#   tools/lock.sh --upgrade   take the newest versions pyproject allows
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-}
if [ -z "$uv" ]; then
  tooldir=${TMPDIR:-/tmp}/kefu-lock-tools
  [ -x "$tooldir/bin/uv" ] || { python3 -m venv "$tooldir" && "$tooldir/bin/pip" install -q uv; }
  uv="$tooldir/bin/uv"
fi
common=(--universal --python-version 3.11 --generate-hashes --quiet "$@")
"$uv" pip compile pyproject.toml "${common[@]}" -o requirements/runtime.txt
"$uv" pip compile pyproject.toml --extra test "${common[@]}" -o requirements/test.txt
