/*
 * NAME
 *	limits 3h
 * SUMMARY
 *	every input bound retryd enforces, in one place
 * DESCRIPTION
 *	Each constant names the largest thing of its kind that retryd accepts
 *	or keeps. Longer input is refused (with its location) or truncated
 *	where the comment says so; nothing is ever allocated by the size of
 *	untrusted input beyond these bounds.
 */
#ifndef RETRYD_LIMITS_H
#define RETRYD_LIMITS_H

/* Policy (INI) input. inih r55 cuts lines at 200 bytes: we refuse >197. */
#define LIMIT_INI_LINE		197  /* bytes in one policy line, without EOL */
#define LIMIT_INI_NAME		48   /* bytes in a section or key name */
#define LIMIT_INI_INCLUDE_DEPTH 4    /* nested include = */
#define LIMIT_POLICY_TIERS	16   /* tier = lines per backoff */
#define LIMIT_POLICY_GROUPS	64   /* [group NAME] sections */
#define LIMIT_POLICY_GROUP_NAME 32   /* bytes in a group name */
#define LIMIT_POLICY_LIST	256  /* items in one list value (domains...) */
#define LIMIT_POLICY_RULES	8192 /* rule, fallback_rule, guarded_rule */
#define LIMIT_POLICY_GUARDS	64   /* address_guard; local, built in */
#define LIMIT_POLICY_RESOLVERS	16   /* addresses per resolver role */
#define LIMIT_HOOK_ARGS		16   /* argv words in a hook */

/* Scale (issue 13): full listings and discovery from the MTA log. */
#define LIMIT_POLICY_RECONCILE_EVERY 100000 /* passes between full listings */
#define LIMIT_POLICY_STORE_CACHE_MB  1024   /* store_cache_mb: the largest */
#define LIMIT_DISCOVER_MESSAGES	     20000  /* ids gathered per discovery */
#define LIMIT_PASS_WATCH	     4096   /* domains with held mail watched */
#define LIMIT_WATCH_RELOAD_S	     3600   /* watched set rebuilt (O(held)) */
#define LIMIT_HELD_DOMAINS                                                     \
	4096 /* Exim held-domains file (Exim reads it per address): more         \
		domains are held by freezing */

/* Mail identities. */
#define LIMIT_ADDRESS	254 /* RFC 5321 path: local@domain */
#define LIMIT_LOCALPART 64
#define LIMIT_DOMAIN	253
#define LIMIT_QUEUE_ID	31 /* Postfix long ids, Exim 4.97 23 chars */
#define LIMIT_MTA_NAME	15 /* "postfix", "exim" */
#define LIMIT_HOST_ID	63
#define LIMIT_USER_NAME 32 /* a Unix user name ([hooks] user) */

/* Texts kept from the MTA. */
#define LIMIT_REASON   512 /* delay reason / DSN text kept, truncated */
#define LIMIT_DSN      15  /* "5.1.10" */
#define LIMIT_CATEGORY 23  /* classifier category name */
#define LIMIT_VERDICT  15  /* "local-path" */

/* Message records. */
#define LIMIT_RCPTS_PER_MESSAGE 256 /* more: not adopted, left to the MTA */

/* Listings and logs read from the MTA. */
#define LIMIT_LISTING_LINE 65536 /* one postqueue -j line; longer: skipped */
#define LIMIT_LISTING_MESSAGES                                                 \
	4000000 /* messages per scan (the pass's index: ~30 B each) */
#define LIMIT_LISTING_CANDIDATES                                               \
	20000 /* adoptable messages a listing keeps whole; more: next pass */
#define LIMIT_JOURNAL_CURSOR 1024 /* bytes of an sd-journal cursor string */
#define LIMIT_PREFLIGHT_JOURNAL_SCAN                                           \
	20000		      /* newest journal entries preflight reads */
#define LIMIT_LOG_LINE	8192  /* one MTA log line; longer: skipped */
#define LIMIT_BATCH_IDS 10000 /* ids handed to one MTA command */
#define LIMIT_DEFER_LOG_BYTES                                                  \
	1048576 /* of one Postfix defer log read (queue-directory discovery) */

