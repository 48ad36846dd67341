-- A fresh role for the test suite: drops the leftover one (and the databases it created), then creates it again
-- with CREATEDB so tests can create (and drop) their own databases. Never touches `adapterlab`.
-- Run as a superuser on the `postgres` database with the psql variable test_pw.
\set ON_ERROR_STOP on
SELECT format('DROP DATABASE %I WITH (FORCE)', d.datname)
  FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
  WHERE r.rolname = 'adapterlab_test' AND d.datname NOT IN ('adapterlab', 'postgres', 'template0', 'template1') \gexec
SELECT 'DROP OWNED BY adapterlab_test' WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = 'adapterlab_test') \gexec
DROP ROLE IF EXISTS adapterlab_test;
CREATE ROLE adapterlab_test WITH LOGIN CREATEDB NOSUPERUSER NOCREATEROLE PASSWORD :'test_pw';
