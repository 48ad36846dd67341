#!/usr/bin/env bash
# Writes the *.env files of the secrets and keda components from their examples, each CHANGE_ME replaced by a fresh random value (one
# value per line: the database passwords then have to be set on the roles, infra/sql/platform-roles.sql). Existing
# files are kept unless --force.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for example in secrets/*.env.example keda/*.env.example; do
  target="${example%.example}"
  if [[ -e "$target" && "${1:-}" != "--force" ]]; then echo "kept $target"; continue; fi
  umask 077
  while IFS= read -r line || [[ -n "$line" ]]; do
    while [[ "$line" == *CHANGE_ME* ]]; do line="${line/CHANGE_ME/$(openssl rand -hex 24)}"; done
    printf '%s\n' "$line"
  done < "$example" > "$target"
  echo "wrote $target"
done
