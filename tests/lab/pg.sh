# pg.sh — a private PostgreSQL 15 cluster for a scenario (sourced).
#
# pg_start: initdb in $LAB_DIR/pg (as user postgres, trust auth, fsync
# off), listening on 127.$LAB_NET.0.60:5432 only, its socket in
# $LAB_DIR/pg; database "retryd". Sets PG_URL. Registered for cleanup.
# pg_stop / pg_restart: pg_ctl stop -m fast / start again (same data).
# pg_sql SQL: psql -Atq on the retryd database (one value per line).
# pg_available: 0 when PostgreSQL 15's binaries are installed.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_available() { [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && id postgres >/dev/null 2>&1; }

pg_addr() { echo "127.$LAB_NET.0.60"; }

pg_as() { su postgres -s /bin/sh -c "$1"; }

pg_ctl_start() {
	pg_as "$PG_BIN/pg_ctl -D '$PG_DIR/data' -l '$PG_DIR/log' -w -t 30 -o \"-c listen_addresses=$(pg_addr) -c port=5432 -c unix_socket_directories='$PG_DIR' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40 -c shared_buffers=16MB\" start" >/dev/null
}

pg_start() {
	PG_DIR=$LAB_DIR/pg
	install -d -o postgres -m 700 "$PG_DIR"
	pg_as "$PG_BIN/initdb -D '$PG_DIR/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync" >"$LAB_DIR/pg-initdb.log" 2>&1 || return 1
	pg_ctl_start || return 1
	lab_on_exit pg_stop
	"$PG_BIN/../bin/createdb" -h "$PG_DIR" -U postgres retryd 2>/dev/null ||
		psql -h "$PG_DIR" -U postgres -Atq -c "CREATE DATABASE retryd" postgres >/dev/null || return 1
	PG_URL="postgresql://postgres@$(pg_addr):5432/retryd"
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	pg_as "$PG_BIN/pg_ctl -D '$PG_DIR/data' -m fast -w stop" >/dev/null 2>&1
	return 0
}

pg_restart() { pg_ctl_start; }

pg_sql() { psql -h "$PG_DIR" -U postgres -d retryd -Atq -c "$1"; }
