#!/bin/sh
# Creates one database per Kunruyi app if it does not exist yet.
# Mounted into /docker-entrypoint-initdb.d/ of the official postgres image, so it
# runs once, on the first start with an empty data volume, as POSTGRES_USER.
# It can also be re-run by hand: docker compose exec postgres sh /docker-entrypoint-initdb.d/init-databases.sh
set -eu

DATABASES="kunruyi_gateway kunruyi_policy kunruyi_talent kunruyi_disbursement kunruyi_matching"
PGUSER="${POSTGRES_USER:-kunruyi}"

for db in $DATABASES; do
  echo "init-databases: ensuring database ${db}"
  psql -v ON_ERROR_STOP=1 --username "$PGUSER" --dbname postgres <<SQL
SELECT 'CREATE DATABASE ${db} OWNER "${PGUSER}"'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${db}')\gexec
SQL
done
