# shellcheck shell=bash
# Publishing and running the .NET services (migrator, orchestrator, gpu-agent, web, inference) from .local/publish.

# name -> project, relative to the repo root. The dll is the project's file name with .dll.
declare -A SVC_PROJECT=(
  [migrator]="migrations/AdapterLab.Migrator/AdapterLab.Migrator.csproj"
  [orchestrator]="orchestrator/AdapterLab.Orchestrator/AdapterLab.Orchestrator.csproj"
  [agent]="gpu-agent/AdapterLab.GpuAgent/AdapterLab.GpuAgent.csproj"
  [web]="web/AdapterLab.Web/AdapterLab.Web.csproj"
  [inference]="inference/AdapterLab.Inference/AdapterLab.Inference.csproj"
)
READY_TIMEOUT="${ADAPTERLAB_READY_TIMEOUT:-180}"

svc_dll() { local p="${SVC_PROJECT[$1]}"; p="${p##*/}"; printf '%s/%s/%s.dll' "$PUBLISH_DIR" "$1" "${p%.csproj}"; }
svc_pidfile() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }
svc_log() { printf '%s/%s.log' "$LOG_DIR" "$1"; }

need_dotnet() {
  command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not installed: see global.json for the version"
}

# A hash of every tracked file's staged blob, the unstaged changes and the untracked (not ignored) files.
source_hash() {
  if ! git -C "$REPO_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    date +%s%N; return   # not a git checkout: always publish
  fi
  (
    cd "$REPO_ROOT"
    git ls-files -s
    git diff --no-color --no-ext-diff
    git ls-files -o --exclude-standard -z | xargs -0 -r sha256sum --
  ) | sha256sum | cut -c1-64
}

# publish NAME...: dotnet publish each service unless the sources are unchanged since its last publish.
publish() {
  need_dotnet
  local hash name project out stamp log
  hash="$(source_hash)"
  for name in "$@"; do
    project="${SVC_PROJECT[$name]}"
    out="$PUBLISH_DIR/$name"; stamp="$PUBLISH_DIR/$name.stamp"; log="$LOG_DIR/publish-$name.log"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$hash" && -f "$(svc_dll "$name")" ]]; then
      continue
    fi
    [[ -f "$REPO_ROOT/$project" ]] || die "cannot publish $name: $project does not exist"
    info "Publishing $name ($project)"
    rm -f "$stamp"
    if ! (cd "$REPO_ROOT" && dotnet publish "$project" -c Release -o "$out" --nologo -nodeReuse:false) >"$log" 2>&1; then
      if grep -qE ': error ' "$log"; then
        grep -E ': error ' "$log" | sed 's/^ *//' | sort -u | tail -n 30 >&2
      else
        log_tail "$log" 30
      fi
      die "dotnet publish of $name failed (full log: ${log#"$REPO_ROOT"/})"
    fi
    [[ -f "$(svc_dll "$name")" ]] || die "publish of $name did not produce $(svc_dll "$name")"
    printf '%s' "$hash" > "$stamp"
  done
}

rabbit_env_for() { # rabbit_env_for SERVICE: the RabbitMq__* settings of that service's user
  printf '%s\n' "RabbitMq__Host=127.0.0.1" "RabbitMq__Port=$ADAPTERLAB_AMQP_PORT" \
    "RabbitMq__VirtualHost=$PLATFORM_VHOST" "RabbitMq__Username=$(rabbit_user "$1")" \
    "RabbitMq__Password=$(secret_get "rabbitmq-$1")"
}

run_migrator() {
  local log; log="$(svc_log migrator)"
  info "Applying database migrations"
  if ! (cd "$PUBLISH_DIR/migrator" && env ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
        "ConnectionStrings__Platform=$(pg_conn "$PLATFORM_DB" adapterlab "$(secret_get pg-adapterlab)")" \
        dotnet "$(svc_dll migrator)") >"$log" 2>&1 </dev/null; then
    log_tail "$log"
    die "the migrator failed (log: ${log#"$REPO_ROOT"/})"
  fi
  pg_grants   # privileges on the objects the migrations just created
}

