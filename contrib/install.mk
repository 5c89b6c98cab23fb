# install.mk — make install / uninstall / deb (included by the Makefile).
#
#   make install [PREFIX=/usr/local] [DESTDIR=...] [sbindir= libdir= ...]
#   make uninstall   (same variables; keeps $(sysconfdir)/retryd and the state)
#   make deb         build/retryd_VERSION_ARCH.deb (contrib/debian/), lintian-clean
#
# The programs read /etc/retryd/retryd.ini by default, so sysconfdir is /etc
# whatever PREFIX is. The installed retryd.ini names $(libdir)/retryd as its
# plugin_dir and hook directory. A retryd.ini or rule file already in
# $(sysconfdir)/retryd is never overwritten (the new one goes beside it as
# FILE.new; an unchanged one is left alone).

PREFIX      ?= /usr/local
sbindir     ?= $(PREFIX)/sbin
libdir      ?= $(PREFIX)/lib
datadir     ?= $(PREFIX)/share
mandir      ?= $(datadir)/man
docdir      ?= $(datadir)/doc/retryd
sysconfdir  ?= /etc
unitdir     ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
bashcompdir ?= $(datadir)/bash-completion/completions
pkglibdir   := $(libdir)/retryd

INSTALL ?= install
VERSION := $(shell sed -n 's/^\#define RETRYD_VERSION "\(.*\)"/\1/p' retryd/util/version.h)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE := $(B)/retryd_$(VERSION)_$(DEB_ARCH).deb

CONF_FILES  := $(wildcard policy/*.ini)
HOOKS       := contrib/flush-unbound
MAN5        := contrib/man/retryd.ini.5
MAN8        := contrib/man/retryd.8 contrib/man/retryctl.8
DOCS        := README.md LICENSE $(wildcard contrib/postfix/* contrib/exim/*)
BASHCOMP    := $(wildcard contrib/bash-completion/retryctl)
PLUGIN_SOS  := $(foreach p,$(PLUGINS),$(B)/plugins/$(p).so)

# paths written into the installed policy and unit
define install_subst
sed -e 's|/usr/lib/retryd|$(pkglibdir)|g' \
    -e 's|/usr/sbin/retryd|$(sbindir)/retryd|g' \
    -e 's|/usr/sbin/retryctl|$(sbindir)/retryctl|g' \
    -e 's|/etc/retryd/|$(sysconfdir)/retryd/|g'
endef

install: all
	$(INSTALL) -d $(DESTDIR)$(sbindir) $(DESTDIR)$(pkglibdir) \
		$(DESTDIR)$(sysconfdir)/retryd $(DESTDIR)$(mandir)/man5 \
		$(DESTDIR)$(mandir)/man8 $(DESTDIR)$(unitdir) $(DESTDIR)$(docdir)
	$(INSTALL) -m 755 $(B)/retryd $(B)/retryctl $(DESTDIR)$(sbindir)/
	$(INSTALL) -m 644 $(PLUGIN_SOS) $(DESTDIR)$(pkglibdir)/
	$(INSTALL) -m 755 $(HOOKS) $(DESTDIR)$(pkglibdir)/
	set -e; for f in $(CONF_FILES); do \
		dst=$(DESTDIR)$(sysconfdir)/retryd/$${f##*/}; \
		$(install_subst) "$$f" >"$$dst.tmp"; chmod 644 "$$dst.tmp"; \
		if [ -e "$$dst" ] && cmp -s "$$dst" "$$dst.tmp"; then rm -f "$$dst.tmp"; continue; fi; \
		new=$$dst; if [ -e "$$dst" ]; then echo "kept $$dst; new one: $$dst.new"; new=$$dst.new; fi; \
		mv "$$dst.tmp" "$$new"; \
	done
	$(INSTALL) -m 644 $(MAN5) $(DESTDIR)$(mandir)/man5/
	$(INSTALL) -m 644 $(MAN8) $(DESTDIR)$(mandir)/man8/
	$(install_subst) contrib/systemd/retryd.service >$(DESTDIR)$(unitdir)/retryd.service
	chmod 644 $(DESTDIR)$(unitdir)/retryd.service
	$(install_subst) contrib/systemd/retryd-release.service >$(DESTDIR)$(unitdir)/retryd-release.service
	chmod 644 $(DESTDIR)$(unitdir)/retryd-release.service
	$(INSTALL) -m 644 $(DOCS) $(DESTDIR)$(docdir)/
	$(if $(BASHCOMP),$(INSTALL) -d $(DESTDIR)$(bashcompdir) && \
		$(INSTALL) -m 644 $(BASHCOMP) $(DESTDIR)$(bashcompdir)/retryctl)