/* DNS verification. */
#define LIMIT_VERIFY_INFLIGHT 400 /* getdns queries in flight at once */
#define LIMIT_VERIFY_MX	      16  /* MX hosts kept per answer */
#define LIMIT_VERIFY_ANSWERS  64 /* answers (resolver x transport) per domain */
#define LIMIT_VERIFY_NS	      8	 /* authoritative servers asked */
#define LIMIT_VERIFY_PROBES                                                    \
	8 /* canary questions per resolver: root, TLD, canaries */
#define LIMIT_VERIFY_PROBE_ADDRS 48 /* bytes of a canary's address set */
#define LIMIT_VERIFY_PROBE_NAME	 63 /* a canary name (and a TLD) */
#define LIMIT_VERIFY_TLDS	 64 /* distinct TLDs canary-checked per pass */
#define LIMIT_POLICY_CANARIES	 6  /* [resolvers] canary names */
#define LIMIT_ROOT_HINTS	 32 /* root server addresses read from hints */
#define LIMIT_VERIFY_TRACE_STEPS                                               \
	10 /* referrals followed from the root to a domain's servers */
#define LIMIT_VERIFY_TRACE_GLUELESS                                            \
	2 /* nested traces for NS hosts without glue */

/* Evidence. */
#define LIMIT_SENTINEL_DOMAINS	     256  /* domains the sentinel watches */
#define LIMIT_REPORT_SENTINEL_EVENTS 1000 /* newest kept in one report */
#define LIMIT_EVENT_TEXT	     8192 /* bytes of one sentinel event or watch state */
#define LIMIT_EVENT_NODE	     63 /* a resolver node "IP:PORT" in an event key */
#define LIMIT_EVIDENCE_DNS	     2048 /* bytes of per-resolver summary per attempt */
#define LIMIT_EVIDENCE_PER_RCPT                                                \
	1000 /* records kept per address; oldest pruned */

/* DNS verification, continued (verify.c). */
#define LIMIT_VERIFY_NS_WALK 8 /* parent names tried to find the NS set */
#define LIMIT_VERIFY_AUTH_CONTEXTS                                             \
	256			/* authoritative servers kept per verifier */
#define LIMIT_VERIFY_ATTEMPTS 2 /* tries per query (one retry after timeout) */

/* Berkeley DB store (store*.c). */
#define LIMIT_STORE_ANSWERS                                                    \
	65536 /* bytes of verifier JSON kept per verification */
#define LIMIT_STORE_DEADLOCK_TRIES 8 /* tries of an auto-committed store call */
#define LIMIT_STORE_WALK_CHUNK                                                 \
	256 /* records copied per walk step (no locks held in callbacks) */
#define LIMIT_STORE_WALK_BYTES (4u << 20) /* bytes copied per walk step */
#define LIMIT_STORE_LOCK_TIMEOUT_MS                                            \
	10000 /* a lock wait longer than this: STORE_RETRY */
#define LIMIT_STORE_TXN_TIMEOUT_MS                                             \
	60000 /* a transaction older than this loses conflicts */
/* Berkeley DB cache when none is given: 8 MB keeps 1,000,000 held under
 * 64 MB (16 MB: 62.6 MB at 1M; 100k: 45.9 vs 35.5 MB, adoption 21.0 vs
 * 26.1 s, a reconciliation 9.6 vs 12.9 s; bench_mem_postfix.sh) */
#define LIMIT_STORE_CACHE_DEFAULT (8u << 20)
#define LIMIT_STORE_LOCKS                                                      \
	20000 /* page locks held at once (a 1,000-message txn needs ~3,000) */
#define LIMIT_STORE_RESERVE                                                    \
	(16u << 20) /* free bytes kept in state_dir: below, no-space mode */
#define LIMIT_STORE_THREADS                                                    \
	256 /* threads of all processes attached at once (failchk's table) */
#define LIMIT_STORE_OPEN_WAIT_MS                                               \
	60000 /* an opener waits this long for another's open (recovery) */
