#!/bin/bash
# ctl_privs.t — who may do what with the store (issue 9), started as root:
# a store owned by the retryd user (as the dropped daemon leaves it),
# read by a monitoring user (nobody with the supplementary group retryd):
# list, show, suppressed, status and report work; release and unsuppress
# are refused (exit 77, with the reason) and change nothing; a user not in
# the group cannot read at all. retryctl run as root writes as the owner
# of state_dir: unsuppress on a live store and on a fresh state_dir (where
# it creates the whole environment) leave no root-owned file, and the
# group can still read afterwards.
. "$(dirname "$0")/../lab/lib.sh"
CTL=$RETRYD_ASAN_BUILD/retryctl
SEED=$RETRYD_ASAN_BUILD/tests/store_seed
[ -x "$CTL" ] && [ -x "$SEED" ] ||
	skip_all "retryctl or store_seed not built (make asan)"
[ "$(id -u)" = 0 ] || skip_all "needs root (runs commands as other users)"
command -v setpriv >/dev/null || skip_all "setpriv missing"
lab_init ctl_privs
getent passwd retryd >/dev/null || skip_all "no retryd user"

for n in a b; do
	printf '[retryd]\nmta = postfix\nstate_dir = %s\n' "$LAB_DIR/$n" \
		>"$LAB_DIR/$n.ini"
done
chmod 644 "$LAB_DIR"/*.ini
AS_OWNER="setpriv --reuid=retryd --regid=retryd --init-groups"
AS_GROUP="setpriv --reuid=nobody --regid=nogroup --groups=retryd"
AS_OTHER="setpriv --reuid=nobody --regid=nogroup --clear-groups"
A="-c $LAB_DIR/a.ini"

install -d -o retryd -g retryd -m 0750 "$LAB_DIR/a"
$AS_OWNER "$SEED" "$LAB_DIR/a" <<'EOF'
message id=ABC123 first_failure=now-2h5m attempts=2 rcpt=a@hotmail.test
message id=DEF456 first_failure=now-10m attempts=1 rcpt=c@outlook.test
suppressed address=z@hotmail.test time=now-1d reason="3 mailbox-unknown"
suppressed address=y@outlook.test time=now-2d reason="3 mailbox-disabled"
EOF
is "$?" 0 "store seeded by the retryd user"
is "$(find "$LAB_DIR/a" -name '__db.0*' -perm 0660 | wc -l)" 3 \
	"region files are 0660 (the group must map them to attach)"
is "$(find "$LAB_DIR/a" -name '*.db' ! -perm 0640 | wc -l)" 0 \
	"databases are 0640"

# ---- a monitoring user in group retryd: reads ----
out=$($AS_GROUP "$CTL" $A list 2>&1)
is "$?" 0 "group member: list works"
like "$out" "ABC123 +a@hotmail.test" "group member: list shows the store"
is "$($AS_GROUP "$CTL" $A list --json 2>/dev/null | grep -o '"queue_id"' | wc -l)" 2 \
	"group member: list --json has both messages"
$AS_GROUP "$CTL" $A show ABC123 >/dev/null 2>&1
is "$?" 0 "group member: show works"
out=$($AS_GROUP "$CTL" $A suppressed 2>&1)
like "$out" "z@hotmail.test" "group member: suppressed works"
out=$($AS_GROUP "$CTL" $A status 2>&1)
like "$out" "held=2" "group member: status reads the store (held=2)"
$AS_GROUP "$CTL" $A report >/dev/null 2>&1
is "$?" 0 "group member: report works"

# ---- ... and writes are refused, with the reason ----
out=$($AS_GROUP "$CTL" $A unsuppress z@hotmail.test 2>&1)
is "$?" 77 "group member: unsuppress refused (exit 77)"
like "$out" "unsuppress: refused: it changes the store, and only root or the owner" \
	"group member: the refusal says why"
out=$($AS_GROUP "$CTL" $A release ABC123 2>&1)
is "$?" 77 "group member: release refused (exit 77)"
like "$($AS_OWNER "$CTL" $A suppressed 2>&1)" "z@hotmail.test" \
	"nothing changed: z@hotmail.test still suppressed"

# ---- a user not in the group: nothing ----
out=$($AS_OTHER "$CTL" $A list 2>&1)
is "$?" 1 "a user outside the group cannot list"
like "$out" "Permission denied" "... and is told why"

# ---- root writes as the owner of state_dir ----
"$CTL" $A unsuppress z@hotmail.test >/dev/null 2>&1
is "$?" 0 "root: unsuppress works"
is "$(find "$LAB_DIR/a" ! -user retryd | wc -l)" 0 \
	"root's write left no file that is not retryd's"
install -d -o retryd -g retryd -m 0750 "$LAB_DIR/b"
"$CTL" -c "$LAB_DIR/b.ini" unsuppress q@example.test >/dev/null 2>&1
is "$(find "$LAB_DIR/b" -name '__db.register' -user retryd | wc -l)" 1 \
	"root's retryctl on a fresh state_dir created the environment as retryd"
is "$(find "$LAB_DIR/b" ! -user retryd | wc -l)" 0 \
	"... and left no root-owned file"
$AS_GROUP "$CTL" -c "$LAB_DIR/b.ini" list >/dev/null 2>&1
is "$?" 0 "the group can read a store root's retryctl created"
out=$($AS_GROUP "$CTL" $A suppressed 2>&1)
like "$out" "y@outlook.test" "group member: reads after root's write"
case $out in
*z@hotmail.test*) ok 1 "root's unsuppress took effect" ;;
*) ok 0 "root's unsuppress took effect" ;;
esac

done_testing
