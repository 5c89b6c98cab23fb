# retryd — build, test, demo, benchmark.
#
#   make              build/retryd, build/retryctl, build/plugins/*.so
#   make check        install what is missing, check the format, build under
#                     ASan+UBSan, run every test
#   make demo         install what is missing, build, play a loopback incident
#   make bench        benchmarks (figures, no pass/fail)
#   make fuzz         libFuzzer targets (clang), FUZZ_SECONDS each
#   make format       clang-format every C file in place; format-check only checks
#
# One module = one folder = one static archive. Each folder's module.mk lists
# its sources, one per line; programs, plugins and tests link archives, so a
# test names no sources. Unit tests (tests/unit/test_*.c), test tools
# (tests/tools/*.c), benchmarks (tests/bench/bench_*.c) and fuzz targets
# (tests/fuzz/fuzz_*.c) are found by name.

CC      ?= cc
PKGS    := getdns inih jansson libpcre2-8 libpq
WARN    := -Wall -Wextra -Werror -Wformat=2 -Wvla -Wshadow -Wno-unused-parameter
BASEFLAGS := -std=gnu11 -D_GNU_SOURCE -g -fPIC -fstack-protector-strong -MMD -MP $(WARN) \
	     -Iretryd -I. $(shell pkg-config --cflags $(PKGS) libsystemd 2>/dev/null)
OPTFLAGS  := -O2 -D_FORTIFY_SOURCE=2
SANFLAGS  := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -DRETRYD_TEST_FAULTS \
	     -fno-sanitize-recover=undefined
LIBS      := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldb -ldl
# the plugins read the systemd journal, and so does retryd --preflight
# (and what links their archives: tests, benches, fuzzers)
PLUGIN_PKGS := libsystemd
PLUGIN_LIBS := $(shell pkg-config --libs $(PLUGIN_PKGS) 2>/dev/null)
TESTLIBS  := -lcmocka
LDFLAGS   ?= -Wl,-z,relro,-z,now

B  := build
BA := build/asan
BF := build/fuzz

# ---- modules: retryd/<module>/module.mk defines <module>_SRCS ----
# Listed from the top of the stack down (callers before what they call).
MODULES := daemon ctl status fleet pass priv report export suppress classify backoff dns store policy util
include $(foreach m,$(MODULES),retryd/$(m)/module.mk)
include plugins/module.mk

RETRYD_MAIN   := retryd/daemon/main.c
RETRYCTL_MAIN := retryd/ctl/retryctl.c

