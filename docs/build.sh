#!/usr/bin/env bash
# Build the documentation (HTML in docs/_build/html) with warnings as errors;
# the gallery (examples/plot_*.py) runs as part of the build.
# Usage: bash docs/build.sh   (needs: pip install ".[docs]")
set -euo pipefail
cd "$(dirname "$0")"
rm -rf _build _generated generated auto_examples api.rst sg_execution_times.rst
start=$(date +%s)
python -m sphinx -W --keep-going -b html -d _build/doctrees . _build/html "$@"
echo "docs built in $(( $(date +%s) - start )) s: $(pwd)/_build/html/index.html"
