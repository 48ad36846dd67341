# shellcheck shell=bash
# Shared settings and helpers for ./platform. Sourced, never executed.

REPO_ROOT="${REPO_ROOT:?REPO_ROOT must be set by ./platform}"
# ADAPTERLAB_LOCAL_DIR: another state folder gives a wholly separate set of servers (fault-injection tests use it).
LOCAL_DIR="${ADAPTERLAB_LOCAL_DIR:-$REPO_ROOT/.local}"
LOG_DIR="$LOCAL_DIR/logs"
RUN_DIR="$LOCAL_DIR/run"
SECRETS_DIR="$LOCAL_DIR/secrets"
DATA_DIR="$LOCAL_DIR/data"
PUBLISH_DIR="$LOCAL_DIR/publish"
BIN_DIR="$LOCAL_DIR/bin"
CONFIG_FILE="$RUN_DIR/config.env"

PLATFORM_DB="adapterlab"
PLATFORM_VHOST="adapterlab"
TEST_VHOST="adapterlab-test"
TEST_PG_ROLE="adapterlab_test"
TEST_RABBIT_USER="adapterlab-test"

# name  default: every port can be overridden from the environment.
CONFIG_VARS=(
  "ADAPTERLAB_PG_PORT 55432"
  "ADAPTERLAB_AMQP_PORT 55672"
  "ADAPTERLAB_RABBIT_MGMT_PORT 55673"
  "ADAPTERLAB_RABBIT_DIST_PORT 55674"
  "ADAPTERLAB_EPMD_PORT 54369"
  "ADAPTERLAB_WEB_PORT 5080"
  "ADAPTERLAB_ORCH_PORT 5081"
  "ADAPTERLAB_AGENT_PORT 5082"
  "ADAPTERLAB_INFERENCE_PORT 5079"
)

if [[ -t 1 ]]; then _B=$'\e[1m'; _R=$'\e[31m'; _Y=$'\e[33m'; _N=$'\e[0m'; else _B=""; _R=""; _Y=""; _N=""; fi
info() { printf '%s==>%s %s\n' "$_B" "$_N" "$*"; }
warn() { printf '%swarning:%s %s\n' "$_Y" "$_N" "$*" >&2; }
die()  { printf '%serror:%s %s\n' "$_R" "$_N" "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

ensure_dirs() {
  mkdir -p "$LOCAL_DIR" "$LOG_DIR" "$RUN_DIR" "$DATA_DIR" "$PUBLISH_DIR" "$BIN_DIR"
  mkdir -p -m 700 "$SECRETS_DIR"
  chmod 700 "$SECRETS_DIR"
}

# Resolve ports: while servers started by an earlier command are (or may be) running, the values they were
# started with win (so `down` finds them); otherwise the environment, then the defaults.
load_config() {
  local entry name def persisted=""
  if [[ -f "$CONFIG_FILE" ]]; then persisted=1; fi
  for entry in "${CONFIG_VARS[@]}"; do
    name="${entry%% *}"; def="${entry#* }"
    local from_env="${!name:-}"
    local value="$def"
    if [[ -n "$persisted" ]]; then
      local saved
      saved="$(sed -n "s/^${name}=//p" "$CONFIG_FILE" | tail -n1)"
      if [[ -n "$saved" ]]; then
        value="$saved"
        if [[ -n "$from_env" && "$from_env" != "$saved" ]]; then
          warn "$name=$from_env ignored: the local servers were started with $saved (run ./platform down first to change it)"
        fi
      elif [[ -n "$from_env" ]]; then value="$from_env"; fi
    elif [[ -n "$from_env" ]]; then
      value="$from_env"
    fi
    [[ "$value" =~ ^[0-9]+$ ]] || die "$name must be a port number, got '$value'"
    printf -v "$name" '%s' "$value"
    export "${name?}"
  done
}

save_config() {
  local entry name tmp="$CONFIG_FILE.tmp"
  : > "$tmp"
  for entry in "${CONFIG_VARS[@]}"; do name="${entry%% *}"; printf '%s=%s\n' "$name" "${!name}" >> "$tmp"; done
  mv "$tmp" "$CONFIG_FILE"
}

# pid_alive FILE [PATTERN]: true when FILE names a live process whose command line contains PATTERN.
# Removes stale pid files (dead process or a reused pid).
pid_alive() {
  local file="$1" pattern="${2:-}" pid
  [[ -f "$file" ]] || return 1
  pid="$(tr -dc '0-9' < "$file")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    if [[ -z "$pattern" ]] || tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern"; then
      return 0
    fi
  fi
  rm -f "$file"
  return 1
}

pid_of() { tr -dc '0-9' < "$1"; }

# stop_pid FILE PATTERN NAME [TIMEOUT]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local file="$1" pattern="$2" name="$3" timeout="${4:-30}" pid i
  pid_alive "$file" "$pattern" || { rm -f "$file"; return 0; }
  pid="$(pid_of "$file")"
  info "Stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name did not stop within ${timeout}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$file"
}

APT_UPDATED=""
apt_install() {
  is_root || die "missing packages ($*) and not root: install them with apt-get install -y $*"
  command -v apt-get >/dev/null || die "missing packages ($*) and no apt-get: install them by hand"
  if [[ -z "$APT_UPDATED" ]]; then
    info "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 \
      || { tail -n 20 "$LOG_DIR/apt.log" >&2; die "apt-get update failed (log: $LOG_DIR/apt.log)"; }
    APT_UPDATED=1
  fi
  info "apt-get install -y $*"
  # Packages like rabbitmq-server and postgresql start a system-wide server on their default ports (0.0.0.0) when
  # an init system lets them: a policy-rc.d that says no keeps them off; ./platform runs its own private ones.
  local policy=/usr/sbin/policy-rc.d own_policy=""
  if [[ ! -e "$policy" ]]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; own_policy=1; fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$LOG_DIR/apt.log" 2>&1 || rc=$?
  [[ -n "$own_policy" ]] && rm -f "$policy"
  (( rc == 0 )) || { tail -n 20 "$LOG_DIR/apt.log" >&2; die "apt-get install $* failed (log: $LOG_DIR/apt.log)"; }
}

# port_in_use PORT: something listens on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# http_status URL: prints the HTTP status code (000 when nothing answers).
http_status() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null || true; }

# log_tail FILE [N]: the last lines of a log, indented, for error messages.
log_tail() {
  local file="$1" n="${2:-40}"
  if [[ -s "$file" ]]; then
    printf -- '--- last %s lines of %s ---\n' "$n" "$file" >&2
    tail -n "$n" "$file" | sed 's/^/    /' >&2
    printf -- '---\n' >&2
  else
    printf '(%s is empty or missing)\n' "$file" >&2
  fi
}

agent_host() { hostname 2>/dev/null || cat /proc/sys/kernel/hostname; }