# svc_start ID SERVICE PORT [VAR=VALUE...]: runs the published SERVICE in the background as process ID.
svc_start() {
  local id="$1" svc="$2" port="$3"; shift 3
  local pidfile log dll
  pidfile="$(svc_pidfile "$id")"; log="$(svc_log "$id")"; dll="$(svc_dll "$svc")"
  if pid_alive "$pidfile" "${dll##*/}"; then
    info "$id already running (pid $(pid_of "$pidfile"))"
    return 0
  fi
  [[ -f "$dll" ]] || die "$dll is missing: publish $svc first"
  port_in_use "$port" && die "port $port for $id is already in use (set ADAPTERLAB_*_PORT to another one)"
  [[ -f "$log" ]] && mv -f "$log" "$log.1"
  printf '=== %s: starting %s on http://127.0.0.1:%s ===\n' "$(date -Is)" "$id" "$port" > "$log"
  info "Starting $id on http://127.0.0.1:$port"
  # The content root is the publish folder (web's static assets live there); setsid keeps Ctrl-C away from it:
  # ./platform stops the services itself, in order.
  ( cd "$PUBLISH_DIR/$svc" && exec env -u ADAPTERLAB_BOOTSTRAP_API_KEY -u ADAPTERLAB_BOOTSTRAP_INFERENCE_KEY -u ADAPTERLAB_ADMIN_PASSWORD \
      -u ADAPTERLAB_ADMIN_EMAIL \
      ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
      "ASPNETCORE_URLS=http://127.0.0.1:$port" DOTNET_NOLOGO=1 "$@" \
      setsid dotnet "$dll" ) >>"$log" 2>&1 </dev/null &
  echo "$!" > "$pidfile"
}

# svc_wait_ready ID PORT: polls /health/ready until it answers 200.
svc_wait_ready() {
  local id="$1" port="$2" pidfile log code="" start=$SECONDS
  pidfile="$(svc_pidfile "$id")"; log="$(svc_log "$id")"
  while (( SECONDS - start < READY_TIMEOUT )); do
    if ! pid_alive "$pidfile"; then
      log_tail "$log"
      die "$id exited during startup (log: ${log#"$REPO_ROOT"/})"
    fi
    code="$(http_status "http://127.0.0.1:$port/health/ready")"
    [[ "$code" == 200 ]] && return 0
    sleep 1
  done
  log_tail "$log"
  die "$id is not ready after ${READY_TIMEOUT}s: http://127.0.0.1:$port/health/ready answered ${code:-nothing} (log: ${log#"$REPO_ROOT"/}; ADAPTERLAB_READY_TIMEOUT to wait longer)"
}