#define LIMIT_STORE_FAILCHK_MS                                                 \
	2000 /* the daemon frees what dead processes held this often */
#define LIMIT_JOURNAL_COMPACT                                                  \
	(1u << 20) /* hold journal bytes: above, rewritten with what is held */
#define LIMIT_JOURNAL_IDS                                                      \
	1000000 /* ids read from a hold journal (a bigger one is refused) */

/* Exim adapter (plugins/exim.c). */
#define LIMIT_MSGLOG_TAIL 65536 /* bytes read from the end of an Exim msglog */
#define LIMIT_EXIM_SPOOL_HEADER                                                \
	1048576 /* bytes of one Exim -H file read (spool discovery) */
#define LIMIT_EXIM_SPOOL_RCPTS                                                 \
	16384 /* recipients and non-recipients of one -H (Exim's own bound) */
#define LIMIT_EXIM_LISTING                                                     \
	(512u << 20) /* bytes of exim -bpr the daemon keeps (~100 a message) */
#define LIMIT_EXIM_KNOWN                                                       \
	4000000 /* ids exim.so remembers as known to the daemon (16 B each) */
#define LIMIT_OUTCOMES_PER_CALL                                                \
	1000 /* outcomes returned by one call (at most LIMIT_PASS_BATCH ids:    \
	      * committed with their log position in one transaction) */
#define LIMIT_OUTCOMES_CALLS                                                   \
	100 /* outcome calls per pass (100,000 outcomes); the rest next pass */

/* Daemon pass (retryd/pass*.c): work and memory bounds of one pass. */
#define LIMIT_PASS_ADOPT                                                       \
	10000 /* messages adopted per pass; the rest next pass */
#define LIMIT_PASS_BACKLOG                                                     \
	50000 /* adoption backlog records examined per pass (pass_backlog.c) */
#define LIMIT_PASS_BATCH                                                       \
	1000 /* ids per store transaction and per MTA command */
#define LIMIT_PASS_BATCH_RCPTS                                                 \
	20000 /* recipients kept in memory per adopt batch */
#define LIMIT_PASS_DUE                                                         \
	2000 /* due messages taken per pass: bounds release bursts */
#define LIMIT_PASS_DOMAINS 512 /* distinct domains verified/acted on per pass */
#define LIMIT_PASS_VERIFY_CHUNK                                                \
	16 /* domains verified at once (results held in memory) */
#define LIMIT_PASS_TRACKED                                                     \
	200000 /* ids remembered per pass (missing, outcomes, foreign) */
#define LIMIT_PASS_ACTIONS 10000 /* reconcile actions of each kind per pass */
#define LIMIT_HOOK_TIMEOUT_MS                                                  \
	30000 /* a flush/escalate hook running longer is killed */
#define LIMIT_REPORT_BYTES 65536 /* escalation report size */
#define LIMIT_HOOKS_RUNNING                                                    \
	8 /* hooks running at once beside the pass; more wait a pass */
#define LIMIT_HOOK_OUTPUT                                                      \
	4096 /* bytes of a hook's stdout+stderr kept (the rest dropped) */
#define LIMIT_HOOK_FLUSH_WAIT_MS                                               \
	5000 /* a pass waits this long for its flush hooks, then attempts */
#define LIMIT_CTL_WRITER_WAIT_MS                                               \
	10000 /* a retryctl write waits this long for another one's lock */

/* Policy values (policy_parse.c). */
#define LIMIT_POLICY_DURATION                                                  \
	(3650LL * 86400) /* longest duration accepted: 10 years */
#define LIMIT_POLICY_MIN_FAILURES                                              \
	1000 /* = LIMIT_EVIDENCE_PER_RCPT: more could never be seen */

/* Proof reports (report*.c, retryctl report). */
#define LIMIT_REPORT_VERIFICATIONS                                             \
	50 /* verifications shown in full per domain (latest) */
#define LIMIT_REPORT_SAMPLE                                                    \
	100 /* affected recipients listed; the total is counted */
