# hanzepost — plain Makefile over pkg-config.
#
#   make            build ./hanzepost
#   make deps       install the Debian packages the build and tests need
#   make check      deps + build + unit tests (ASan+UBSan) + lint + fuzz +
#                   integration tests + valgrind, then one summary line per suite
#   make valgrind   a short integration scenario with hanzepost under valgrind
#   make demo       deps + build + a local mail stack + the main job on sample data
#   make bench      newsletter delivery speed and memory (bench/results/latest.json)
#   make install    PREFIX=/usr/local DESTDIR= (also BINDIR DATADIR MANDIR UNITDIR)
#   make uninstall  the same variables; leaves /etc/hanzepost and the state alone
#   make man-lint   the man pages render without a warning (mandoc, man-db)
#   make unit-check systemd-analyze verify + the security score of the unit
#   make sandbox-check  the installed unit under systemd in a container (root)

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/hanzepost
SYSCONFDIR ?= /etc
MANDIR    ?= $(PREFIX)/share/man
UNITDIR   ?= $(PREFIX)/lib/systemd/system
VERSION   := 0.1.0

CC        ?= cc
PKGS      := libetpan libcurl libical sqlite3 inih libcmark gnutls libxml-2.0 jansson libpsl libsystemd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libetpan's .pc leaks Debian's -specs=no-pie-link.specs (notes/libraries.md #4):
# it would make the binary non-PIE and fails where libdpkg-perl is missing.
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null | sed 's/-specs=[^ ]*//g')

WARN      := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter
DEFS      := -D_GNU_SOURCE -DHP_VERSION='"$(VERSION)"' -DHP_DATADIR='"$(DATADIR)"' \
             -DHP_SYSCONFDIR='"$(SYSCONFDIR)"'
CFLAGS    ?= -O2 -g
ALL_CFLAGS = $(WARN) $(DEFS) -fPIE -MMD -MP $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS   ?=
ALL_LDFLAGS = -pie $(LDFLAGS)

