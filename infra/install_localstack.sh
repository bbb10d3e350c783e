#!/usr/bin/env bash
# Install LocalStack (host mode, no Docker) into its own venv, .cache/localstack-venv, from the
# pinned list infra/localstack-requirements.txt (localstack-core 2026.3.0 needs Python 3.13).
# Offline but for PyPI. Cheap when already installed: a stamp holds the list's digest.
#   LOCALSTACK_PYTHON=/path/to/python3.13 bash infra/install_localstack.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.cache/localstack-venv
requirements=infra/localstack-requirements.txt
stamp=$venv/.installed
want=$(sha256sum "$requirements" | cut -d' ' -f1)

if [[ -f $stamp && "$(cat "$stamp")" == "$want" && -x $venv/bin/python ]]; then
    exit 0
fi

is_313() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; }
python=${LOCALSTACK_PYTHON:-}
if [[ -z $python ]]; then
    # (a pyenv shim named python3.13 exists even where it cannot run: try each for real)
    for candidate in python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3.13; do
        if is_313 "$candidate"; then python=$candidate; break; fi
    done
fi
if [[ -z $python ]] || ! is_313 "$python"; then
    echo "LocalStack needs Python 3.13 (pyenv install 3.13.0, or set LOCALSTACK_PYTHON)." >&2
    exit 1
fi

mkdir -p .cache
exec 9>.cache/.localstack-venv.lock
flock 9  # two installs at once (make run and make test) would trample each other
if [[ -f $stamp && "$(cat "$stamp")" == "$want" && -x $venv/bin/python ]]; then
    exit 0
fi

echo "Installing LocalStack into $venv with $python ..."
started=$SECONDS
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
"$venv/bin/python" -c 'import localstack.runtime.main' # fail here, not when the stack starts
echo "$want" > "$stamp"
echo "LocalStack installed in $((SECONDS - started)) s."
