#!/bin/bash
# fleet_exim_pgsql.t — the Exim form of the fleet lookup (issue 15), run by
# a real Exim with pgsql lookups against a real PostgreSQL 15: `retryctl
# fleet export exim-pgsql` gives the `hide pgsql_servers` line and the
# ${lookup pgsql{...}} of the RCPT ACL; exim -be expands that lookup for a
# fleet-suppressed address (the reason) and for others (empty), and for a
# cleared one (empty). Debian's exim4-daemon-heavy (the build with pgsql)
# conflicts with postfix as a package, so it is unpacked with dpkg -x into
# a private root, as tests/lab/exim-install.sh does for the light build;
# its libraries libmariadb3 and libspf2-2 come from tests/deps.sh.
. "$(dirname "$0")/../lab/lib.sh"
. "$(dirname "$0")/../lab/pg.sh"
B=${RETRYD_ASAN_BUILD:-$PWD/build/asan}
RETRYCTL=$B/retryctl
[ "$(id -u)" = 0 ] || skip_all "needs root (PostgreSQL as user postgres)"
pg_available && command -v psql >/dev/null || skip_all "PostgreSQL 15 missing (tests/deps.sh)"
[ -x "$RETRYCTL" ] || skip_all "retryctl not built"

ROOT=${EXIM_HEAVY_ROOT:-/opt/retryd-lab/exim-heavy}
CACHE=${EXIM_LAB_CACHE:-/var/cache/retryd-lab}
EXIM=$ROOT/usr/sbin/exim4
if [ ! -x "$EXIM" ]; then
	mkdir -p "$CACHE" "$ROOT"
	(cd "$CACHE" && { ls exim4-daemon-heavy_*.deb >/dev/null 2>&1 || apt-get download exim4-daemon-heavy >/dev/null 2>&1; }) &&
		dpkg -x "$(ls "$CACHE"/exim4-daemon-heavy_*.deb | tail -1)" "$ROOT" ||
		skip_all "exim4-daemon-heavy could not be fetched (apt-get download)"
fi
getent passwd Debian-exim >/dev/null || {
	getent group Debian-exim >/dev/null || groupadd -r Debian-exim
	useradd -r -g Debian-exim -d /var/spool/exim4 -s /usr/sbin/nologin Debian-exim
}
"$EXIM" --version 2>/dev/null | grep -q 'pgsql' || skip_all "this Exim has no pgsql lookup (libraries missing?)"

lab_init fleet_exim_pgsql
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
mkdir -p "$LAB_DIR/state"
cat >"$LAB_DIR/retryd.ini" <<EOF2
[retryd]
state_dir = $LAB_DIR/state
host_id = exim-host
[fleet]
database = $PG_URL
EOF2
like "$("$RETRYCTL" -c "$LAB_DIR/retryd.ini" fleet init)" "version 0 -> 1" "fleet init"
pg_sql "INSERT INTO fleet_suppressed (address, time, reason, evidence, decided_by) VALUES ('gone@hotmail.test', 1700000000, 'mailbox-unknown 3 times over 2h (fleet-wide; from fleet-a, fleet-b)', 'fleet-a, fleet-b', 'fleet-a'), ('back@hotmail.test', 1700000000, 'old', 'fleet-a', 'fleet-a')"
pg_sql "UPDATE fleet_suppressed SET cleared_at = 1700000100, cleared_by = 'fleet-b' WHERE address = 'back@hotmail.test'"

"$RETRYCTL" -c "$LAB_DIR/retryd.ini" fleet export exim-pgsql -o "$LAB_DIR/exim-pgsql.txt"
ok $? "fleet export exim-pgsql"
is "$(stat -c %a "$LAB_DIR/exim-pgsql.txt")" 640 "written mode 0640"
like "$(grep '^hide pgsql_servers' "$LAB_DIR/exim-pgsql.txt")" "^hide pgsql_servers = $(pg_addr)::5432/retryd/postgres/\$" \
	"hide pgsql_servers: host:port/db/user/ (no password from a passfile URL)"
# the MTA's password is its own (README); set from the environment, not argv
PGPW=$PG_PASSWORD perl -pi -e 's|/$|/$ENV{PGPW}| if /^hide pgsql_servers/' "$LAB_DIR/exim-pgsql.txt"

# a main section with the generated servers line; the lookup as the ACL has it
{
	echo "primary_hostname = exim.lab.test"
	echo "exim_user = Debian-exim"
	echo "exim_group = Debian-exim"
	echo "spool_directory = $LAB_DIR/exim-spool"
	echo "log_file_path = $LAB_DIR/exim-%s.log"
	grep '^hide pgsql_servers' "$LAB_DIR/exim-pgsql.txt"
} >"$LAB_DIR/exim.conf"
mkdir -p "$LAB_DIR/exim-spool"
LOOKUP=$(sed -n 's/^ *set acl_m_retryd = //p' "$LAB_DIR/exim-pgsql.txt")
like "$LOOKUP" '^\$\{lookup pgsql\{SELECT .*\$\{quote_pgsql:\$local_part@\$domain\}' "the ACL's lookup quotes the address"
expand() { # ADDRESS: the lookup expanded by Exim for that recipient
	"$EXIM" -C "$LAB_DIR/exim.conf" -be "${LOOKUP//\$local_part@\$domain/$1}" 2>&1
}
like "$(expand gone@hotmail.test)" "^mailbox-unknown 3 times over 2h \(fleet-wide; from fleet-a, fleet-b\)" \
	"Exim's pgsql lookup finds the fleet-wide suppression"
is "$(expand alice@hotmail.test)" "" "an address not suppressed: empty (accepted)"
is "$(expand back@hotmail.test)" "" "an address cleared fleet-wide: empty (accepted)"
is "$(expand "o'hara@hotmail.test")" "" "a quote in the address is quoted (quote_pgsql), no SQL error"

# the whole generated stanza in a real RCPT ACL: exim -bh runs an SMTP
# session through the ACLs (nothing is delivered)
{
	cat "$LAB_DIR/exim.conf"
	echo "acl_smtp_rcpt = acl_check_rcpt"
	echo "begin acl"
	echo "acl_check_rcpt:"
	sed -n '/^deny/,$p' "$LAB_DIR/exim-pgsql.txt"
	echo "  accept"
} >"$LAB_DIR/exim-acl.conf"
rcpt() { # ADDRESS: Exim's reply to RCPT TO:<ADDRESS>, lines joined by |
	printf 'HELO client.lab.test\r\nMAIL FROM:<sender@senders.test>\r\nRCPT TO:<%s>\r\nQUIT\r\n' "$1" |
		"$EXIM" -C "$LAB_DIR/exim-acl.conf" -bh 127.0.0.1 2>/dev/null | tr -d '\r' | grep -E '^[0-9]{3}' | sed -n '4,/^221/p' | grep -v '^221' | tr '\n' '|'
}
like "$(rcpt gone@hotmail.test)" "^550-5\.1\.1 recipient suppressed by retryd \(fleet\):\|550 mailbox-unknown 3 times" \
	"Exim refuses RCPT of the fleet-suppressed address through pgsql (550 5.1.1)"
like "$(rcpt alice@hotmail.test)" "^250 " "Exim accepts another address"
done_testing
