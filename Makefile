# retryd — build, test, demo, benchmark.
#
#   make          build/retryd, build/retryctl, build/plugins/*.so
#   make check    install what is missing, build under ASan+UBSan, run every test
#   make demo     install what is missing, build, play a loopback incident
#   make bench    benchmarks (figures, no pass/fail)
#
# Each module owns a block of sources below: one source per line.

CC      ?= cc
PKGS    := getdns inih jansson libpcre2-8
WARN    := -Wall -Wextra -Werror -Wformat=2 -Wvla -Wshadow -Wno-unused-parameter
BASEFLAGS := -std=gnu11 -D_GNU_SOURCE -g -fPIC -fstack-protector-strong -MMD -MP $(WARN) \
	     $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
OPTFLAGS  := -O2 -D_FORTIFY_SOURCE=2
SANFLAGS  := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=undefined
LIBS      := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldb -ldl
TESTLIBS  := -lcmocka

B  := build
BA := build/asan

# ---- core: pure modules and shells shared by retryd and retryctl ----
CORE_SRCS := \
	retryd/log.c \
	retryd/spawn.c \
	retryd/policy.c \
	retryd/store.c \
	retryd/backoff.c

# ---- the daemon ----
RETRYD_SRCS := \
	retryd/main.c

# ---- the control tool ----
RETRYCTL_SRCS := \
	retryd/retryctl.c

# ---- plugins (one .so each; may also use CORE objects via -rdynamic) ----
PLUGINS :=

# ---- unit tests (cmocka, built with ASan+UBSan) ----
UNIT_TESTS :=
UNIT_TESTS += test_spawn
test_spawn_SRCS := tests/unit/test_spawn.c retryd/spawn.c retryd/log.c

# ---- test tools (helpers the scenarios run; ASan build) ----
TEST_TOOLS :=

# ---- benchmarks (optimised build) ----
BENCHES :=

# ---- store (issue #2): Berkeley DB environment, records, due index ----
STORE_SRCS := \
	retryd/store.c \
	retryd/store_env.c \
	retryd/store_codec.c \
	retryd/store_key.c \
	retryd/store_message.c \
	retryd/store_evidence.c \
	retryd/store_records.c
CORE_SRCS += retryd/store_env.c
CORE_SRCS += retryd/store_codec.c
CORE_SRCS += retryd/store_key.c
CORE_SRCS += retryd/store_message.c
CORE_SRCS += retryd/store_evidence.c
CORE_SRCS += retryd/store_records.c
STORE_SRCS += retryd/store_due.c
CORE_SRCS += retryd/store_due.c
STORE_SRCS += retryd/store_state.c
CORE_SRCS += retryd/store_state.c
UNIT_TESTS += test_store_state
test_store_state_SRCS = tests/unit/test_store_state.c $(STORE_SRCS) retryd/log.c
UNIT_TESTS += test_store_codec
test_store_codec_SRCS := tests/unit/test_store_codec.c retryd/store_codec.c \
	retryd/store_key.c
UNIT_TESTS += test_store
test_store_SRCS := tests/unit/test_store.c $(STORE_SRCS) retryd/log.c
UNIT_TESTS += test_store_proc
test_store_proc_SRCS := tests/unit/test_store_proc.c $(STORE_SRCS) retryd/log.c
BENCHES += bench_store
bench_store_SRCS := tests/bench/bench_store.c $(STORE_SRCS) retryd/log.c

# ---- verifier (issue #3): fresh DNS verification, verdicts, diagnose ----
CORE_SRCS += retryd/verify.c
CORE_SRCS += retryd/verify_ns.c
CORE_SRCS += retryd/verify_loop.c
CORE_SRCS += retryd/verify_answer.c
CORE_SRCS += retryd/verify_json.c
CORE_SRCS += retryd/verdict.c
RETRYCTL_SRCS += retryd/ctl_diagnose.c
UNIT_TESTS += test_verdict
test_verdict_SRCS := \
	tests/unit/test_verdict.c \
	retryd/verdict.c \
	retryd/verify_json.c
VERIFY_ALL_SRCS := \
	retryd/verify.c \
	retryd/verify_ns.c \
	retryd/verify_loop.c \
	retryd/verify_answer.c \
	retryd/verify_json.c \
	retryd/verdict.c
UNIT_TESTS += test_verify_answer
test_verify_answer_SRCS := tests/unit/test_verify_answer.c $(VERIFY_ALL_SRCS)
TEST_TOOLS += verify_tool
verify_tool_SRCS := tests/tools/verify_tool.c $(VERIFY_ALL_SRCS)
BENCHES += bench_verify
bench_verify_SRCS := tests/bench/bench_verify.c $(VERIFY_ALL_SRCS)

