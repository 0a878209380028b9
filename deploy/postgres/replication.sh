#!/bin/sh
# Runs once, at the primary's first start (docker-entrypoint-initdb.d): lets
# the standby stream the WAL (pg_basebackup, then replication).
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
