# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) against the src objects
# compiled with clang and sanitizers into build/fuzz/. Driven by run.sh;
# kept apart from the main Makefile so a fuzz build never replaces build/obj.
FUZZ_CC ?= clang
B := build/fuzz
PKGS := libcurl libcjson sqlite3 libcrypto
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS := -O1 -g -std=c11 -Wall -Wextra -D_GNU_SOURCE -DERASECTL_VERSION='"fuzz"' \
	-Isrc -I$(B) $(shell pkg-config --cflags $(PKGS)) $(SAN)
LIBS := $(shell pkg-config --libs $(PKGS)) -lcsv -lm

SRCS := $(filter-out src/main.c,$(sort $(wildcard src/*.c)))
OBJS := $(patsubst src/%.c,$(B)/obj/%.o,$(SRCS)) $(B)/obj/sql_migrations.o
TARGETS := $(patsubst tests/fuzz/%.c,$(B)/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))

all: $(TARGETS)

$(B)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(B)/sql_migrations.c: $(sort $(wildcard sql/[0-9][0-9][0-9]_*.sql)) tests/embed-sql.sh
	@mkdir -p $(@D)
	sh tests/embed-sql.sh $(sort $(wildcard sql/[0-9][0-9][0-9]_*.sql)) > $@.tmp && mv $@.tmp $@

$(B)/obj/sql_migrations.o: $(B)/sql_migrations.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS) -c -o $@ $<

# An archive, so each target pulls in only the modules it uses.
$(B)/libsrc.a: $(OBJS)
	rm -f $@
	ar rcs $@ $(OBJS)

$(B)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(B)/libsrc.a
	$(FUZZ_CC) $(CFLAGS) -Werror -fsanitize=fuzzer -o $@ $< $(B)/libsrc.a $(LIBS)

-include $(wildcard $(B)/obj/*.d)
