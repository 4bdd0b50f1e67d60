/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parser for sd_notify datagrams. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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

/* Length of the well-formed UTF-8 character at s (at most len bytes), or 0.
 * Well-formed as sd-bus checks strings: shortest form, no surrogates, at
 * most U+10FFFF, no noncharacters (U+FDD0..U+FDEF, U+xxFFFE, U+xxFFFF). */
static size_t utf8_char_len(const unsigned char *s, size_t len) {
        size_t n;
        uint32_t c;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xC2 && s[0] <= 0xDF)
                n = 2, c = s[0] & 0x1F;
        else if (s[0] >= 0xE0 && s[0] <= 0xEF)
                n = 3, c = s[0] & 0x0F;
        else if (s[0] >= 0xF0 && s[0] <= 0xF4)
                n = 4, c = s[0] & 0x07;
        else
                return 0;
        if (len < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3F);
        }
        if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10FFFF ||
            (c >= 0xD800 && c <= 0xDFFF) || (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE)
                return 0;
        return n;
}

/* Copies STATUS= text into ret (NOTIFY_STATUS_MAX bytes at most, plus the
 * NUL). The text goes out on the bus, where a string that is not valid UTF-8
 * would make sd-bus refuse every message carrying it (GetManagedObjects for
 * all clients), and to terminals: each byte of an invalid sequence and each
 * control character becomes the four characters \xNN, as systemd escapes
 * invalid UTF-8. The text is cut at a character boundary, never inside an
 * escape. */
void notify_status_sanitize(const char *text, size_t len, char ret[static NOTIFY_STATUS_MAX + 1]) {
        const unsigned char *s = (const unsigned char *) text;
        size_t out = 0;

        for (size_t i = 0; i < len;) {
                size_t n = utf8_char_len(s + i, len - i);

                if (n == 1 && (s[i] < 0x20 || s[i] == 0x7F))
                        n = 0;
                if (n == 0) {
                        if (out + 4 > NOTIFY_STATUS_MAX)
                                break;
                        out += (size_t) snprintf(ret + out, 5, "\\x%02x", s[i]);
                        i++;
                        continue;
                }
                if (out + n > NOTIFY_STATUS_MAX)
                        break;
                memcpy(ret + out, s + i, n);
                out += n;
                i += n;
        }
        ret[out] = 0;
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
                        notify_status_sanitize(line + 7, len - 7, m.status);
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

#define TOKEN 1000000u                  /* one message, in millionths */

bool notify_ratelimit_take(NotifyRateLimit *rl, uint64_t now_usec) {
        const uint64_t full = (uint64_t) NOTIFY_RATE_BURST * TOKEN;

        if (!rl->started) {
                *rl = (NotifyRateLimit) { .tokens = full, .last_usec = now_usec, .started = true };
        } else if (now_usec > rl->last_usec) {
                /* usec * messages/s = millionths of a message; a long quiet
                 * time refills the bucket, compared before multiplying so it
                 * cannot overflow. */
                uint64_t elapsed = now_usec - rl->last_usec;

                if (elapsed >= full / NOTIFY_RATE_PER_SEC)
                        rl->tokens = full;
                else
                        rl->tokens = rl->tokens + elapsed * NOTIFY_RATE_PER_SEC > full
                                             ? full
                                             : rl->tokens + elapsed * NOTIFY_RATE_PER_SEC;
                rl->last_usec = now_usec;
        }
        if (rl->tokens < TOKEN)
                return false;
        rl->tokens -= TOKEN;
        return true;
}