# ---- exim adapter (issue #5): exim.so, -bp / mainlog parsers, ids ----
PLUGINS += exim
exim_SRCS := plugins/exim.c plugins/exim_cmd.c plugins/exim_queue.c \
	plugins/exim_log.c plugins/exim_id.c retryd/spawn.c retryd/log.c
UNIT_TESTS += test_exim_id
test_exim_id_SRCS := tests/unit/test_exim_id.c plugins/exim_id.c
UNIT_TESTS += test_exim_queue
test_exim_queue_SRCS := tests/unit/test_exim_queue.c plugins/exim_queue.c \
	plugins/exim_log.c plugins/exim_id.c retryd/log.c
UNIT_TESTS += test_exim_log
test_exim_log_SRCS := tests/unit/test_exim_log.c plugins/exim_log.c \
	plugins/exim_id.c retryd/log.c

# ---- backoff and retryctl first commands (issue #2) ----
# (test_backoff_SRCS is recursive (=): POLICY_SRCS is defined further down)
UNIT_TESTS += test_backoff
test_backoff_SRCS = tests/unit/test_backoff.c retryd/backoff.c \
	$(POLICY_SRCS) retryd/log.c
RETRYCTL_SRCS += retryd/ctl_store.c
RETRYCTL_SRCS += retryd/ctl_table.c
RETRYCTL_SRCS += retryd/ctl_list.c
RETRYCTL_SRCS += retryd/ctl_show.c
RETRYCTL_SRCS += retryd/ctl_suppressed.c
TEST_TOOLS += store_seed
store_seed_SRCS := tests/tools/store_seed.c $(STORE_SRCS) retryd/log.c

# ---- policy loader, retryd -t (issue #2, policy part) ----
POLICY_SRCS := \
	retryd/policy.c \
	retryd/policy_keys.c \
	retryd/policy_parse.c \
	retryd/policy_list.c \
	retryd/policy_print.c \
	retryd/policy_group.c
CORE_SRCS += retryd/policy_keys.c
CORE_SRCS += retryd/policy_parse.c
CORE_SRCS += retryd/policy_list.c
CORE_SRCS += retryd/policy_print.c
CORE_SRCS += retryd/policy_group.c
UNIT_TESTS += test_policy
test_policy_SRCS := tests/unit/test_policy.c $(POLICY_SRCS) retryd/log.c

# ---- daemon loop, passes, retryctl release (issue #4, daemon part) ----
PASS_SRCS = \
	retryd/pass.c \
	retryd/pass_util.c \
	retryd/reconcile.c \
	retryd/adopt.c \
	retryd/attempt.c \
	retryd/outcome.c \
	retryd/giveback.c \
	retryd/verification.c \
	retryd/hooks.c
PASS_SRCS += retryd/retention.c
RETRYD_SRCS += retryd/daemon.c
RETRYD_SRCS += retryd/plugin_load.c
RETRYD_SRCS += $(PASS_SRCS)
# classify.c until the classifier's block puts it in CORE_SRCS ($^ drops the twin)
RETRYD_SRCS += retryd/classify.c
RETRYCTL_SRCS += retryd/ctl_release.c
RETRYCTL_SRCS += retryd/plugin_load.c
UNIT_TESTS += test_pass
test_pass_SRCS = tests/unit/test_pass.c tests/unit/fake_mta.c tests/unit/pass_fx.c $(PASS_SRCS) $(CORE_SRCS) retryd/classify.c
BENCHES += bench_pass
bench_pass_SRCS = tests/bench/bench_pass.c tests/unit/fake_mta.c $(PASS_SRCS) $(CORE_SRCS) retryd/classify.c
# fake_mta.c (shared with the unit tests) calls cmocka's assert_true
$(B)/bench/bench_pass: LIBS += $(TESTLIBS)

# ---- export and report: MTA tables from the policy, proof bundle ----
CORE_SRCS += retryd/export.c
CORE_SRCS += retryd/report.c
CORE_SRCS += retryd/report_doc.c
CORE_SRCS += retryd/report_render.c
CORE_SRCS += retryd/report_store.c
RETRYCTL_SRCS += retryd/ctl_export.c
RETRYCTL_SRCS += retryd/ctl_report.c
UNIT_TESTS += test_export
test_export_SRCS := tests/unit/test_export.c retryd/export.c $(POLICY_SRCS) retryd/log.c
UNIT_TESTS += test_report
test_report_SRCS := tests/unit/test_report.c retryd/report.c retryd/report_doc.c \
	retryd/report_render.c retryd/report_store.c retryd/verify_json.c \
	$(POLICY_SRCS) \
	$(STORE_SRCS) retryd/log.c
TEST_TOOLS += verification_seed
verification_seed_SRCS := tests/tools/verification_seed.c $(STORE_SRCS) retryd/log.c

