/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging to the journal (when asked for and present) or to stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static int max_level = LOG_INFO;
static bool use_journal = false;

void log_open(bool prefer_journal) {
        use_journal = prefer_journal && access(JOURNAL_SOCKET, F_OK) == 0;
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_internal(int level, int error, const char *agent, const char *file, int line,
                 const char *func, const char *format, ...) {
        char message[2048];
        int saved_errno = errno;
        va_list ap;

        if (level <= max_level) {
                /* glibc's %m reads errno: make it name the error we were given. */
                errno = ERRNO_VALUE(error);
                va_start(ap, format);
                (void) vsnprintf(message, sizeof(message), format, ap);
                va_end(ap);

                if (use_journal) {
                        char line_buf[16];

                        (void) snprintf(line_buf, sizeof(line_buf), "%d", line);
                        if (agent)
                                (void) sd_journal_send("MESSAGE=%s", message,
                                                       "PRIORITY=%d", level,
                                                       "AGENT=%s", agent,
                                                       "CODE_FILE=%s", file,
                                                       "CODE_LINE=%s", line_buf,
                                                       "CODE_FUNC=%s", func,
                                                       NULL);
                        else
                                (void) sd_journal_send("MESSAGE=%s", message,
                                                       "PRIORITY=%d", level,
                                                       "CODE_FILE=%s", file,
                                                       "CODE_LINE=%s", line_buf,
                                                       "CODE_FUNC=%s", func,
                                                       NULL);
                } else if (agent)
                        (void) fprintf(stderr, "agentvisord: agent %s: %s\n", agent, message);
                else
                        (void) fprintf(stderr, "agentvisord: %s\n", message);
        }

        errno = saved_errno;
        return error != 0 ? -ERRNO_VALUE(error) : -EIO;
}
