#!/bin/sh
# First start of the postgres container only (/docker-entrypoint-initdb.d): the platform's roles and database, with
# the passwords from the compose environment. Same SQL as the local launcher (infra/sql/).
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -f /adapterlab-sql/platform-roles.sql \
  -v owner_pw="$ADAPTERLAB_PG_OWNER_PASSWORD" -v web_pw="$ADAPTERLAB_PG_WEB_PASSWORD" \
  -v orchestrator_pw="$ADAPTERLAB_PG_ORCHESTRATOR_PASSWORD"
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d adapterlab -f /adapterlab-sql/platform-grants.sql
