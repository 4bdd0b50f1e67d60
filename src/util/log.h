/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging: to the journal when one is there, stderr otherwise. Only code that
 * decides what to do logs; library modules return negative errno. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

void log_open(bool prefer_journal);      /* journal if /run/systemd/journal/socket exists */
void log_set_max_level(int level);
int log_get_max_level(void);

/* Logs and returns -ERRNO_VALUE(error) (or -EIO when error is 0), so callers
 * can write `return log_error_errno(r, "Failed to ...: %m");`. %m expands to
 * strerror(error). Extra journal field AGENT= is added by log_agent_*. */
int log_internal(int level, int error, const char *agent, const char *file, int line,
                 const char *func, const char *format, ...) _printf_(7, 8);

#define log_full_errno(level, error, ...) \
        log_internal(level, error, NULL, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) (void) log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

#define log_agent_full(level, agent, ...) \
        (void) log_internal(level, 0, agent, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_agent_info(agent, ...) log_agent_full(LOG_INFO, agent, __VA_ARGS__)
#define log_agent_notice(agent, ...) log_agent_full(LOG_NOTICE, agent, __VA_ARGS__)
#define log_agent_warning(agent, ...) log_agent_full(LOG_WARNING, agent, __VA_ARGS__)
