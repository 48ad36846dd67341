#!/bin/sh
# One-shot (compose service rabbitmq-setup): one user per service in the adapterlab vhost, through the management
# API with the admin user the broker was started with. Idempotent (declare = create or update).
set -eu
admin() { rabbitmqadmin -H rabbitmq -P 15672 -u "$RABBITMQ_DEFAULT_USER" -p "$RABBITMQ_DEFAULT_PASS" "$@"; }
admin declare vhost name=adapterlab
for svc in web orchestrator agent; do
  case "$svc" in
    web) pw="$ADAPTERLAB_RABBIT_WEB_PASSWORD" ;;
    orchestrator) pw="$ADAPTERLAB_RABBIT_ORCHESTRATOR_PASSWORD" ;;
    agent) pw="$ADAPTERLAB_RABBIT_AGENT_PASSWORD" ;;
  esac
  admin declare user name="adapterlab-$svc" password="$pw" tags=
  admin declare permission vhost=adapterlab user="adapterlab-$svc" configure='.*' write='.*' read='.*'
done
echo "rabbitmq users ready"
