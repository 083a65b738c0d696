# hanzepost — plain Makefile over pkg-config.
#
#   make            build ./hanzepost
#   make deps       install the Debian packages the build and tests need
#   make check      deps + build + unit tests (ASan+UBSan) + integration tests
#   make demo       deps + build + a local mail stack + the main job on sample data
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/hanzepost
SYSCONFDIR ?= /etc
VERSION   := 0.1.0

CC        ?= cc
PKGS      := libetpan libcurl libical sqlite3 inih libcmark gnutls libxml-2.0 jansson
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

.PHONY: all deps check unit integration demo install clean lint asan mailstack-up mailstack-down
all: hanzepost

hanzepost: $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

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
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Idaemon $(ALL_LDFLAGS) -o $@ $< $(ASAN_LIBOBJS) \
	    $(PKG_LIBS) $(shell pkg-config --libs cmocka)

deps:
	@sh tests/deps.sh

unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

integration: build/asan/hanzepost hanzepost
	@sh tests/run-integration.sh

check: deps
	$(MAKE) hanzepost build/asan/hanzepost
	$(MAKE) unit
	$(MAKE) lint
	$(MAKE) integration

demo: deps
	$(MAKE) hanzepost
	@sh tests/demo.sh

# Our global symbols must not collide with a linked library's exports
# (a global charconv() of ours silently breaks libetpan, ARCHITECTURE.md).
lint: hanzepost
	@sh tests/lint-symbols.sh hanzepost

install: hanzepost
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates/nl \
	    $(DESTDIR)$(DATADIR)/templates/en $(DESTDIR)$(SYSCONFDIR)/hanzepost
	install -m 0755 hanzepost $(DESTDIR)$(BINDIR)/hanzepost
	install -m 0644 templates/nl/* $(DESTDIR)$(DATADIR)/templates/nl/
	install -m 0644 templates/en/* $(DESTDIR)$(DATADIR)/templates/en/
	install -m 0644 config/hanzepost.conf $(DESTDIR)$(DATADIR)/hanzepost.conf.example

clean:
	rm -rf build hanzepost

-include $(OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(UNIT_BINS:=.d)
