-- Privileges inside the `adapterlab` database. Run as a superuser connected to it, before the migrator (default
-- privileges for what the migrations will create) and after it (objects that already exist). Idempotent.
\set ON_ERROR_STOP on
ALTER SCHEMA public OWNER TO adapterlab;
ALTER DEFAULT PRIVILEGES FOR ROLE adapterlab GRANT USAGE ON SCHEMAS TO adapterlab_web, adapterlab_orchestrator;
ALTER DEFAULT PRIVILEGES FOR ROLE adapterlab GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO adapterlab_web, adapterlab_orchestrator;
ALTER DEFAULT PRIVILEGES FOR ROLE adapterlab GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO adapterlab_web, adapterlab_orchestrator;
ALTER DEFAULT PRIVILEGES FOR ROLE adapterlab GRANT EXECUTE ON FUNCTIONS TO adapterlab_web, adapterlab_orchestrator;
SELECT format('GRANT USAGE ON SCHEMA %I TO adapterlab_web, adapterlab_orchestrator', nspname)
  FROM pg_namespace WHERE pg_get_userbyid(nspowner) = 'adapterlab' \gexec
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO adapterlab_web, adapterlab_orchestrator', nspname)
  FROM pg_namespace WHERE pg_get_userbyid(nspowner) = 'adapterlab' \gexec
SELECT format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO adapterlab_web, adapterlab_orchestrator', nspname)
  FROM pg_namespace WHERE pg_get_userbyid(nspowner) = 'adapterlab' \gexec
