#!/bin/bash
# install.t — make install / uninstall into a DESTDIR, make deb + lintian (TAP).
#
# Installs the current build twice (PREFIX=/usr/local, then PREFIX=/usr) into
# temporary DESTDIRs and checks the tree: programs, plugins, hooks, policy
# with its paths rewritten, man pages, unit, docs; the installed policy passes
# retryd -t; a changed retryd.ini survives a second install (the new one goes
# beside it as .new); uninstall removes everything but the policy. Then
# builds the .deb and runs lintian on it: no error and no warning.
. "$(dirname "$0")/../lab/lib.sh"

TMP=$(mktemp -d /tmp/retryd-install.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cd "$LAB_ROOT" || exit 1
[ -x build/retryd ] || { echo "Bail out! make all first"; exit 1; }
M="make --no-print-directory -s"

# 1. PREFIX=/usr/local (the default)
D=$TMP/local
$M install DESTDIR="$D" >"$TMP/install.out" 2>&1
ok $? "make install DESTDIR=... succeeds" || cat "$TMP/install.out" >&2
for f in usr/local/sbin/retryd usr/local/sbin/retryctl \
	usr/local/lib/retryd/postfix.so usr/local/lib/retryd/exim.so \
	usr/local/lib/retryd/flush-unbound etc/retryd/retryd.ini \
	etc/retryd/classifier.ini usr/local/share/man/man8/retryd.8 \
	usr/local/share/man/man8/retryctl.8 usr/local/share/man/man5/retryd.ini.5 \
	usr/local/lib/systemd/system/retryd.service \
	usr/local/lib/systemd/system/retryd-release.service \
	usr/local/share/doc/retryd/LICENSE usr/local/share/doc/retryd/README.postfix; do
	[ -f "$D/$f" ]; ok $? "installed /$f"
done
[ -x "$D/usr/local/sbin/retryd" ] && [ -x "$D/usr/local/lib/retryd/flush-unbound" ]
ok $? "programs and hooks are executable"
is "$(stat -c %a "$D/etc/retryd/retryd.ini")" 644 "policy mode 644"
like "$(grep '^plugin_dir' "$D/etc/retryd/retryd.ini")" "= /usr/local/lib/retryd( |$)" \
	"installed policy: plugin_dir is \$(libdir)/retryd"
like "$(grep '^ExecStart=' "$D/usr/local/lib/systemd/system/retryd.service")" \
	"^ExecStart=/usr/local/sbin/retryd -c /etc/retryd/retryd.ini" "unit runs the installed retryd"
is "$(grep '^OnFailure=' "$D/usr/local/lib/systemd/system/retryd.service")" \
	"OnFailure=retryd-release.service" "unit: OnFailure= names the release unit"
is "$(grep '^ExecStart=' "$D/usr/local/lib/systemd/system/retryd-release.service")" \
	"ExecStart=/usr/local/sbin/retryctl -c /etc/retryd/retryd.ini release --all" \
	"release unit runs the installed retryctl release --all"
"$D/usr/local/sbin/retryd" -c "$D/etc/retryd/retryd.ini" -t >/dev/null 2>"$TMP/t.err"
ok $? "installed policy passes retryd -t" || cat "$TMP/t.err" >&2
like "$("$D/usr/local/sbin/retryd" --version)" "^retryd [0-9]+\.[0-9]+\.[0-9]+" "installed retryd --version"
v=$("$D/usr/local/sbin/retryctl" --version); rc=$?
is "$rc" 0 "retryctl --version exits 0"
for lib in "retryctl [0-9]" "plugin API [0-9]+" "libdb [0-9]+\.[0-9]+\.[0-9]+" "getdns [0-9.]+ \(API" "inih [0-9]+" "PCRE2 [0-9]+\.[0-9]+" "jansson [0-9]+\.[0-9]+"; do
	like "$v" "^$lib" "--version names: $lib"
done
if [ -f contrib/bash-completion/retryctl ]; then
	[ -f "$D/usr/local/share/bash-completion/completions/retryctl" ]
	ok $? "bash completion installed"
fi

# 2. a changed policy survives a second install
echo "; local change" >>"$D/etc/retryd/retryd.ini"
$M install DESTDIR="$D" >"$TMP/install2.out" 2>&1
ok $? "second make install succeeds"
like "$(tail -n 1 "$D/etc/retryd/retryd.ini")" "local change" "changed retryd.ini kept"
[ -f "$D/etc/retryd/retryd.ini.new" ]; ok $? "new retryd.ini beside it as retryd.ini.new"

# 3. uninstall: everything but the policy
$M uninstall DESTDIR="$D" >/dev/null 2>&1
ok $? "make uninstall succeeds"
left=$(cd "$D" && find . -type f | sort | tr '\n' ' ')
is "$left" "./etc/retryd/classifier.ini ./etc/retryd/retryd.ini ./etc/retryd/retryd.ini.new " \
	"uninstall leaves only /etc/retryd"

# 4. PREFIX=/usr: the Debian layout
D=$TMP/usr
$M install DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
[ -f "$D/usr/sbin/retryd" ] && [ -f "$D/usr/lib/retryd/postfix.so" ] && [ -f "$D/lib/systemd/system/retryd.service" ] \
	&& [ -f "$D/lib/systemd/system/retryd-release.service" ]
ok $? "PREFIX=/usr: /usr/sbin, /usr/lib/retryd, /lib/systemd/system"
like "$(grep '^plugin_dir' "$D/etc/retryd/retryd.ini")" "= /usr/lib/retryd( |$)" "PREFIX=/usr: plugin_dir /usr/lib/retryd"

# 5. the Debian package
$M deb >"$TMP/deb.out" 2>&1
ok $? "make deb succeeds" || tail -n 20 "$TMP/deb.out" >&2
deb=$(ls build/retryd_*.deb 2>/dev/null | tail -n 1)
[ -n "$deb" ]; ok $? "a .deb was built"
like "$(dpkg-deb -f "$deb" Depends)" "libgetdns10.*adduser" "Depends from dpkg-shlibdeps, and adduser"
like "$(dpkg-deb -c "$deb")" "lib/systemd/system/retryd.service" "the unit is in the package"
like "$(dpkg-deb -c "$deb")" "lib/systemd/system/retryd-release.service" "the release unit is in the package"
if grep -Eq "(systemctl|deb-systemd-helper) (--system )?enable" "$(dirname "$0")/../../contrib/debian/postinst"; then ok 1 "postinst enables nothing"; else ok 0 "postinst enables nothing"; fi
if command -v lintian >/dev/null; then
	lintian --fail-on error,warning "$deb" >"$TMP/lintian.out" 2>&1
	ok $? "lintian: no error, no warning" 
	grep -v "running with root" "$TMP/lintian.out" | sed 's/^/# /' >&2
else
	ok 0 "# SKIP lintian not installed (tests/deps.sh)"
fi
done_testing