web_env() {
  local v out=(
    "ConnectionStrings__Platform=$(pg_conn "$PLATFORM_DB" adapterlab_web "$(secret_get pg-web)")"
    "Platform__DataRoot=$DATA_DIR"
    "ADAPTERLAB_BOOTSTRAP_AGENT_TOKEN=$(secret_get agent-token)"
    # Predictions are forwarded to the inference host, which answers only callers presenting this token.
    "Platform__InferenceUrl=http://127.0.0.1:$ADAPTERLAB_INFERENCE_PORT"
    "Platform__InferenceToken=$(secret_get inference-caller-token)"
    # The inference host's own key (scope models:serve only), registered by the web at start.
    "ADAPTERLAB_BOOTSTRAP_INFERENCE_KEY=$(secret_get inference-api-key)"
  )
  mapfile -t -O "${#out[@]}" out < <(rabbit_env_for web)
  # An admin API key for this checkout's own tools (curl, ./platform bench): the user's, or one generated under .local/secrets.
  out+=("ADAPTERLAB_BOOTSTRAP_API_KEY=$(local_api_key)")
  for v in ADAPTERLAB_ADMIN_EMAIL ADAPTERLAB_ADMIN_PASSWORD ADAPTERLAB_ALLOW_DRY_RUN; do
    [[ -n "${!v:-}" ]] && out+=("$v=${!v}")
  done
  # No admin of your own: on a first start the web creates admin@localhost with a generated password (in
  # .local/secrets/admin-password, read from the file, never put in the environment) that must be changed at first
  # sign-in. Once any admin exists, nothing is created.
  if [[ -z "${ADAPTERLAB_ADMIN_EMAIL:-}" ]]; then
    secret_get admin-password >/dev/null
    out+=("ADAPTERLAB_ADMIN_EMAIL=$LOCAL_ADMIN_EMAIL" "ADAPTERLAB_ADMIN_PASSWORD_FILE=$SECRETS_DIR/admin-password"
          "ADAPTERLAB_ADMIN_MUST_CHANGE_PASSWORD=true")
  fi
  printf '%s\n' "${out[@]}"
}

LOCAL_ADMIN_EMAIL="admin@localhost"

# How to sign in, printed next to the dashboard URL.
sign_in_hint() {
  if [[ -z "${ADAPTERLAB_ADMIN_EMAIL:-}" ]]; then
    echo "Sign in: $LOCAL_ADMIN_EMAIL with the password in ${SECRETS_DIR#"$REPO_ROOT"/}/admin-password (first sign-in: you choose your own)"
  else
    echo "Sign in: $ADAPTERLAB_ADMIN_EMAIL with the password you set in ADAPTERLAB_ADMIN_PASSWORD"
  fi
}

# local_api_key: the admin key this checkout's platform registers, .local/secrets/api-key (generated, or the
# ADAPTERLAB_BOOTSTRAP_API_KEY that `up` was started with: `up` stores it there, so later commands in any shell use it).
local_api_key() {
  if [[ -n "${ADAPTERLAB_BOOTSTRAP_API_KEY:-}" && "$(cat "$SECRETS_DIR/api-key" 2>/dev/null)" != "$ADAPTERLAB_BOOTSTRAP_API_KEY" ]]; then
    secret_set api-key "$ADAPTERLAB_BOOTSTRAP_API_KEY"
  fi
  secret_get api-key
}

# require_api_key: dies with one line unless the running platform accepts local_api_key.
require_api_key() {
  local code
  code="$(curl -s -o /dev/null -m 10 -w '%{http_code}' -H "X-Api-Key: $(local_api_key)" "http://127.0.0.1:$ADAPTERLAB_WEB_PORT/api/backbones" 2>/dev/null || true)"
  case "$code" in
    200) ;;
    000) die "the platform does not answer on http://127.0.0.1:$ADAPTERLAB_WEB_PORT: start it with ./platform up --detach" ;;
    401) die "the platform does not accept the API key in ${SECRETS_DIR#"$REPO_ROOT"/}/api-key (started with another ADAPTERLAB_BOOTSTRAP_API_KEY? set it to that key and retry)" ;;
    *) die "the platform answered HTTP $code to a check of the API key; see ${LOG_DIR#"$REPO_ROOT"/}/web.log" ;;
  esac
}

inference_env() {
  mkdir -p "$LOCAL_DIR/inference-work"
  printf '%s\n' "Inference__ApiUrl=http://127.0.0.1:$ADAPTERLAB_WEB_PORT" "Inference__ApiKey=$(secret_get inference-api-key)" \
    "Inference__CallerToken=$(secret_get inference-caller-token)" "Inference__DataRoot=$DATA_DIR" \
    "Inference__WorkDirectory=$LOCAL_DIR/inference-work"
}

orchestrator_env() {
  printf '%s\n' "ConnectionStrings__Platform=$(pg_conn "$PLATFORM_DB" adapterlab_orchestrator "$(secret_get pg-orchestrator)")"
  rabbit_env_for orchestrator
}

