#!/usr/bin/env bash
# The tests on the lowest versions pyproject.toml allows for each direct dependency (uv's
# lowest-direct resolution; what those pull in comes at its newest), in a venv of its own, so a
# lower bound that no longer works fails CI instead of a user's install. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
UV=${UV:-.venv/bin/uv}
VENV=${LOWEST_VENV:-.venv-lowest}

# A new venv every time, since an install into an old one keeps any newer version it finds there.
# --seed puts pip in it: test_packaging builds the wheel with pip.
"$UV" venv --quiet --clear --seed --python "$PYTHON" "$VENV"
"$UV" pip install --quiet --python "$VENV/bin/python" --resolution lowest-direct -e '.[test]'
"$VENV/bin/python" - <<'PY'
import re
import tomllib
from importlib.metadata import version

with open("pyproject.toml", "rb") as file:
    project = tomllib.load(file)["project"]
wanted = project["dependencies"] + project["optional-dependencies"]["test"]
names = [re.match(r"[A-Za-z0-9._-]+", requirement).group(0) for requirement in wanted]
print("Testing on the lowest allowed versions:", " ".join(f"{n}=={version(n)}" for n in names))
PY
# On SQLite, then on PostgreSQL when WEGINGS_TEST_DATABASE_URL names a server.
bash scripts/both-backends.sh "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