# test support objects shared by unit tests and benchmarks
testsupport_SRCS := $(filter-out tests/unit/test_%.c,$(wildcard tests/unit/*.c))

UNIT_TESTS := $(sort $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c)))
TEST_TOOLS := $(sort $(patsubst tests/tools/%.c,%,$(wildcard tests/tools/*.c)))
BENCHES    := $(sort $(patsubst tests/bench/%.c,%,$(wildcard tests/bench/bench_*.c)))
FUZZERS    := $(sort $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))

ALL_SRCS := $(foreach m,$(MODULES) $(PLUGINS),$($(m)_SRCS)) $(RETRYD_MAIN) $(RETRYCTL_MAIN)

# inih has no run-time version call: --version shows the one built against
VERSION_CFLAGS := -DRETRYD_INIH_VERSION='"$(shell pkg-config --modversion inih 2>/dev/null)"'
$(B)/obj/retryd/util/version.o $(BA)/obj/retryd/util/version.o: CFLAGS += $(VERSION_CFLAGS)

# ---------------------------------------------------------------------------
obj  = $(patsubst %.c,$(B)/obj/%.o,$(1))
aobj = $(patsubst %.c,$(BA)/obj/%.o,$(1))
fobj = $(patsubst %.c,$(BF)/obj/%.o,$(1))

# archives of one build flavour ($(1): build dir), in link order
archives = $(foreach m,$(MODULES),$(1)/lib/lib$(m).a)
plugin_archives = $(foreach p,$(PLUGINS),$(1)/lib/lib$(p).a)
# every archive in one group: a test or tool names no sources
link_all = -Wl,--start-group $(call archives,$(1)) $(call plugin_archives,$(1)) -Wl,--end-group

all: $(B)/retryd $(B)/retryctl $(foreach p,$(PLUGINS),$(B)/plugins/$(p).so)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(OPTFLAGS) $(CFLAGS) -c -o $@ $<

$(BA)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(SANFLAGS) $(CFLAGS) -c -o $@ $<

# lib<module>.a in each flavour
define archive_rules
$(B)/lib/lib$(1).a: $$(call obj,$$($(1)_SRCS))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && $$(AR) rcs $$@ $$^
$(BA)/lib/lib$(1).a: $$(call aobj,$$($(1)_SRCS))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && $$(AR) rcs $$@ $$^
endef
$(foreach m,$(MODULES) $(PLUGINS) testsupport,$(eval $(call archive_rules,$(m))))

$(B)/retryd: $(call obj,$(RETRYD_MAIN)) $(call archives,$(B)) $(call plugin_archives,$(B))
	$(CC) -rdynamic -o $@ $< $(call link_all,$(B)) $(PLUGIN_LIBS) $(LIBS) $(LDFLAGS)
$(B)/retryctl: $(call obj,$(RETRYCTL_MAIN)) $(call archives,$(B)) $(call plugin_archives,$(B))
	$(CC) -rdynamic -o $@ $< $(call link_all,$(B)) $(PLUGIN_LIBS) $(LIBS) $(LDFLAGS)
$(BA)/retryd: $(call aobj,$(RETRYD_MAIN)) $(call archives,$(BA)) $(call plugin_archives,$(BA))
	$(CC) $(SANFLAGS) -rdynamic -o $@ $< $(call link_all,$(BA)) $(PLUGIN_LIBS) $(LIBS) $(LDFLAGS)
$(BA)/retryctl: $(call aobj,$(RETRYCTL_MAIN)) $(call archives,$(BA)) $(call plugin_archives,$(BA))
	$(CC) $(SANFLAGS) -rdynamic -o $@ $< $(call link_all,$(BA)) $(PLUGIN_LIBS) $(LIBS) $(LDFLAGS)

# a plugin: its whole archive, plus what it calls in util
define plugin_rules
$(B)/plugins/$(1).so: $(B)/lib/lib$(1).a $(B)/lib/libutil.a
	@mkdir -p $$(dir $$@)
	$$(CC) -shared -o $$@ -Wl,--whole-archive $$< -Wl,--no-whole-archive \
		$(B)/lib/libutil.a $$(PLUGIN_LIBS) $$(LIBS) $$(LDFLAGS)
$(BA)/plugins/$(1).so: $(BA)/lib/lib$(1).a $(BA)/lib/libutil.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SANFLAGS) -shared -o $$@ -Wl,--whole-archive $$< -Wl,--no-whole-archive \
		$(BA)/lib/libutil.a $$(PLUGIN_LIBS) $$(LIBS) $$(LDFLAGS)
endef
$(foreach p,$(PLUGINS),$(eval $(call plugin_rules,$(p))))

ALL_ARCHIVES_A := $(call archives,$(BA)) $(call plugin_archives,$(BA)) $(BA)/lib/libtestsupport.a
ALL_ARCHIVES   := $(call archives,$(B)) $(call plugin_archives,$(B)) $(B)/lib/libtestsupport.a

# unit tests and test tools: ASan build, one source each, every archive
define unit_rules
$(BA)/tests/$(1): $(BA)/obj/tests/$(2)/$(1).o $(ALL_ARCHIVES_A)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SANFLAGS) -rdynamic -o $$@ $$< -Wl,--start-group $(ALL_ARCHIVES_A) -Wl,--end-group \
		$$(PLUGIN_LIBS) $$(LIBS) $$(TESTLIBS) $$(LDFLAGS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rules,$(t),unit)))
$(foreach t,$(TEST_TOOLS),$(eval $(call unit_rules,$(t),tools)))

# benchmarks: optimised build (the shared fake MTA calls cmocka's asserts)
define bench_rules
$(B)/bench/$(1): $(B)/obj/tests/bench/$(1).o $(ALL_ARCHIVES)
	@mkdir -p $$(dir $$@)
	$$(CC) -rdynamic -o $$@ $$< -Wl,--start-group $(ALL_ARCHIVES) -Wl,--end-group \
		$$(PLUGIN_LIBS) $$(LIBS) $$(TESTLIBS) $$(LDFLAGS)
endef
$(foreach t,$(BENCHES),$(eval $(call bench_rules,$(t))))

asan: $(BA)/retryd $(BA)/retryctl \
      $(foreach p,$(PLUGINS),$(BA)/plugins/$(p).so) \
      $(foreach t,$(UNIT_TESTS) $(TEST_TOOLS),$(BA)/tests/$(t))

deps:
	@tests/deps.sh all

deps-build:
	@tests/deps.sh build

deps-demo:
	@tests/deps.sh demo

# Unit tests print TAP (cmocka); lab and e2e scenarios are TAP shell scripts.
# Independent scenarios run in parallel (prove -j).
check: deps
	$(MAKE) format-check
	$(MAKE) all asan
	RETRYD_BUILD=$(CURDIR)/$(B) RETRYD_ASAN_BUILD=$(CURDIR)/$(BA) \
	CMOCKA_MESSAGE_OUTPUT=TAP \
	prove -j$(or $(JOBS),3) --timer -e '' \
	    $(foreach t,$(UNIT_TESTS),$(BA)/tests/$(t)) \
	    $(wildcard tests/cli/*.t tests/lab/*.t tests/e2e/*.t)

demo: deps-demo
	$(MAKE) all
	tests/demo.sh

include contrib/install.mk

bench: deps
	$(MAKE) all $(foreach t,$(BENCHES),$(B)/bench/$(t))
	tests/bench/run.sh

FORMAT_FILES = $(shell git ls-files 'retryd/*.[ch]' 'plugins/*.[ch]' 'tests/*.[ch]' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files clean"

clean:
	rm -rf $(B)

.PHONY: all asan deps deps-build deps-demo check demo bench format format-check clean

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- fuzz targets: clang objects and archives kept apart in build/fuzz ----
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZSAN   := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZFLAGS := $(filter-out -Werror,$(BASEFLAGS)) -O1 -fno-omit-frame-pointer \
	     -fsanitize=fuzzer-no-link,address,undefined \
	     -fno-sanitize-recover=undefined

$(BF)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZFLAGS) -c -o $@ $<

define fuzz_archive_rules
$(BF)/lib/lib$(1).a: $$(call fobj,$$($(1)_SRCS))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && $$(AR) rcs $$@ $$^
endef
$(foreach m,$(MODULES) $(PLUGINS),$(eval $(call fuzz_archive_rules,$(m))))

define fuzz_rules
$(BF)/$(1): $(BF)/obj/tests/fuzz/$(1).o $(call archives,$(BF)) $(call plugin_archives,$(BF))
	$$(FUZZ_CC) $$(FUZZSAN) -o $$@ $$< $(call link_all,$(BF)) $$(PLUGIN_LIBS) $$(LIBS)
endef
$(foreach t,$(FUZZERS),$(eval $(call fuzz_rules,$(t))))

fuzz-build: $(foreach t,$(FUZZERS),$(BF)/$(t))
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZERS)

.PHONY: fuzz fuzz-build
