# plugins — MTA adapters, one shared object each, behind plugins/plugin.h.
# Each plugin is also an archive, so the unit tests link its parsers.
PLUGINS := postfix exim

postfix_SRCS :=
postfix_SRCS += plugins/postfix.c
postfix_SRCS += plugins/postfix_cmd.c
postfix_SRCS += plugins/postfix_discover.c
postfix_SRCS += plugins/mta_discover.c
postfix_SRCS += plugins/postfix_flush.c
postfix_SRCS += plugins/postfix_kick.c
postfix_SRCS += plugins/postfix_id.c
postfix_SRCS += plugins/postfix_log.c
postfix_SRCS += plugins/postfix_qdir.c
postfix_SRCS += plugins/mta_file.c
postfix_SRCS += plugins/mta_pos.c
postfix_SRCS += plugins/log_journal.c
postfix_SRCS += plugins/postfix_queue.c

exim_SRCS :=
exim_SRCS += plugins/exim.c
exim_SRCS += plugins/exim_cmd.c
exim_SRCS += plugins/exim_discover.c
exim_SRCS += plugins/exim_known.c
exim_SRCS += plugins/exim_list.c
exim_SRCS += plugins/exim_spool.c
exim_SRCS += plugins/exim_spool_hdr.c
exim_SRCS += plugins/exim_id.c
exim_SRCS += plugins/exim_log.c
exim_SRCS += plugins/mta_discover.c
exim_SRCS += plugins/mta_file.c
exim_SRCS += plugins/mta_pos.c
exim_SRCS += plugins/log_journal.c
exim_SRCS += plugins/exim_queue.c
