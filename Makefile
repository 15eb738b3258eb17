# Capacitor - a transparent result cache for libpq and libmysqlclient programs.
# `make` builds build/libcapacitor.so and build/capacitor; `make help` lists every target.

CC       ?= gcc
CLANG    ?= clang
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?= 0
ALLOCFAIL ?= 0
V        ?= 0

ifeq ($(SANITIZE),1)
BUILD    := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD    := build
SANFLAGS :=
endif

# The allocation-failure test build (`make allocfail`): the same library, in BUILD/allocfail,
# with every allocation of ours counted and failable (tests/allocfail/allocfail.h says how).
ifeq ($(ALLOCFAIL),1)
BUILD    := $(BUILD)/allocfail
AFFLAGS  := -DCAP_ALLOC_TEST -include tests/allocfail/allocfail.h
else
AFFLAGS  :=
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wpointer-arith -Wvla -Wmissing-prototypes
CFLAGS   ?= -O2 -g
BASEFLAGS = -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -pthread -I. $(WARNINGS) $(SANFLAGS) $(AFFLAGS)
PGINC    := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
CLIENTINC = -I$(PGINC) -I/usr/include/mariadb

# cache/ knows no client library; hooks/, tests and benchmarks do.
CORE_SRCS  := $(sort $(wildcard cache/*.c)) preload/config.c
LIB_SRCS   := $(CORE_SRCS) $(sort $(filter-out preload/config.c,$(wildcard preload/*.c)) $(wildcard hooks/*.c))
ifeq ($(ALLOCFAIL),1)
LIB_SRCS   += tests/allocfail/allocfail.c
endif
TOOL_SRCS  := $(sort $(wildcard tools/*.c))
UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
CLIENT_SRCS := $(sort $(wildcard tests/clients/*.c))
BENCH_SRCS := $(sort $(wildcard bench/bench_*.c))
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
CORE_OBJS := $(call obj,$(CORE_SRCS))
LIB_OBJS  := $(call obj,$(LIB_SRCS))
TOOL_OBJS := $(call obj,$(TOOL_SRCS))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
CLIENT_BINS := $(patsubst tests/clients/%.c,$(BUILD)/clients/%,$(CLIENT_SRCS))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

LIB  := $(BUILD)/libcapacitor.so
TOOL := $(BUILD)/capacitor
CORE := $(BUILD)/libcapcore.a
EXPORTS := $(sort $(wildcard hooks/*.exports preload/*.exports))

.PHONY: all test unit integration fuzz tsan bench bench-check demo deps install uninstall clean help check-exports test-drivers \
	clients soak allocfail
all: $(LIB) $(TOOL)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASEFLAGS) $(if $(filter hooks/% tests/% bench/% tools/%,$<),$(CLIENTINC)) $(CFLAGS) -MMD -MP -c $< -o $@

# A sanitizer runtime preloaded before us calls our dlsym while it initialises, before its
# shadow memory exists: that module is never instrumented (preload/dlsym.c says why).
$(BUILD)/obj/preload/dlsym.o: SANFLAGS =

# The version script exports exactly the interposed functions each hook lists.
$(BUILD)/exports.map: $(EXPORTS)
	@mkdir -p $(dir $@)
	$(Q){ echo '{ global:'; cat $(EXPORTS) | sed -e 's/#.*//' -e '/^[[:space:]]*$$/d' -e 's/.*/  &;/'; \
	  echo 'local: *; };'; } > $@

$(LIB): $(LIB_OBJS) $(BUILD)/exports.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -o $@ $(LIB_OBJS) $(SANFLAGS) -pthread -ldl \
	  -Wl,--version-script=$(BUILD)/exports.map -Wl,--no-undefined -Wl,-z,relro -Wl,-z,now

$(CORE): $(CORE_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

# The tool (not the library) links the client libraries: `capacitor follow` reads change streams.
$(TOOL): $(TOOL_OBJS) $(CORE)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $(TOOL_OBJS) $(CORE) $(SANFLAGS) -pthread -ldl -lm -lpq -lmariadb

$(BUILD)/tests/%: tests/unit/%.c $(CORE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BASEFLAGS) $(CLIENTINC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(CORE) -lcriterion -ldl -lm

# The policy tables drive the session policy itself (no client library): its four files.
POLICY_SRCS := hooks/session.c hooks/session_txn.c hooks/session_plan.c hooks/session_my.c
$(BUILD)/tests/test_policy: tests/unit/test_policy.c $(call obj,$(POLICY_SRCS)) $(CORE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(call obj,$(POLICY_SRCS)) $(CORE) -lcriterion -ldl -lm

# The relation graph both catalogs share, without a server.
$(BUILD)/tests/test_relgraph: tests/unit/test_relgraph.c $(call obj,hooks/relgraph.c) $(CORE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(call obj,hooks/relgraph.c) $(CORE) -lcriterion -ldl -lm

# The query driver with a port of the test's own (no client library).
$(BUILD)/tests/test_exec: tests/unit/test_exec.c $(call obj,hooks/exec.c $(POLICY_SRCS)) $(CORE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(call obj,hooks/exec.c $(POLICY_SRCS)) $(CORE) -lcriterion -ldl -lm

# test_waits builds the interposed waits into itself.
$(BUILD)/tests/test_waits: preload/waits.c preload/waits.h
# test_connwatch builds the connection watcher into itself.
$(BUILD)/tests/test_connwatch: hooks/connwatch.c hooks/connwatch.h cache/fork.h

# Small client programs the integration tests drive: pq_* link libpq, my_* libmysqlclient.
$(BUILD)/clients/pq_%: tests/clients/pq_%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CLIENTINC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< -lpq
$(BUILD)/clients/my_%: tests/clients/my_%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CLIENTINC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< -lmysqlclient
$(BUILD)/clients/pq_privdrop $(BUILD)/clients/my_privdrop: tests/clients/privdrop.h
# dl_* are linked with no client library: they dlopen it and take its functions with dlsym.
# dl_static exports its own PQexec, as a program with libpq linked in statically may.
$(BUILD)/clients/dl_static: DL_LDFLAGS = -rdynamic
$(BUILD)/clients/dl_%: tests/clients/dl_%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CLIENTINC) $(CFLAGS) -Wno-missing-prototypes $(DL_LDFLAGS) -o $@ $< -ldl

# Benchmarks link the core statically; bench_pq* also link libpq, bench_my Connector/C.
PQ_BENCH := $(BUILD)/bench/bench_pq $(BUILD)/bench/bench_pq_scale
MY_BENCH := $(BUILD)/bench/bench_my
$(PQ_BENCH): $(BUILD)/bench/%: bench/%.c bench/harness.c bench/harness.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CLIENTINC) -O2 -g -Wno-missing-prototypes -o $@ $< bench/harness.c -lpq -ldl -lm
$(MY_BENCH): $(BUILD)/bench/%: bench/%.c bench/harness.c bench/harness.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) $(CLIENTINC) -O2 -g -Wno-missing-prototypes -o $@ $< bench/harness.c -lmysqlclient -ldl -lm
$(BUILD)/bench/%: bench/%.c bench/harness.c bench/harness.h $(CORE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASEFLAGS) -O2 -g -Wno-missing-prototypes -o $@ $< bench/harness.c $(CORE) -ldl -lm

# libFuzzer targets: always clang with ASan+UBSan, outside the SANITIZE switch; undefined
# behaviour stops the run like a crash (a report alone would scroll by). A target that needs a
# client library's decoder names the hook sources and the library it links with.
FUZZ_CORE_SRCS := $(CORE_SRCS)
FUZZ_EXTRA :=
FUZZ_LIBS :=
build/fuzz/fuzz_pq_codec: FUZZ_EXTRA := hooks/pq_codec.c
build/fuzz/fuzz_pq_codec: FUZZ_LIBS := -lpq
build/fuzz/fuzz_pq_codec: hooks/pq_codec.c hooks/pq_codec.h hooks/pq_real.h
build/fuzz/fuzz_my_codec: FUZZ_EXTRA := hooks/mysql_codec.c
build/fuzz/fuzz_my_codec: FUZZ_LIBS := -lmariadb
build/fuzz/fuzz_my_codec: hooks/mysql_codec.c hooks/mysql_codec.h
build/fuzz/fuzz_stats: tools/cmd_stats.c tools/cmd.h
build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_dir.h $(FUZZ_CORE_SRCS) $(wildcard cache/*.h preload/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) -std=gnu11 -D_GNU_SOURCE -I. $(CLIENTINC) -g -O1 \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -o $@ $< $(FUZZ_CORE_SRCS) $(FUZZ_EXTRA) \
	  -pthread $(FUZZ_LIBS) -ldl -lm

clients: $(CLIENT_BINS)

# BUILD/allocfail/libcapacitor.so, for tests/integration/t_alloc_fail.sh and soak_alloc_fail.sh.
allocfail:
	$(Q)$(MAKE) --no-print-directory ALLOCFAIL=1 $(BUILD)/allocfail/libcapacitor.so

deps:
	$(Q)./tools/install-deps

check-exports: $(LIB)
	$(Q)./tests/check-exports.sh $(LIB) $(EXPORTS)

unit: $(UNIT_BINS)
	$(Q)./tests/run-unit.sh $(UNIT_BINS)

# The threaded engine tests again under ThreadSanitizer (objects in build/tsan).
tsan:
	$(Q)./tests/run-tsan.sh

# Bounded in make test (7 s a target, under a minute for all); make soak gives each a minute.
fuzz: $(FUZZ_BINS)
	$(Q)CAP_FUZZ_SECONDS=$(or $(CAP_FUZZ_SECONDS),7) ./tests/run-fuzz.sh $(FUZZ_BINS)

integration: all $(CLIENT_BINS) allocfail
	$(Q)CAP_BUILD=$(abspath $(BUILD)) SANITIZE=$(SANITIZE) ./tests/integration/run.sh

# Each language driver's own test suite without Capacitor, cold and warm: every test's outcome
# must be the same (tests/drivers/run.sh; DRIVERS="dbd-pg psycopg2" picks some). make test runs
# only the suites whose three runs take under a minute (TEST_DRIVERS); tests/README.md says
# what each takes.
TEST_DRIVERS = mysqldb mysql2
test-drivers: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)CAP_BUILD=$(abspath $(BUILD)) ./tests/drivers/run.sh $(DRIVERS)

# The one command a new user needs: dependencies, build, every test.
test: deps
	$(Q)$(MAKE) --no-print-directory all check-exports
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(if $(filter 1,$(SANITIZE)),true,$(MAKE) --no-print-directory fuzz tsan)
	$(Q)$(MAKE) --no-print-directory integration
	$(Q)$(if $(filter 1,$(SANITIZE)),true,CAP_BUILD=$(abspath $(BUILD)) ./tests/drivers/run.sh $(TEST_DRIVERS))

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)CAP_BUILD=$(abspath $(BUILD)) ./tools/demo.sh

# Capacitor against direct connections, pgpool-II's and MariaDB's query caches and the
# PQcopyResult floor (bench/run.sh says what and how; BENCH_* variables shorten it).
bench: deps
	$(Q)$(MAKE) --no-print-directory all clients $(BENCH_BINS)
	$(Q)CAP_BUILD=$(abspath $(BUILD)) ./bench/run.sh

# A short run whose ratios are compared with bench/baseline.json: non-zero exit when one
# regressed by more than 20%. Not part of make test (timings never are).
bench-check: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)CAP_BUILD=$(abspath $(BUILD)) ./bench/check.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/doc/capacitor
	install -m 0755 $(LIB) $(DESTDIR)$(PREFIX)/lib/libcapacitor.so
	install -m 0755 $(TOOL) $(DESTDIR)$(PREFIX)/bin/capacitor
	install -m 0644 tools/capacitor.1 $(DESTDIR)$(PREFIX)/share/man/man1/capacitor.1
	install -m 0644 conf/capacitor.env conf/rules.example conf/capacitor-follow.service \
	  $(DESTDIR)$(PREFIX)/share/doc/capacitor/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libcapacitor.so $(DESTDIR)$(PREFIX)/bin/capacitor \
	  $(DESTDIR)$(PREFIX)/share/man/man1/capacitor.1
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/capacitor

clean:
	rm -rf build

help:
	@echo 'make              build build/libcapacitor.so and build/capacitor'
	@echo 'make test         install missing Debian packages, build, run unit, fuzz and integration tests'
	@echo 'make test SANITIZE=1   the same with ASan+UBSan (objects in build/san)'
	@echo 'make demo         pgbench -S without and with Capacitor on a throwaway PostgreSQL'
	@echo 'make bench        Capacitor vs direct, pgpool-II, MariaDB query cache: table, JSON, charts'
	@echo 'make bench-check  a short bench compared with bench/baseline.json (fails on a >20% regression)'
	@echo 'make test-drivers  each language driver'"'"'s own test suite without and with Capacitor (DRIVERS=...)'
	@echo 'make soak         long multi-process stress runs and a minute of each fuzz target (not part of make test)'
	@echo 'make install      PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)'
	@echo 'make allocfail    build/allocfail/libcapacitor.so: every allocation counted, the Nth made to fail'
	@echo 'make uninstall | clean | check-exports | unit | fuzz | tsan | integration | deps'
	@echo 'V=1 shows full command lines'

# The long forms (tests/integration/soak_*.sh), each bounded by its own time budget, and every
# fuzz target for a minute.
soak: all $(CLIENT_BINS) $(FUZZ_BINS) allocfail
	$(Q)CAP_FUZZ_SECONDS=$(or $(CAP_FUZZ_SECONDS),60) ./tests/run-fuzz.sh $(FUZZ_BINS)
	$(Q)CAP_BUILD=$(abspath $(BUILD)) CAP_SOAK=1 CAP_TEST_TIMEOUT=900 ./tests/integration/run.sh soak_

-include $(LIB_OBJS:.o=.d) $(TOOL_OBJS:.o=.d)
