#!/bin/sh
# Grafana's read-only role on the remitwatch store.
#
# The postgres image runs this once, when its data volume is first initialised (mounted at
# /docker-entrypoint-initdb.d by deploy/compose.yaml). For an existing database, run it by
# hand as a PostgreSQL superuser (PGUSER; psql also honours PGHOST, PGPORT), e.g.
#   sudo -u postgres env PGUSER=postgres POSTGRES_USER=remitwatch POSTGRES_DB=remitwatch \
#     GRAFANA_DB_PASSWORD=... sh deploy/postgres/initdb/grafana-reader.sh
#
# The role may connect and read every table and view of the store, including those that
# remitwatch's migrations create later as POSTGRES_USER (default privileges); it can write
# nothing, and a dashboard query that runs away is stopped after 30 s.
# Reads POSTGRES_USER (the role that owns the store's tables), POSTGRES_DB, GRAFANA_DB_USER
# (default grafana), GRAFANA_DB_PASSWORD, and PGUSER (who runs this; default POSTGRES_USER).
# The image may source this file instead of running it: so no `set` and no `exit` here.

psql -v ON_ERROR_STOP=1 --no-psqlrc \
    --username "${PGUSER:-$POSTGRES_USER}" --dbname "$POSTGRES_DB" \
    --set owner="$POSTGRES_USER" \
    --set dbname="$POSTGRES_DB" \
    --set reader="${GRAFANA_DB_USER:-grafana}" \
    --set reader_password="${GRAFANA_DB_PASSWORD:?set GRAFANA_DB_PASSWORD (deploy/compose.env)}" \
    <<'SQL'
CREATE ROLE :"reader" LOGIN PASSWORD :'reader_password';
ALTER ROLE :"reader" SET default_transaction_read_only = on;
ALTER ROLE :"reader" SET statement_timeout = '30s';
GRANT CONNECT ON DATABASE :"dbname" TO :"reader";
GRANT USAGE ON SCHEMA public TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO :"reader";
SQL
