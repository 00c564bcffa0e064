#!/usr/bin/env bash
# Fails when nbdev-export or nbdev-clean would change the tree (the notebooks are the source of
# the library, and committed notebooks are clean), or when README.md is not the rendering of nbs/index.ipynb.
set -euo pipefail
bin=${1:-.venv/bin}
snap() { find mdmoe nbs -type f \( -name '*.py' -o -name '*.ipynb' \) -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 md5sum; }
before=$(snap)
"$bin/nbdev-export"
"$bin/nbdev-clean"
after=$(snap)
if [ "$before" != "$after" ]; then
  echo "nbdev-export / nbdev-clean changed these files: the library is out of sync with the notebooks"
  echo "or a notebook is not clean. Run them, review and commit the result."
  diff <(echo "$before") <(echo "$after") || true
  exit 1
fi
echo "notebooks and library in sync"
"$bin/python" tools/make_readme.py --check