# agent_token N ID: every agent gets a token of its own, issued under its id by the web API with the local admin key
# (kept in .local/secrets/agent-token-ID and reused when the agent restarts): a token opens only what its agent's leases
# name. The bootstrap agent token (.local/secrets/agent-token) belongs to no running agent; the bench uses it.
agent_token() {
  local file="$SECRETS_DIR/agent-token-$2" body
  # A kept token that no longer works (revoked, expired, or a fresh database) is replaced.
  if [[ -s "$file" ]] && [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$file")" \
      "http://127.0.0.1:$ADAPTERLAB_WEB_PORT/api/agent/whoami")" == 401 ]]; then
    rm -f "$file"
  fi
  if [[ ! -s "$file" ]]; then
    body="$(curl -fsS -X POST "http://127.0.0.1:$ADAPTERLAB_WEB_PORT/api/agent-tokens" -H "X-Api-Key: $(local_api_key)" \
      -H 'Content-Type: application/json' -d "{\"name\":\"$2\"}")" || die "could not issue an agent token for $2"
    ( umask 077; sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$body" > "$file" )
    [[ -s "$file" ]] || die "the web API issued no agent token for $2"
  fi
  cat "$file"
}

agent_env() { # agent_env N POOL SLOTS
  local id; id="$(agent_host)-$1"
  mkdir -p "$LOCAL_DIR/agent-work/$id"
  printf '%s\n' "Agent__Id=$id" "Agent__ApiUrl=http://127.0.0.1:$ADAPTERLAB_WEB_PORT" \
    "Agent__Token=$(agent_token "$1" "$id")" "Agent__Pool=$2" "Agent__Slots=$3" \
    "Agent__DataRoot=$DATA_DIR" "Agent__WorkDirectory=$LOCAL_DIR/agent-work/$id"
  # Its own broker identity, agent:<id>, with its agent token as the password (the web answers the broker's HTTP auth
  # backend; the orchestrator accepts its reports only from it).
  printf '%s\n' "RabbitMq__Host=127.0.0.1" "RabbitMq__Port=$ADAPTERLAB_AMQP_PORT" "RabbitMq__VirtualHost=$PLATFORM_VHOST" \
    "RabbitMq__Username=agent:$id" "RabbitMq__Password="
}

# The first free agent number (no live .local/run/agent-N.pid).
next_agent_number() {
  local n=1
  while pid_alive "$(svc_pidfile "agent-$n")"; do n=$((n + 1)); done
  printf '%s' "$n"
}

# start_agent N POOL SLOTS PORT: starts agent-N and waits until it is ready.
start_agent() {
  local n="$1" pool="$2" slots="$3" port="$4" envs
  mapfile -t envs < <(agent_env "$n" "$pool" "$slots")
  svc_start "agent-$n" agent "$port" "${envs[@]}"
  svc_wait_ready "agent-$n" "$port"
}

live_agents() { # prints the pid files of live agents
  local f
  for f in "$RUN_DIR"/agent-*.pid; do
    [[ -e "$f" ]] || continue
    pid_alive "$f" && printf '%s\n' "$f"
  done
  return 0
}

# Stops agents first (they report AgentStopping and may upload a checkpoint through web), then orchestrator and web.
stop_services() {
  local f pids=() name
  while read -r f; do
    [[ -n "$f" ]] || continue
    name="${f##*/}"; name="${name%.pid}"
    stop_pid "$f" AdapterLab.GpuAgent.dll "$name" 60 &
    pids+=("$!")
  done < <(live_agents)
  ((${#pids[@]})) && wait "${pids[@]}"
  pids=()
  for name in inference orchestrator web; do
    stop_pid "$(svc_pidfile "$name")" "$(basename "$(svc_dll "$name")")" "$name" 30 &
    pids+=("$!")
  done
  wait "${pids[@]}"
}