# ---- classifier, retryctl classify, suppression criteria (issue #6, pure parts) ----
CORE_SRCS += retryd/classify.c
CORE_SRCS += retryd/suppress.c
RETRYCTL_SRCS += retryd/ctl_classify.c
UNIT_TESTS += test_classify
test_classify_SRCS := tests/unit/test_classify.c retryd/classify.c $(POLICY_SRCS) retryd/log.c
UNIT_TESTS += test_suppress
test_suppress_SRCS := tests/unit/test_suppress.c retryd/suppress.c retryd/policy_parse.c \
	retryd/policy_list.c retryd/log.c
BENCHES += bench_classify
bench_classify_SRCS := tests/bench/bench_classify.c retryd/classify.c $(POLICY_SRCS) retryd/log.c

# ---- postfix adapter (issue #4, plugin part): postfix.so, postqueue -j / log parsers, ids ----
PLUGINS += postfix
postfix_SRCS := \
	plugins/postfix.c \
	plugins/postfix_cmd.c \
	plugins/postfix_queue.c \
	plugins/postfix_log.c \
	plugins/postfix_id.c \
	retryd/spawn.c \
	retryd/log.c
UNIT_TESTS += test_postfix_id
test_postfix_id_SRCS := tests/unit/test_postfix_id.c plugins/postfix_id.c
UNIT_TESTS += test_postfix_queue
test_postfix_queue_SRCS := \
	tests/unit/test_postfix_queue.c \
	plugins/postfix_queue.c \
	plugins/postfix_id.c
UNIT_TESTS += test_postfix_log
test_postfix_log_SRCS := \
	tests/unit/test_postfix_log.c \
	plugins/postfix_log.c \
	plugins/postfix_id.c \
	retryd/log.c
TEST_TOOLS += plugin_drive
plugin_drive_SRCS := tests/tools/plugin_drive.c retryd/log.c

# ---- suppression in the daemon, retryctl show's explanation (issue #6 remainder) ----
PASS_SRCS += retryd/suppress_act.c
RETRYD_SRCS += retryd/suppress_act.c
UNIT_TESTS += test_pass_suppress
test_pass_suppress_SRCS = tests/unit/test_pass_suppress.c tests/unit/fake_mta.c tests/unit/pass_fx.c $(PASS_SRCS) $(CORE_SRCS) retryd/classify.c

# ---- fuzz targets (libFuzzer, clang): `make fuzz`, tests/fuzz/ ----
FUZZERS :=
FUZZERS += fuzz_store_codec
fuzz_store_codec_SRCS := \
	tests/fuzz/fuzz_store_codec.c \
	retryd/store_codec.c \
	retryd/store_key.c
FUZZERS += fuzz_verify_answer
fuzz_verify_answer_SRCS := \
	tests/fuzz/fuzz_verify_answer.c \
	retryd/verify_answer.c
FUZZERS += fuzz_policy
fuzz_policy_SRCS := \
	tests/fuzz/fuzz_policy.c \
	$(POLICY_SRCS) \
	retryd/log.c
FUZZERS += fuzz_exim_id
fuzz_exim_id_SRCS := \
	tests/fuzz/fuzz_exim_id.c \
	plugins/exim_id.c
FUZZERS += fuzz_exim_log
fuzz_exim_log_SRCS := \
	tests/fuzz/fuzz_exim_log.c \
	plugins/exim_log.c \
	plugins/exim_id.c \
	retryd/log.c
FUZZERS += fuzz_exim_queue
fuzz_exim_queue_SRCS := \
	tests/fuzz/fuzz_exim_queue.c \
	plugins/exim_queue.c \
	plugins/exim_log.c \
	plugins/exim_id.c \
	retryd/log.c
FUZZERS += fuzz_classify
fuzz_classify_SRCS := \
	tests/fuzz/fuzz_classify.c \
	retryd/classify.c \
	$(POLICY_SRCS) \
	retryd/log.c
FUZZERS += fuzz_postfix_id
fuzz_postfix_id_SRCS := \
	tests/fuzz/fuzz_postfix_id.c \
	plugins/postfix_id.c
FUZZERS += fuzz_postfix_log
fuzz_postfix_log_SRCS := \
	tests/fuzz/fuzz_postfix_log.c \
	plugins/postfix_log.c \
	plugins/postfix_id.c \
	retryd/log.c
FUZZERS += fuzz_postfix_queue
fuzz_postfix_queue_SRCS := \
	tests/fuzz/fuzz_postfix_queue.c \
	plugins/postfix_queue.c \
	plugins/postfix_id.c \
	retryd/log.c

# ---------------------------------------------------------------------------
obj  = $(patsubst %.c,$(B)/obj/%.o,$(1))
aobj = $(patsubst %.c,$(BA)/obj/%.o,$(1))

