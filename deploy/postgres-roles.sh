#!/bin/sh
# Run once by the postgres image on a fresh data directory (docker-entrypoint-initdb.d).
# The application logs in as aries_service, a member of aries_app: it gets the grants the
# migrations give aries_app and nothing else, so it can neither disable the audit triggers nor
# write the chains other than through them (decision 009). The migrate service alone uses the
# owner account (POSTGRES_USER).
set -eu
psql -v ON_ERROR_STOP=1 -v password="$ARIES_DB_APP_PASSWORD" \
    --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE aries_app NOLOGIN;
CREATE ROLE aries_service LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    IN ROLE aries_app PASSWORD :'password';
SQL
