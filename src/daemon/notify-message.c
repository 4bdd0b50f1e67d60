/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parser for sd_notify datagrams. */
#include <errno.h>
#include <string.h>

#include "notify-message.h"

static bool line_is(const char *line, size_t len, const char *literal) {
        size_t n = strlen(literal);
        return len == n && memcmp(line, literal, n) == 0;
}

static bool line_has_prefix(const char *line, size_t len, const char *prefix) {
        size_t n = strlen(prefix);
        return len >= n && memcmp(line, prefix, n) == 0;
}

/* Cut at most `max` bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max) {
        if (len <= max)
                return len;
        size_t n = max;
        while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
                n--;
        return n;
}

static bool assignment_is_wellformed(const char *line, size_t len) {
        size_t i = 0;
        while (i < len && ((line[i] >= 'A' && line[i] <= 'Z') || (line[i] >= '0' && line[i] <= '9') ||
                           line[i] == '_'))
                i++;
        return i > 0 && i < len && line[i] == '=';
}

static bool parse_errno(const char *s, size_t len, int *ret) {
        int v = 0;
        if (len == 0 || len > 4)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        if (v > 4095)
                return false;
        *ret = v;
        return true;
}

int notify_message_parse(const char *buf, size_t size, NotifyMessage *ret) {
        NotifyMessage m = {};
        unsigned n_valid = 0;

        if (size > NOTIFY_DATAGRAM_MAX)
                return -EMSGSIZE;
        if (memchr(buf, 0, size))
                return -EBADMSG;

        for (size_t pos = 0; pos < size;) {
                const char *line = buf + pos;
                const char *nl = memchr(line, '\n', size - pos);
                size_t len = nl ? (size_t) (nl - line) : size - pos;
                pos += len + 1;

                if (len == 0)
                        continue;
                if (line_is(line, len, "READY=1"))
                        m.ready = true;
                else if (line_is(line, len, "STOPPING=1"))
                        m.stopping = true;
                else if (line_is(line, len, "WATCHDOG=1"))
                        m.watchdog_ping = true;
                else if (line_is(line, len, "WATCHDOG=trigger"))
                        m.watchdog_trigger = true;
                else if (line_has_prefix(line, len, "STATUS=")) {
                        size_t n = utf8_cut(line + 7, len - 7, NOTIFY_STATUS_MAX);
                        memcpy(m.status, line + 7, n);
                        m.status[n] = 0;
                        m.has_status = true;
                } else if (line_has_prefix(line, len, "ERRNO=") &&
                           parse_errno(line + 6, len - 6, &m.errno_value))
                        m.has_errno = true;
                else if (!assignment_is_wellformed(line, len)) {
                        m.n_ignored++;
                        continue;
                }
                /* Well-formed keys we do not act on (MAINPID=, FDSTORE=, ...)
                 * are part of the protocol: accepted and ignored. */
                n_valid++;
        }

        if (n_valid == 0)
                return -EBADMSG;
        *ret = m;
        return 0;
}
