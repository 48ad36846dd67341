#!/bin/sh
# One-shot (compose service rabbitmq-setup): the broker users in the adapterlab vhost, through the management API with
# the admin user the broker was started with. Idempotent (declare = create or update). The same rules as
# infra/local/rabbitmq.sh and AdapterLab.Messaging.BrokerPermissions:
# - web and orchestrator: one user each; only the web writes users' intent, only agents write agent reports, and the web
#   never writes to an agent's queue;
# - agents: not here (see below).
set -eu
admin() { rabbitmqadmin -H rabbitmq -P 15672 -u "$RABBITMQ_DEFAULT_USER" -p "$RABBITMQ_DEFAULT_PASS" "$@"; }
messages='AdapterLab\.Contracts\.Messages'
reports='AttemptStarted|AttemptPrepared|AttemptProgressed|AttemptHeartbeat|CheckpointSaved|AffinityMeasured|AttemptLogged|AttemptSucceeded|AttemptFailed|AttemptCancelled|AttemptPaused|AgentAnnounced|AgentStopping'
admin declare vhost name=adapterlab
# impersonator: a message a service moves to an _error queue keeps its original sender's user_id.
admin declare user name=adapterlab-web password="$ADAPTERLAB_RABBIT_WEB_PASSWORD" tags=impersonator
admin declare permission vhost=adapterlab user=adapterlab-web configure='.*' read='.*' \
  write="^(?!(adapterlab-agent-|$messages:($reports)\$)).*"
admin declare user name=adapterlab-orchestrator password="$ADAPTERLAB_RABBIT_ORCHESTRATOR_PASSWORD" tags=impersonator
admin declare permission vhost=adapterlab user=adapterlab-orchestrator configure='.*' read='.*' \
  write="^(?!$messages:(ExperimentSubmitted|CancelRequested|RetryRequested|$reports)\$).*"
admin delete user name=adapterlab-agent >/dev/null 2>&1 || true # agents once shared one user
# Agents have no users here: each logs in as agent:<id> with its agent token, checked by the web (HTTP auth backend,
# rabbitmq.conf), with an agent's least privilege (its own queue, agent reports only).
echo "rabbitmq users ready"
