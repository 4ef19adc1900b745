#!/usr/bin/env bash
# Creates .venv/ at the repo root with the pinned moto, only when it is missing
# or was built from other requirements (a stamp holds the requirements hash).
# Called by the vitest globalSetup and by .ci/run; safe to run concurrently.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
req="$root/test/backend/requirements.txt"
stamp="$venv/.retryctl-requirements.sha256"
python="${PYTHON:-python3}"

want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

mkdir -p "$root/.tmp"
exec 9>"$root/.tmp/ensure-venv.lock"
flock 9
# Another process may have finished the job while this one waited for the lock.
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

echo "ensure-venv: installing $(grep -v '^#' "$req" | xargs) into $venv" >&2
if [[ ! -x "$venv/bin/python" ]]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
echo "$want" >"$stamp"
