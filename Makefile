# erasectl — plain Makefile. `make` builds build/erasectl and build/fakecloud;
# `make check` runs every test; SANITIZE=address,undefined adds sanitizers.
# Missing Debian packages are installed by .ci/install-deps on first build.

CC      ?= cc
PREFIX  ?= /usr/local
VERSION := 0.1.0
BUILD   := build

# Where `make install` puts the job, the systemd units, the sysusers.d and
# tmpfiles.d entries and the bash completion (make deb: PREFIX=/usr). The
# installed service's ExecStart names $(LIBEXECDIR)/erasectl-nightly.
LIBEXECDIR     = $(PREFIX)/libexec/erasectl
SYSTEMDUNITDIR = $(PREFIX)/lib/systemd/system
SYSUSERSDIR    = $(PREFIX)/lib/sysusers.d
TMPFILESDIR    = $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR    = $(PREFIX)/share/bash-completion/completions

PKGS      := libcurl libcjson sqlite3 libcrypto
FAKE_PKGS := libmicrohttpd libcjson libcrypto

WARN := -std=c11 -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla \
	-Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings \
	-Wno-format-nonliteral
OPT  ?= -O2
BASE_CFLAGS = $(OPT) -g $(WARN) -D_GNU_SOURCE -DERASECTL_VERSION='"$(VERSION)"' \
	-Isrc -I$(BUILD)
BASE_LDFLAGS =

ifdef SANITIZE
BASE_CFLAGS  += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
BASE_LDFLAGS += -fsanitize=$(SANITIZE)
endif

# pkg-config is asked only once the dependencies are in place.
pc = $(shell pkg-config $(1) $(2) 2>/dev/null)
ALL_CFLAGS  = $(BASE_CFLAGS) $(call pc,--cflags,$(PKGS)) $(CFLAGS)
LIBS        = $(call pc,--libs,$(PKGS)) -lcsv -lm
FAKE_CFLAGS = $(BASE_CFLAGS) $(call pc,--cflags,$(FAKE_PKGS)) $(CFLAGS)
FAKE_LIBS   = $(call pc,--libs,$(FAKE_PKGS)) -lm -lpthread
TEST_LIBS   = $(call pc,--libs,cmocka)