SRCS      := $(wildcard daemon/*.c)
OBJS      := $(SRCS:daemon/%.c=build/rel/%.o)
LIBOBJS   := $(filter-out build/rel/main.o,$(OBJS))

SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_OBJS := $(SRCS:daemon/%.c=build/asan/%.o)
ASAN_LIBOBJS := $(filter-out build/asan/main.o,$(ASAN_OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%)

FUZZ_SECONDS ?= 10
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_OBJS := $(filter-out build/fuzz/obj/main.o,$(SRCS:daemon/%.c=build/fuzz/obj/%.o))
FUZZ_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -g -O1

.PHONY: all deps check unit integration demo install uninstall man-lint unit-check sandbox-check \
	clean lint fuzz asan bench valgrind
all: hanzepost

hanzepost: $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

# Objects that embed install paths are rebuilt when PREFIX/DATADIR/SYSCONFDIR
# change, so `make install PREFIX=/usr` never ships a binary looking elsewhere.
PATHS_STAMP := build/paths.$(shell echo '$(DATADIR):$(SYSCONFDIR)' | md5sum | cut -c1-8)
$(PATHS_STAMP):
	@mkdir -p $(@D); rm -f build/paths.*; touch $@
build/rel/templates.o build/rel/config.o build/rel/config_keys.o \
build/asan/templates.o build/asan/config.o build/asan/config_keys.o: $(PATHS_STAMP)

build/rel/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The same program with AddressSanitizer + UBSan, used by every test.
asan: build/asan/hanzepost
build/asan/hanzepost: $(ASAN_OBJS)
	$(CC) $(ALL_LDFLAGS) $(SAN) -o $@ $(ASAN_OBJS) $(PKG_LIBS)

build/asan/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -c -o $@ $<

build/asan/tests/%: tests/unit/%.c $(ASAN_LIBOBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -iquote daemon $(ALL_LDFLAGS) -o $@ $< $(ASAN_LIBOBJS) \
	    $(PKG_LIBS) $(shell pkg-config --libs cmocka)

deps:
	@sh tests/deps.sh

unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

integration: build/asan/hanzepost hanzepost
	@sh tests/run-integration.sh

# Every suite runs even when an earlier one failed; tests/summary.sh
# prints one closing line per suite and fails the target if any failed.
check: deps
	$(MAKE) hanzepost build/asan/hanzepost
	@rm -f build/summary.txt
	@sh tests/summary.sh run unit $(MAKE) --no-print-directory unit
	@sh tests/summary.sh run lint $(MAKE) --no-print-directory lint
	@sh tests/summary.sh run service-files sh tests/service-files.sh
	@sh tests/summary.sh run fuzz $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	@sh tests/summary.sh run integration $(MAKE) --no-print-directory integration
	@sh tests/summary.sh run valgrind $(MAKE) --no-print-directory valgrind
	@sh tests/summary.sh report

# A short integration scenario (tests/run-valgrind.sh: ~1.5 min) with the
# release build under valgrind memcheck: no errors, no definite leaks.
valgrind: hanzepost
	@sh tests/run-valgrind.sh

# libFuzzer targets (clang) over every reader of outside input; each runs
# FUZZ_SECONDS on a scratch corpus seeded from tests/fuzz/corpus/NAME.
.SECONDARY: $(FUZZ_OBJS)
fuzz: $(FUZZ_BINS)
	@sh tests/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

build/fuzz/obj/%.o: daemon/%.c
	@mkdir -p $(@D)
	clang $(WARN) $(DEFS) -fPIE $(PKG_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(@D)
	clang $(DEFS) -iquote daemon $(PKG_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_OBJS) $(PKG_LIBS)

demo: deps
	$(MAKE) hanzepost
	@sh tests/demo.sh

# Newsletter delivery (messages/s beside Postfix's smtp-source), peak RSS
# for 10,000 vs 100,000 recipients, ingest beside mbsync, reply latency,
# idle CPU, binary size, scale; writes bench/results/latest.json.
bench: deps
	$(MAKE) hanzepost
	@sh bench/run.sh

# Our global symbols must not collide with a linked library's exports
# (a global charconv() of ours silently breaks libetpan, ARCHITECTURE.md).
lint: hanzepost
	@sh tests/lint-symbols.sh hanzepost
	@for f in $(SRCS); do clang $(WARN) $(DEFS) $(PKG_CFLAGS) -fsyntax-only $$f || exit 1; done
	@echo "lint clang: ok ($(words $(SRCS)) files warning-free)"

# The unit and the man pages name the installed paths: the source files say
# /usr/local/bin, /usr/local/share/hanzepost, /usr/local/lib/systemd/system
# and /etc, rewritten here.  The configuration itself is the admin's (only
# the example is installed); credentials/ is made root-only for the passwords.
INSTALL_SED = sed -e 's|/usr/local/bin/hanzepost|$(BINDIR)/hanzepost|g' \
	-e 's|/usr/local/share/hanzepost|$(DATADIR)|g' \
	-e 's|/usr/local/lib/systemd/system|$(UNITDIR)|g' \
	-e 's|/etc/hanzepost|$(SYSCONFDIR)/hanzepost|g'

install: hanzepost
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates/nl \
	    $(DESTDIR)$(DATADIR)/templates/en $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(SYSCONFDIR)/hanzepost
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/hanzepost/credentials
	install -m 0755 hanzepost $(DESTDIR)$(BINDIR)/hanzepost
	install -m 0644 templates/nl/* $(DESTDIR)$(DATADIR)/templates/nl/
	install -m 0644 templates/en/* $(DESTDIR)$(DATADIR)/templates/en/
	install -m 0644 config/hanzepost.conf $(DESTDIR)$(DATADIR)/hanzepost.conf.example
	$(INSTALL_SED) systemd/hanzepost.service >$(DESTDIR)$(UNITDIR)/hanzepost.service
	$(INSTALL_SED) man/hanzepost.8 >$(DESTDIR)$(MANDIR)/man8/hanzepost.8
	$(INSTALL_SED) man/hanzepost.conf.5 >$(DESTDIR)$(MANDIR)/man5/hanzepost.conf.5
	chmod 0644 $(DESTDIR)$(UNITDIR)/hanzepost.service \
	    $(DESTDIR)$(MANDIR)/man8/hanzepost.8 $(DESTDIR)$(MANDIR)/man5/hanzepost.conf.5

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hanzepost $(DESTDIR)$(UNITDIR)/hanzepost.service \
	    $(DESTDIR)$(MANDIR)/man8/hanzepost.8 $(DESTDIR)$(MANDIR)/man5/hanzepost.conf.5
	rm -rf $(DESTDIR)$(DATADIR)

man-lint:
	@sh tests/service-files.sh man-lint

# Verified against a scratch DESTDIR install (default paths, under /tmp,
# removed afterwards), whose ExecStart= is the binary just built.
unit-check: hanzepost
	@sh tests/service-files.sh unit-check

# The installed unit under a real systemd 252 in a systemd-nspawn container
# (root; not part of check: it needs a host that can boot a container).
sandbox-check: hanzepost
	@command -v systemd-nspawn >/dev/null || \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q systemd-container >/dev/null
	@sh tests/service-sandbox.sh

clean:
	rm -rf build hanzepost

-include $(OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(UNIT_BINS:=.d)
