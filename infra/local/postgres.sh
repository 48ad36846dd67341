# shellcheck shell=bash
# The private PostgreSQL: data in .local/postgres/data, loopback TCP only, Unix socket in a private directory.

PG_BASE="$LOCAL_DIR/postgres"
PG_DATA="$PG_BASE/data"
PG_LOG="$LOG_DIR/postgres.log"
PG_SUPERUSER="postgres"

pg_socket_dir() {
  # Unix socket paths are limited to ~107 bytes: fall back to /tmp for deep checkouts.
  local dir="$PG_BASE/socket"
  if (( ${#dir} > 80 )); then dir="/tmp/adapterlab-pg-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)"; fi
  printf '%s' "$dir"
}

# Runs a command as the OS user that owns the cluster (postgres when we are root: initdb refuses root).
pg_as_owner() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_find_bins() {
  local d
  if ! command -v initdb >/dev/null || ! command -v pg_ctl >/dev/null; then
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
      if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then PATH="$d:$PATH"; break; fi
    done
  fi
  if ! command -v initdb >/dev/null || ! command -v pg_ctl >/dev/null || ! command -v psql >/dev/null; then
    apt_install postgresql postgresql-client
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do PATH="$d:$PATH"; break; done
  fi
  command -v initdb >/dev/null && command -v pg_ctl >/dev/null && command -v psql >/dev/null \
    || die "PostgreSQL binaries (initdb, pg_ctl, psql) not found even after installing postgresql"
  if is_root && ! id postgres >/dev/null 2>&1; then
    apt_install postgresql-common   # creates the postgres user
    id postgres >/dev/null 2>&1 || die "no 'postgres' OS user to run PostgreSQL as (it refuses to run as root)"
  fi
  export PATH
}

pg_running() {
  [[ -f "$PG_DATA/PG_VERSION" ]] || return 1
  pg_as_owner pg_ctl -D "$PG_DATA" status >/dev/null 2>&1
}

pg_init() {
  local sock; sock="$(pg_socket_dir)"
  mkdir -p "$PG_BASE" "$sock"
  touch "$PG_LOG"
  if is_root; then
    chown postgres: "$PG_BASE" "$sock" "$PG_LOG"
    runuser -u postgres -- test -x "$PG_BASE" \
      || die "the postgres user cannot reach $PG_BASE: every parent directory of the repository needs o+x"
  fi
  chmod 700 "$sock"
  [[ -f "$PG_DATA/PG_VERSION" ]] && return 0
  info "Creating the PostgreSQL cluster in ${PG_DATA#"$REPO_ROOT"/}"
  rm -rf "$PG_DATA"
  # Local (socket) connections trust the OS user that can reach the 0700 socket directory; TCP needs a password.
  pg_as_owner initdb -D "$PG_DATA" -U "$PG_SUPERUSER" -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$LOG_DIR/initdb.log" 2>&1 \
    || { log_tail "$LOG_DIR/initdb.log"; die "initdb failed"; }
}

pg_start() {
  pg_find_bins
  pg_init
  if pg_running; then info "PostgreSQL already running on 127.0.0.1:$ADAPTERLAB_PG_PORT"; return 0; fi
  port_in_use "$ADAPTERLAB_PG_PORT" && die "port $ADAPTERLAB_PG_PORT (ADAPTERLAB_PG_PORT) is already in use by something else"
  local sock; sock="$(pg_socket_dir)"
  info "Starting PostgreSQL on 127.0.0.1:$ADAPTERLAB_PG_PORT"
  # setsid: a Ctrl-C in the terminal must not reach the server; ./platform stops it in order.
  if ! pg_as_owner setsid pg_ctl -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $ADAPTERLAB_PG_PORT -k $sock -c unix_socket_permissions=0700" \
      start >"$LOG_DIR/pg_ctl.log" 2>&1; then
    cat "$LOG_DIR/pg_ctl.log" >&2; log_tail "$PG_LOG"; die "PostgreSQL did not start"
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    pg_isready -q -h 127.0.0.1 -p "$ADAPTERLAB_PG_PORT" && return 0
    sleep 0.5
  done
  log_tail "$PG_LOG"; die "PostgreSQL is not accepting connections on 127.0.0.1:$ADAPTERLAB_PG_PORT"
}

pg_stop() {
  [[ -f "$PG_DATA/PG_VERSION" ]] || return 0
  pg_find_bins
  pg_running || return 0
  info "Stopping PostgreSQL"
  pg_as_owner pg_ctl -D "$PG_DATA" -m fast -w -t 60 stop >>"$LOG_DIR/pg_ctl.log" 2>&1 \
    || { warn "pg_ctl stop failed"; cat "$LOG_DIR/pg_ctl.log" >&2; }
}

# pg_psql DB [psql args...]: psql as the superuser over the private socket.
pg_psql() {
  local db="$1"; shift
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$(pg_socket_dir)" -p "$ADAPTERLAB_PG_PORT" -U "$PG_SUPERUSER" -d "$db" "$@"
}

pg_conn() { # pg_conn DB USER PASSWORD
  printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=%s;Password=%s' "$ADAPTERLAB_PG_PORT" "$1" "$2" "$3"
}

# The platform database and its roles (see infra/sql/platform-roles.sql).
pg_setup_platform() {
  info "PostgreSQL: database $PLATFORM_DB, roles adapterlab (owner), adapterlab_web, adapterlab_orchestrator"
  pg_psql postgres -f "$REPO_ROOT/infra/sql/platform-roles.sql" \
      -v owner_pw="$(secret_get pg-adapterlab)" -v web_pw="$(secret_get pg-web)" \
      -v orchestrator_pw="$(secret_get pg-orchestrator)" >/dev/null \
    || die "creating the PostgreSQL roles/database failed"
  pg_grants
}

pg_grants() {
  pg_psql "$PLATFORM_DB" -f "$REPO_ROOT/infra/sql/platform-grants.sql" >/dev/null \
    || die "granting privileges in the $PLATFORM_DB database failed"
}

# A fresh test role; prints nothing. The password goes to .local/secrets/pg-test.
pg_setup_test() {
  info "PostgreSQL: fresh test role $TEST_PG_ROLE (CREATEDB)"
  pg_psql postgres -f "$REPO_ROOT/infra/sql/test-role.sql" -v test_pw="$(secret_renew pg-test)" >/dev/null \
    || die "creating the PostgreSQL test role failed"
}
