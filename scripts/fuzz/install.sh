#!/usr/bin/env bash
# Installs schemathesis (PyPI, pinned) into a virtual environment in the tools cache, once, and prints
# the path of its `st` command. Reused while that version is there and complete; a new pin gets its own
# folder. `.ci/run` calls it before the tests; the `fuzz` test group and `npm run fuzz` use it.
#
#   ST=$(bash scripts/fuzz/install.sh)
#
# Needs python3 >= 3.9 with the venv module (Debian: apt-get install -y python3-venv).
# LP_TOOLS_DIR overrides the cache folder (default ~/.cache/learning-platform).
set -euo pipefail
VERSION=4.32.5
TOOLS=${LP_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/learning-platform}
DEST=$TOOLS/schemathesis-$VERSION
# Written last: a folder without it is an interrupted install and is rebuilt.
DONE=$DEST/.installed

if [[ -f $DONE && -x $DEST/bin/st ]]; then
  printf '%s\n' "$DEST/bin/st"
  exit 0
fi
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null || { echo "fuzz: python3 is needed to install schemathesis" >&2; exit 1; }
echo "fuzz: installing schemathesis $VERSION into $DEST" >&2
rm -rf "$DEST"
mkdir -p "$TOOLS"
if ! "$PYTHON" -m venv "$DEST" >&2; then
  # Debian ships the venv module apart (python3-venv); install it when we can, once.
  rm -rf "$DEST"
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    echo "fuzz: python3 has no venv module; apt-get install python3-venv" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2 || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2; }
    "$PYTHON" -m venv "$DEST" >&2
  else
    echo "fuzz: python3 has no venv module (Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
fi
"$DEST/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
"$DEST/bin/st" --version >&2
touch "$DONE"
printf '%s\n' "$DEST/bin/st"