SRCS      := $(sort $(wildcard src/*.c))
OBJS      := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS)) $(BUILD)/obj/sql_migrations.o
LIB_OBJS  := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
MIGRATIONS := $(sort $(wildcard sql/[0-9][0-9][0-9]_*.sql))
FAKE_SRCS := $(sort $(wildcard tests/fakecloud/*.c))
FAKE_OBJS := $(patsubst tests/fakecloud/%.c,$(BUILD)/fake/%.o,$(FAKE_SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

DEPS_STAMP := $(BUILD)/.deps-ok
FLAGS_FILE := $(BUILD)/.flags

.PHONY: all deps check check-unit check-integration check-valgrind install \
	uninstall clean demo bench fuzz
all: $(BUILD)/erasectl $(BUILD)/fakecloud

# Installs missing Debian packages once (you are root on a fresh machine).
$(DEPS_STAMP): .ci/install-deps
	@mkdir -p $(BUILD)
	@sh .ci/install-deps
	@touch $@
deps: $(DEPS_STAMP)

# Rebuild everything when compiler flags change (e.g. SANITIZE on/off).
$(FLAGS_FILE): FORCE | $(DEPS_STAMP)
	@mkdir -p $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS) $(BASE_LDFLAGS)' | cmp -s - $@ || \
		echo '$(CC) $(ALL_CFLAGS) $(BASE_LDFLAGS)' > $@
FORCE:

$(BUILD)/obj/%.o: src/%.c $(FLAGS_FILE) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/sql_migrations.c: $(MIGRATIONS) tests/embed-sql.sh
	@mkdir -p $(@D)
	sh tests/embed-sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/sql_migrations.o: $(BUILD)/sql_migrations.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/erasectl: $(OBJS)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(BUILD)/fake/%.o: tests/fakecloud/%.c $(FLAGS_FILE) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(FAKE_CFLAGS) -Itests/fakecloud -MMD -MP -c -o $@ $<

$(BUILD)/fakecloud: $(FAKE_OBJS)
	$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(FAKE_OBJS) $(FAKE_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $(call pc,--cflags,cmocka) \
		-o $@ $< $(LIB_OBJS) $(BASE_LDFLAGS) $(LDFLAGS) $(LIBS) $(TEST_LIBS)

# `make check` ends with "N passed, N failed" and fails on any failure or
# when nothing ran. TESTS=pattern runs a subset.
check: all $(UNIT_BINS)
	@sh tests/run.sh

check-unit: $(UNIT_BINS)
	@ONLY=unit sh tests/run.sh

check-integration: all
	@ONLY=integration sh tests/run.sh

# Integration tests with build/erasectl under valgrind memcheck.
check-valgrind: all $(UNIT_BINS)
	@VALGRIND=1 sh tests/run.sh

demo: all
	@sh tests/demo.sh

bench: all
	@sh bench/run.sh

fuzz:
	@sh tests/fuzz/run.sh

# bash completion, generated from the command table.
$(BUILD)/erasectl.bash: $(BUILD)/erasectl
	$(BUILD)/erasectl completion bash > $@.tmp || { rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

# jobs/erasectl-nightly.service runs /usr/local/bin/erasectl-nightly (the
# README's manual install); the installed copy runs $(LIBEXECDIR)'s, with
# this installation's erasectl rather than the first one in PATH.
NIGHTLY_EXEC = ExecStart=$(LIBEXECDIR)/erasectl-nightly --erasectl $(PREFIX)/bin/erasectl
install: $(BUILD)/erasectl $(BUILD)/erasectl.bash
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/erasectl $(DESTDIR)$(PREFIX)/bin/erasectl
	install -m 0644 erasectl.1 $(DESTDIR)$(PREFIX)/share/man/man1/erasectl.1
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 jobs/erasectl-nightly $(DESTDIR)$(LIBEXECDIR)/erasectl-nightly
	sed 's|^ExecStart=/usr/local/bin/erasectl-nightly$$|$(NIGHTLY_EXEC)|' \
		jobs/erasectl-nightly.service > $(DESTDIR)$(SYSTEMDUNITDIR)/erasectl-nightly.service
	@grep -qxF '$(NIGHTLY_EXEC)' $(DESTDIR)$(SYSTEMDUNITDIR)/erasectl-nightly.service || \
		{ echo 'install: jobs/erasectl-nightly.service has no ExecStart=/usr/local/bin/erasectl-nightly line to rewrite' >&2; exit 1; }
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/erasectl-nightly.service
	install -m 0644 jobs/erasectl-nightly.timer $(DESTDIR)$(SYSTEMDUNITDIR)/erasectl-nightly.timer
	install -m 0644 jobs/erasectl.sysusers $(DESTDIR)$(SYSUSERSDIR)/erasectl.conf
	install -m 0644 jobs/erasectl.tmpfiles $(DESTDIR)$(TMPFILESDIR)/erasectl.conf
	install -m 0644 $(BUILD)/erasectl.bash $(DESTDIR)$(BASHCOMPDIR)/erasectl

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/erasectl \
		$(DESTDIR)$(PREFIX)/share/man/man1/erasectl.1
	rm -f $(DESTDIR)$(LIBEXECDIR)/erasectl-nightly \
		$(DESTDIR)$(SYSTEMDUNITDIR)/erasectl-nightly.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/erasectl-nightly.timer \
		$(DESTDIR)$(SYSUSERSDIR)/erasectl.conf $(DESTDIR)$(TMPFILESDIR)/erasectl.conf \
		$(DESTDIR)$(BASHCOMPDIR)/erasectl
	rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null || true

# The Debian package build/erasectl_VERSION_ARCH.deb: `make install` into a
# staging tree with PREFIX=/usr, then jobs/deb/build-deb (needs dpkg-dev).
# Always built without sanitizers (a changed flag set rebuilds everything).
DEB_ARCH = $(shell dpkg --print-architecture)
DEB      = $(BUILD)/erasectl_$(VERSION)_$(DEB_ARCH).deb
ifneq ($(filter deb,$(MAKECMDGOALS)),)
ifdef SANITIZE
$(error make deb builds the package without sanitizers: run it without SANITIZE)
endif
endif
.PHONY: deb clean-deb
deb: $(BUILD)/erasectl $(BUILD)/erasectl.bash
	rm -rf $(BUILD)/deb
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(CURDIR)/$(BUILD)/deb/root
	sh jobs/deb/build-deb $(BUILD)/deb $(VERSION) $(DEB)

clean: clean-deb
clean-deb:
	rm -rf $(BUILD)/deb $(BUILD)/erasectl.bash $(BUILD)/erasectl_*.deb

clean:
	rm -rf $(BUILD)/obj $(BUILD)/fake $(BUILD)/tests $(BUILD)/erasectl \
		$(BUILD)/fakecloud $(BUILD)/sql_migrations.c $(FLAGS_FILE)

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/fake/*.d)
