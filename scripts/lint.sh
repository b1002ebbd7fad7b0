#!/usr/bin/env bash
# Lint text_messaging as the OCA 18.0 template does: ruff (check + format) and
# pylint-odoo (.pylintrc-mandatory blocks, .pylintrc is advisory).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check "ruff==0.6.8" "pylint-odoo==9.1.3"
addons=$(python3 -c 'import sys; sys.path.insert(0, "scripts"); import devenv; print(devenv.link_addon().parent)')
status=0
echo "== ruff check"; ruff check --no-fix . || status=1
echo "== ruff format --check"; ruff format --check . || status=1
echo "== pylint-odoo (mandatory)"
(cd "$addons" && python3 -m pylint --rcfile="$OLDPWD/.pylintrc-mandatory" text_messaging) || status=1
echo "== pylint-odoo (advisory)"
(cd "$addons" && python3 -m pylint --rcfile="$OLDPWD/.pylintrc" --exit-zero text_messaging)
exit $status