#define LIMIT_REPORT_DOMAINS                                                   \
	1024 /* domains detailed in one report; more are counted */
#define LIMIT_REPORT_NODES                                                     \
	256 /* resolver nodes and sending hosts counted apart */
#define LIMIT_REPORT_ADDRESSES                                                 \
	20000		      /* recipients whose evidence one report reads */
#define LIMIT_REPORT_LANES 24 /* resolver lanes per domain timeline */
#define LIMIT_REPORT_RUNS                                                      \
	48 /* runs of equal answers per lane; more: shortest merged */
#define LIMIT_REPORT_BUCKETS 48 /* time buckets of the held/delivered chart */
#define LIMIT_REPORT_TIMELINES                                                 \
	20 /* domains drawn as a timeline on the page (failing first) */
#define LIMIT_REPORT_HTML_ANSWERS                                              \
	1000 /* raw answer rows in the page's proof tables; JSON has all */
#define LIMIT_REPORT_HTML_RUNS                                                 \
	2500 /* lane segments drawn on one page; more timelines are listed */

/* Classifier (retryd/classify.c, retryd/ctl_classify.c). */
#define LIMIT_CLASSIFY_MATCH                                                   \
	1000000 /* PCRE2 match steps per rule and text; more: no match */
#define LIMIT_CLASSIFY_DEPTH                                                   \
	10000 /* PCRE2 backtracking depth per rule and text */
#define LIMIT_CLASSIFY_JIT_STACK                                               \
	(256u << 10) /* bytes of JIT stack, shared by all rules */
#define LIMIT_CLASSIFY_LATER_CODES                                             \
	8 /* later status codes looked at after a generic first one */
#define LIMIT_CLASSIFY_NORM                                                    \
	(64u << 10) /* bytes of a text read as its report (classify_norm.c); \
		       longer: read as it came */

/* Due selection (retryd/store_message.c). */
#define LIMIT_STORE_DUE_BATCH                                                  \
	1024 /* due ids read per step (one read-committed txn) */
#define LIMIT_STORE_DUE_BULK                                                   \
	(64u                                                                   \
	 << 10) /* bytes of one bulk read of the due index: >= the largest page size */

#define LIMIT_STORE_EVIDENCE_BULK                                              \
	(64u << 10) /* bytes of one bulk read counting an address's evidence */

/* Retention (retryd/retention.c): what the store keeps, deleted per pass. */
#define LIMIT_KEEP_DONE                                                        \
	(30LL *                                                                \
	 86400) /* done messages kept for show after they finished (+ the largest give_up) */
#define LIMIT_KEEP_VERIFICATIONS                                               \
	(30LL * 86400) /* verification history kept per domain */
#define LIMIT_RETENTION_BATCH                                                  \
	1000 /* done messages deleted per pass (one transaction) */
#define LIMIT_RETENTION_STEPS                                                  \
	2000 /* verification keys visited (deleted or skipped) per pass */

/* Files and privilege separation (retryd/util/atomic_file.c, retryd/priv/). */
#define LIMIT_PATH	4095 /* bytes in a file name retryd writes or opens */
#define LIMIT_USER_NAME 32   /* [retryd] user: a POSIX user name */

/* Fleet tier (retryd/fleet/, retryd/store/store_outbox.c). */
#define LIMIT_OUTBOX_RECORDS                                                   \
	200000 /* outbox records kept while PostgreSQL is away; beyond,        \
		  the oldest verifications are dropped (evidence never) */
#define LIMIT_FLEET_BATCH                                                      \
	500 /* outbox records shipped per PostgreSQL statement */
#define LIMIT_FLEET_BATCHES                                                    \
	40 /* batches shipped per daemon tick (the rest next tick) */
#define LIMIT_FLEET_URL 1024 /* bytes of [fleet] database */
#define LIMIT_FLEET_CANDIDATES                                                 \
	10000 /* addresses evaluated per fleet-wide suppression round */
#define LIMIT_FLEET_EVIDENCE                                                   \
	4096 /* latest evidence rows of one address read, all hosts */

#endif
