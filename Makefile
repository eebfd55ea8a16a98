# SPDX-License-Identifier: MIT
# Builds the release executables (the Swift runtime linked in: Package.swift's release-only -static-stdlib)
# and installs them with the systemd unit, bash completion and man pages, under the directory variables
# wireguard-tools' Makefile uses. `make deb` packages the same files (packaging/mkdeb.sh).
#
#   make                       release build, checked to need no Swift library at run time
#   make install [DESTDIR=…] [PREFIX=/usr] [BINDIR=…] [SYSTEMDUNITDIR=…] [BASHCOMPDIR=…] [MANDIR=…]
#   make uninstall             the same variables
#   make deb                   wireguard-swift_VERSION_ARCH.deb here (replaces wireguard-tools, wireguard-go)

PREFIX ?= /usr
DESTDIR ?=
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null || echo "$(PREFIX)/lib/systemd/system")
SWIFT ?= swift
# Where the release executables are (swift build -c release's bin path for the default scratch path).
RELEASE_DIR ?= .build/release
# Where `make deb` writes the package, and its xz level (the test takes 1: a tenth larger, five times faster).
DEB_DIR ?= .
DEB_XZ_LEVEL ?= 6

# The single place the version lives: the daemon's `--version` (DaemonCommand.version).
VERSION := $(shell sed -n 's/^ *public static let version = "\(.*\)"$$/\1/p' Sources/WireGuardTools/Daemon/DaemonCommand.swift)
# The wireguard-tools release whose grammar and output `wg` and `wg-quick` reproduce (WGCommand.version).
TOOLS_VERSION := $(shell sed -n 's/^ *public static let version = "\(.*\)"$$/\1/p' Sources/WireGuardTools/WG/WGCommand.swift)

PROGRAMS := wireguard-swift wg wg-quick wg-server
MANPAGES := wireguard-swift.8 wg.8 wg-quick.8

all: build

build:
	$(SWIFT) build -c release
	@packaging/check-static.sh $(addprefix $(RELEASE_DIR)/,$(PROGRAMS))

install: build install-files

# The files alone, from an existing release build (what `make deb` stages).
install-files:
	install -v -d "$(DESTDIR)$(BINDIR)"
	install -v -m 0755 $(addprefix $(RELEASE_DIR)/,$(PROGRAMS)) "$(DESTDIR)$(BINDIR)/"
	install -v -d -m 0700 "$(DESTDIR)$(SYSCONFDIR)/wireguard"
	install -v -d "$(DESTDIR)$(SYSTEMDUNITDIR)"
	sed 's|@BINDIR@|$(BINDIR)|g' packaging/systemd/wg-quick@.service.in >"$(DESTDIR)$(SYSTEMDUNITDIR)/wg-quick@.service"
	chmod 0644 "$(DESTDIR)$(SYSTEMDUNITDIR)/wg-quick@.service"
	install -v -m 0644 packaging/systemd/wg-quick.target "$(DESTDIR)$(SYSTEMDUNITDIR)/wg-quick.target"
	install -v -d "$(DESTDIR)$(BASHCOMPDIR)"
	install -v -m 0644 packaging/completion/wg.bash "$(DESTDIR)$(BASHCOMPDIR)/wg"
	install -v -m 0644 packaging/completion/wg-quick.bash "$(DESTDIR)$(BASHCOMPDIR)/wg-quick"
	install -v -d "$(DESTDIR)$(MANDIR)/man8"
	install -v -m 0644 $(addprefix packaging/man/,$(MANPAGES)) "$(DESTDIR)$(MANDIR)/man8/"

# /etc/wireguard stays: it holds keys.
uninstall:
	rm -f $(addprefix "$(DESTDIR)$(BINDIR)/,$(addsuffix ",$(PROGRAMS)))
	rm -f "$(DESTDIR)$(SYSTEMDUNITDIR)/wg-quick@.service" "$(DESTDIR)$(SYSTEMDUNITDIR)/wg-quick.target"
	rm -f "$(DESTDIR)$(BASHCOMPDIR)/wg" "$(DESTDIR)$(BASHCOMPDIR)/wg-quick"
	rm -f $(addprefix "$(DESTDIR)$(MANDIR)/man8/,$(addsuffix ",$(MANPAGES)))

deb: build
	packaging/mkdeb.sh "$(VERSION)" "$(TOOLS_VERSION)" "$(RELEASE_DIR)" "$(DEB_DIR)" "$(DEB_XZ_LEVEL)"

version:
	@echo $(VERSION)

.PHONY: all build install install-files uninstall deb version