uninstall:
	rm -f $(DESTDIR)$(sbindir)/retryd $(DESTDIR)$(sbindir)/retryctl
	rm -f $(foreach p,$(PLUGINS),$(DESTDIR)$(pkglibdir)/$(p).so) \
	      $(foreach h,$(HOOKS),$(DESTDIR)$(pkglibdir)/$(notdir $(h)))
	-rmdir $(DESTDIR)$(pkglibdir)
	rm -f $(foreach m,$(MAN5),$(DESTDIR)$(mandir)/man5/$(notdir $(m))) \
	      $(foreach m,$(MAN8),$(DESTDIR)$(mandir)/man8/$(notdir $(m)))
	rm -f $(DESTDIR)$(unitdir)/retryd.service $(DESTDIR)$(unitdir)/retryd-release.service \
	      $(DESTDIR)$(bashcompdir)/retryctl
	rm -rf $(DESTDIR)$(docdir)
	@echo "kept $(DESTDIR)$(sysconfdir)/retryd (your policy) and the state_dir"

# ---- Debian binary package --------------------------------------------------
DEB_ROOT := $(B)/deb/root

deb: all
	rm -rf $(B)/deb && mkdir -p $(DEB_ROOT)/DEBIAN $(B)/deb/debian
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEB_ROOT) PREFIX=/usr \
		sysconfdir=/etc unitdir=/lib/systemd/system >/dev/null
	strip --remove-section=.comment --remove-section=.note \
		$(DEB_ROOT)/usr/sbin/retryd $(DEB_ROOT)/usr/sbin/retryctl
	strip --remove-section=.comment --remove-section=.note --strip-unneeded \
		$(DEB_ROOT)/usr/lib/retryd/*.so
	gzip -9n $(DEB_ROOT)/usr/share/man/man*/*
	rm -f $(DEB_ROOT)/usr/share/doc/retryd/LICENSE
	cp contrib/debian/copyright $(DEB_ROOT)/usr/share/doc/retryd/copyright
	gzip -9nc contrib/debian/changelog >$(DEB_ROOT)/usr/share/doc/retryd/changelog.gz
	cp contrib/debian/postinst contrib/debian/postrm contrib/debian/conffiles $(DEB_ROOT)/DEBIAN/
	chmod 755 $(DEB_ROOT)/DEBIAN/postinst $(DEB_ROOT)/DEBIAN/postrm
	printf 'Source: retryd\n\nPackage: retryd\nArchitecture: any\n' >$(B)/deb/debian/control
	cd $(B)/deb && dpkg-shlibdeps -O -eroot/usr/sbin/retryd -eroot/usr/sbin/retryctl \
		$(foreach p,$(PLUGINS),-eroot/usr/lib/retryd/$(p).so) >debian/substvars
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' \
	    -e "s/@SHLIBS@/$$(sed -n 's/^shlibs:Depends=//p' $(B)/deb/debian/substvars)/" \
	    -e "s/@SIZE@/$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)/" \
	    contrib/debian/control >$(DEB_ROOT)/DEBIAN/control
	cd $(DEB_ROOT) && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | \
		LC_ALL=C sort -z | xargs -0 md5sum >DEBIAN/md5sums
	find $(DEB_ROOT) -type d -exec chmod 755 {} +
	dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $(DEB_FILE)
	@echo "built $(DEB_FILE)"

.PHONY: install uninstall deb