all: $(B)/retryd $(B)/retryctl $(foreach p,$(PLUGINS),$(B)/plugins/$(p).so)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(OPTFLAGS) $(CFLAGS) -c -o $@ $<

$(BA)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(SANFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/retryd: $(call obj,$(RETRYD_SRCS) $(CORE_SRCS))
	$(CC) -rdynamic -o $@ $^ $(LIBS) $(LDFLAGS)
$(B)/retryctl: $(call obj,$(RETRYCTL_SRCS) $(CORE_SRCS))
	$(CC) -rdynamic -o $@ $^ $(LIBS) $(LDFLAGS)
$(BA)/retryd: $(call aobj,$(RETRYD_SRCS) $(CORE_SRCS))
	$(CC) $(SANFLAGS) -rdynamic -o $@ $^ $(LIBS) $(LDFLAGS)
$(BA)/retryctl: $(call aobj,$(RETRYCTL_SRCS) $(CORE_SRCS))
	$(CC) $(SANFLAGS) -rdynamic -o $@ $^ $(LIBS) $(LDFLAGS)

define plugin_rules
$(B)/plugins/$(1).so: $$(call obj,$$($(1)_SRCS))
	@mkdir -p $$(dir $$@)
	$$(CC) -shared -o $$@ $$^ $$(LIBS) $$(LDFLAGS)
$(BA)/plugins/$(1).so: $$(call aobj,$$($(1)_SRCS))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SANFLAGS) -shared -o $$@ $$^ $$(LIBS) $$(LDFLAGS)
endef
$(foreach p,$(PLUGINS),$(eval $(call plugin_rules,$(p))))

define unit_rules
$(BA)/tests/$(1): $$(call aobj,$$($(1)_SRCS))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(SANFLAGS) -rdynamic -o $$@ $$^ $$(LIBS) $$(TESTLIBS) $$(LDFLAGS)
endef
$(foreach t,$(UNIT_TESTS) $(TEST_TOOLS),$(eval $(call unit_rules,$(t))))

define bench_rules
$(B)/bench/$(1): $$(call obj,$$($(1)_SRCS))
	@mkdir -p $$(dir $$@)
	$$(CC) -rdynamic -o $$@ $$^ $$(LIBS) $$(LDFLAGS)
endef
$(foreach t,$(BENCHES),$(eval $(call bench_rules,$(t))))

asan: $(BA)/retryd $(BA)/retryctl \
      $(foreach p,$(PLUGINS),$(BA)/plugins/$(p).so) \
      $(foreach t,$(UNIT_TESTS) $(TEST_TOOLS),$(BA)/tests/$(t))

deps:
	@tests/deps.sh

# Unit tests print TAP (cmocka); lab and e2e scenarios are TAP shell scripts.
# Independent scenarios run in parallel (prove -j).
check: deps
	$(MAKE) all asan
	RETRYD_BUILD=$(CURDIR)/$(B) RETRYD_ASAN_BUILD=$(CURDIR)/$(BA) \
	CMOCKA_MESSAGE_OUTPUT=TAP \
	prove -j$(or $(JOBS),3) --timer -e '' \
	    $(foreach t,$(UNIT_TESTS),$(BA)/tests/$(t)) \
	    $(wildcard tests/cli/*.t tests/lab/*.t tests/e2e/*.t)

demo: deps
	$(MAKE) all
	tests/demo.sh

bench: deps
	$(MAKE) all $(foreach t,$(BENCHES),$(B)/bench/$(t))
	tests/bench/run.sh

format:
	clang-format -i $(wildcard retryd/*.[ch] plugins/*.[ch] tests/unit/*.c tests/bench/*.c)

clean:
	rm -rf $(B)

.PHONY: all asan deps check demo bench format clean

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- fuzz rules: clang objects kept apart from gcc's in build/fuzz/obj ----
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
BF := $(B)/fuzz
FUZZSAN   := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZFLAGS := $(filter-out -Werror,$(BASEFLAGS)) -O1 -fno-omit-frame-pointer \
	     -fsanitize=fuzzer-no-link,address,undefined \
	     -fno-sanitize-recover=undefined
fobj = $(patsubst %.c,$(BF)/obj/%.o,$(1))

$(BF)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZFLAGS) -c -o $@ $<

define fuzz_rules
$(BF)/$(1): $$(call fobj,$$($(1)_SRCS))
	$$(FUZZ_CC) $$(FUZZSAN) -o $$@ $$^ $$(LIBS)
endef
$(foreach t,$(FUZZERS),$(eval $(call fuzz_rules,$(t))))

fuzz-build: $(foreach t,$(FUZZERS),$(BF)/$(t))
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZERS)

.PHONY: fuzz fuzz-build
