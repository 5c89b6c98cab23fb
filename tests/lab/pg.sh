# pg.sh — a private PostgreSQL 15 cluster for a scenario (sourced).
#
# pg_start: initdb in $LAB_DIR/pg (as user postgres, fsync off),
# listening on 127.$LAB_NET.0.60:5432 only (scram-sha-256 password), its
# socket in $LAB_DIR/pg (trust, for the test's own psql); database
# "retryd". Sets PG_URL (with ?passfile=, see pg_password), PG_PASSWORD
# and PG_PASSFILE. Registered for cleanup.
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
	pg_as "$PG_BIN/initdb -D '$PG_DIR/data' --auth-local=trust --auth-host=scram-sha-256 -U postgres -E UTF8 --locale=C.UTF-8 --no-sync" >"$LAB_DIR/pg-initdb.log" 2>&1 || return 1
	pg_ctl_start || return 1
	lab_on_exit pg_stop
	"$PG_BIN/../bin/createdb" -h "$PG_DIR" -U postgres retryd 2>/dev/null ||
		psql -h "$PG_DIR" -U postgres -Atq -c "CREATE DATABASE retryd" postgres >/dev/null || return 1
	pg_password || return 1
	PG_URL="postgresql://postgres@$(pg_addr):5432/retryd?passfile=$PG_PASSFILE"
}

# pg_password: TCP clients need a password (scram-sha-256): a random one,
# set over the socket from stdin (never in argv), kept in a libpq password
# file owned by the retryd user, mode 0600 (libpq ignores a file others
# can read), which the dropped daemon reads: the way a real host does it.
pg_password() {
	PG_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	PG_PASSFILE=$LAB_DIR/fleet.pgpass
	printf "ALTER ROLE postgres PASSWORD '%s';\n" "$PG_PASSWORD" |
		psql -h "$PG_DIR" -U postgres -Atq -d retryd >/dev/null || return 1
	(umask 077 && printf '%s:5432:retryd:postgres:%s\n' "$(pg_addr)" "$PG_PASSWORD" >"$PG_PASSFILE") || return 1
	if id retryd >/dev/null 2>&1; then chown retryd:retryd "$PG_PASSFILE" || return 1; fi
	chmod 0600 "$PG_PASSFILE"
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	pg_as "$PG_BIN/pg_ctl -D '$PG_DIR/data' -m fast -w stop" >/dev/null 2>&1
	return 0
}

pg_restart() { pg_ctl_start; }

pg_sql() { psql -h "$PG_DIR" -U postgres -d retryd -Atq -c "$1"; }
