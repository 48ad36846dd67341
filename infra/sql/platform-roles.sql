-- Roles and database of the platform. Run as a superuser on the `postgres` database with psql variables
-- owner_pw, web_pw, orchestrator_pw. Idempotent: re-running only re-applies passwords and privileges.
--   adapterlab               owns the database and every object the EF migrations create (used by the migrator)
--   adapterlab_web           reads/writes rows; may create schemas (Hangfire keeps its own `hangfire` schema)
--   adapterlab_orchestrator  reads/writes rows only
-- The gpu-agent has no database credentials at all (it goes through the web API).
\set ON_ERROR_STOP on
SELECT 'CREATE ROLE adapterlab' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'adapterlab') \gexec
SELECT 'CREATE ROLE adapterlab_web' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'adapterlab_web') \gexec
SELECT 'CREATE ROLE adapterlab_orchestrator' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'adapterlab_orchestrator') \gexec
ALTER ROLE adapterlab WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'owner_pw';
ALTER ROLE adapterlab_web WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'web_pw';
ALTER ROLE adapterlab_orchestrator WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'orchestrator_pw';
SELECT 'CREATE DATABASE adapterlab OWNER adapterlab ENCODING ''UTF8'' TEMPLATE template0'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'adapterlab') \gexec
REVOKE ALL ON DATABASE adapterlab FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE adapterlab TO adapterlab_web, adapterlab_orchestrator;
GRANT CREATE ON DATABASE adapterlab TO adapterlab_web;
