#!/bin/sh
# Creates Temporal's MySQL databases and applies its schema with the
# temporal-sql-tool shipped in temporalio/admin-tools (the replacement for the
# deprecated auto-setup image). Idempotent: re-running only applies updates.
set -eu
: "${MYSQL_SEEDS:?}" "${MYSQL_USER:?}" "${SQL_PASSWORD:?}"
tool() { temporal-sql-tool --plugin mysql8 --ep "$MYSQL_SEEDS" -u "$MYSQL_USER" -p "${DB_PORT:-3306}" "$@"; }
for db in temporal temporal_visibility; do
  tool --db "$db" create || true
done
tool --db temporal setup-schema -v 0.0 || true
tool --db temporal update-schema -d /etc/temporal/schema/mysql/v8/temporal/versioned
tool --db temporal_visibility setup-schema -v 0.0 || true
tool --db temporal_visibility update-schema -d /etc/temporal/schema/mysql/v8/visibility/versioned
echo "temporal schema ready"
