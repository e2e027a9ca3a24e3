#!/bin/sh
# Creates the namespace and registers Gatehouse's search attributes, the same
# ones `make dev` registers on its embedded server (internal/searchattr).
set -eu
NS="${TEMPORAL_NAMESPACE:-default}"
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do sleep 2; done
temporal operator namespace describe -n "$NS" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 ||
  temporal operator namespace create -n "$NS" --retention 7d --address "$TEMPORAL_ADDRESS"
for name in GatehouseSite GatehouseEmail GatehouseEventType GatehouseStatus GatehouseTarget; do
  temporal operator search-attribute create --namespace "$NS" --name "$name" --type Keyword \
    --address "$TEMPORAL_ADDRESS" 2>/dev/null || true
done
temporal operator search-attribute list --namespace "$NS" --address "$TEMPORAL_ADDRESS"
