# ops.mk — man pages, install/uninstall and the Debian package (included by the Makefile).
#
#   make man                    build/man/*.{1,5,8} from docs/*.md (go-md2man)
#   make install [PREFIX=/usr/local] [DESTDIR=]   binaries, man pages, example configs,
#                               systemd unit, bash completion
#   make uninstall              removes what install put there (configs only if unchanged)
#   make deb                    build-deps + dpkg-buildpackage -us -uc -b; the .deb in build/deb/
#
# The BPF objects are not installed: flowmobd embeds them (bpftool skeletons).

# libsystemd: sd_notify and the journal (core/service.c, core/log.c); libmicrohttpd:
# the metrics endpoint (core/metrics.c); libmnl: anchored-prefix routes (dp/routes.c).
LDLIBS      += -lsystemd -lmicrohttpd -lmnl

PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/sbin
UBINDIR     ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/flowmob
SYSCONFDIR  ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR     ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
COMPLDIR    ?= $(PREFIX)/share/bash-completion/completions
INSTALL     ?= install

# page: source, name, section, one-line description
MAN_PAGES := $(BUILD)/man/flowmobd.8 $(BUILD)/man/flowmobctl.8 $(BUILD)/man/flowmob-mh.1 \
             $(BUILD)/man/flowmob.yaml.5
MAN_DEPS  := tools/md2man.sh agent/core/version.h

$(BUILD)/man/flowmobd.8: docs/flowmobd.8.md $(MAN_DEPS)
	$(Q)tools/md2man.sh $< flowmobd 8 "Proxy Mobile IPv6 LMA or MAG with flow mobility" $@
$(BUILD)/man/flowmobctl.8: docs/cli.md $(MAN_DEPS)
	$(Q)tools/md2man.sh $< flowmobctl 8 "query and control a running flowmobd" $@
$(BUILD)/man/flowmob-mh.1: docs/flowmob-mh.1.md $(MAN_DEPS)
	$(Q)tools/md2man.sh $< flowmob-mh 1 "encode and decode IPv6 Mobility Header messages as JSON" $@
$(BUILD)/man/flowmob.yaml.5: docs/configuration.md $(MAN_DEPS)
	$(Q)tools/md2man.sh $< flowmob.yaml 5 "flowmobd configuration file" $@

.PHONY: man install uninstall deb deb-deps
man: $(MAN_PAGES)

EXAMPLES := $(wildcard docs/examples/*.yaml)

install: all man
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UBINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/flowmob \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPLDIR) $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 0755 $(BUILD)/flowmobd $(BUILD)/flowmobctl $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0755 $(BUILD)/flowmob-mh $(DESTDIR)$(UBINDIR)/
	$(INSTALL) -m 0644 $(BUILD)/man/flowmob-mh.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 $(BUILD)/man/flowmob.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 0644 $(BUILD)/man/flowmobd.8 $(BUILD)/man/flowmobctl.8 $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	$(Q)for f in $(EXAMPLES); do t=$(DESTDIR)$(SYSCONFDIR)/flowmob/$$(basename $$f); \
	  if [ -e $$t ]; then echo "install: keeping $$t"; else $(INSTALL) -m 0644 $$f $$t; fi; done
	sed 's|@SBINDIR@|$(BINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/flowmobd@.service.in \
	  > $(DESTDIR)$(UNITDIR)/flowmobd@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/flowmobd@.service
	$(INSTALL) -m 0644 tools/flowmobctl/flowmobctl.bash $(DESTDIR)$(COMPLDIR)/flowmobctl

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/flowmobd $(DESTDIR)$(BINDIR)/flowmobctl $(DESTDIR)$(UBINDIR)/flowmob-mh \
	  $(DESTDIR)$(MANDIR)/man1/flowmob-mh.1 $(DESTDIR)$(MANDIR)/man5/flowmob.yaml.5 \
	  $(DESTDIR)$(MANDIR)/man8/flowmobd.8 $(DESTDIR)$(MANDIR)/man8/flowmobctl.8 \
	  $(DESTDIR)$(UNITDIR)/flowmobd@.service $(DESTDIR)$(COMPLDIR)/flowmobctl
	rm -rf $(DESTDIR)$(DOCDIR)
	$(Q)for f in $(EXAMPLES); do t=$(DESTDIR)$(SYSCONFDIR)/flowmob/$$(basename $$f); \
	  if cmp -s $$f $$t; then rm -f $$t; elif [ -e $$t ]; then echo "uninstall: keeping changed $$t"; fi; done
	-$(Q)rmdir $(DESTDIR)$(SYSCONFDIR)/flowmob 2>/dev/null

# Build-time tools of the package only (not needed by make test's suites).
DEB_PKGS := debhelper dpkg-dev fakeroot lintian
deb-deps:
	$(Q)tools/deps.sh $(DEB_PKGS)

# dpkg-buildpackage writes into the parent directory: build a copy of the tree in
# build/deb/src so that everything it makes stays under build/deb/.
deb: deb-deps
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	$(Q)tar -c --exclude=./build --exclude=./.git -f - . | tar -x -C $(BUILD)/deb/src
	$(Q)cd $(BUILD)/deb/src && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
	  { tail -n 30 ../build.log; exit 1; }
	$(Q)rm -rf $(BUILD)/deb/src
	$(Q)ls $(BUILD)/deb/*.deb
