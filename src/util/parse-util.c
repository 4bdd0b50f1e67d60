/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsers for numbers, sizes, time spans, percentages and names, plus the
 * matching formatters. Integer arithmetic only, with overflow checks. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse-util.h"

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Reads a run of decimal digits; -ERANGE on overflow, -EINVAL if none. */
static int read_digits(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        for (; isdigit((unsigned char) *s); s++) {
                unsigned d = (unsigned) (*s - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *p = s;
        *ret = v;
        return 0;
}

/* Reads "INT[.FRAC]": integer part and the fraction as digits/10^n (n <= 18,
 * further digits are ignored since they cannot matter for any unit here). */
static int read_decimal(const char **p, uint64_t *ret_int, uint64_t *ret_frac, uint64_t *ret_frac_div) {
        const char *s = *p;
        uint64_t i = 0, frac = 0, div = 1;
        bool any = false;
        int r;

        if (isdigit((unsigned char) *s)) {
                r = read_digits(&s, &i);
                if (r < 0)
                        return r;
                any = true;
        }
        if (*s == '.') {
                s++;
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                for (; isdigit((unsigned char) *s); s++)
                        if (div < 1000000000000000000ULL) {
                                frac = frac * 10 + (uint64_t) (*s - '0');
                                div *= 10;
                        }
                any = true;
        }
        if (!any)
                return -EINVAL;

        *p = s;
        *ret_int = i;
        *ret_frac = frac;
        *ret_frac_div = div;
        return 0;
}

/* int * mult + frac * mult / div, -ERANGE when it does not fit. */
static int scale(uint64_t i, uint64_t frac, uint64_t div, uint64_t mult, uint64_t *ret) {
        unsigned __int128 v = (unsigned __int128) i * mult + (unsigned __int128) frac * mult / div;

        if (v > UINT64_MAX)
                return -ERANGE;
        *ret = (uint64_t) v;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } table[] = {
                { "E", 1ULL << 60 },
                { "P", 1ULL << 50 },
                { "T", 1ULL << 40 },
                { "G", 1ULL << 30 },
                { "M", 1ULL << 20 },
                { "K", 1ULL << 10 },
                { "B", 1 },
                { "", 1 },
        };
        uint64_t i, frac, div, v;
        const char *p = s;
        int r;

        if (!s)
                return -EINVAL;
        while (is_space(*p))
                p++;
        if (strcmp(p, "infinity") == 0) {
                *ret = UINT64_MAX;
                return 0;
        }

        r = read_decimal(&p, &i, &frac, &div);
        if (r < 0)
                return r;
        while (is_space(*p))
                p++;

        for (size_t k = 0; k < ELEMENTSOF(table); k++) {
                size_t n = strlen(table[k].suffix);
                const char *rest;

                if (strncmp(p, table[k].suffix, n) != 0)
                        continue;
                rest = p + n;
                /* "K", "KB" and "KiB" all mean 1024 here. */
                if (table[k].factor > 1) {
                        if (strncmp(rest, "iB", 2) == 0)
                                rest += 2;
                        else if (*rest == 'B')
                                rest++;
                }
                while (is_space(*rest))
                        rest++;
                if (*rest != '\0')
                        return -EINVAL;
                /* A fraction of a byte makes no sense. */
                if (table[k].factor == 1 && frac != 0)
                        return -EINVAL;

                r = scale(i, frac, div, table[k].factor, &v);
                if (r < 0)
                        return r;
                *ret = v;
                return 0;
        }
        return -EINVAL;
}

/* The units parse_time_usec() takes, as systemd spells them. */
static const struct {
        const char *unit;
        usec_t factor;
} time_units[] = {
        { "us", 1 },
        { "usec", 1 },
        { "ms", USEC_PER_MSEC },
        { "msec", USEC_PER_MSEC },
        { "s", USEC_PER_SEC },
        { "sec", USEC_PER_SEC },
        { "second", USEC_PER_SEC },
        { "seconds", USEC_PER_SEC },
        { "m", 60 * USEC_PER_SEC },
        { "min", 60 * USEC_PER_SEC },
        { "minute", 60 * USEC_PER_SEC },
        { "minutes", 60 * USEC_PER_SEC },
        { "h", 3600 * USEC_PER_SEC },
        { "hr", 3600 * USEC_PER_SEC },
        { "hour", 3600 * USEC_PER_SEC },
        { "hours", 3600 * USEC_PER_SEC },
        { "d", 86400 * USEC_PER_SEC },
        { "day", 86400 * USEC_PER_SEC },
        { "days", 86400 * USEC_PER_SEC },
        { "w", 7 * 86400 * USEC_PER_SEC },
        { "week", 7 * 86400 * USEC_PER_SEC },
        { "weeks", 7 * 86400 * USEC_PER_SEC },
};

/* The factor of the time unit unit[0..n), e.g. "min"; -EINVAL if unknown. */
static int time_unit_factor(const char *unit, size_t n, usec_t *ret) {
        for (size_t k = 0; k < ELEMENTSOF(time_units); k++)
                if (strlen(time_units[k].unit) == n && strncmp(time_units[k].unit, unit, n) == 0) {
                        *ret = time_units[k].factor;
                        return 0;
                }
        return -EINVAL;
}

int parse_time_usec(const char *s, usec_t *ret) {
        const char *p = s;
        usec_t total = 0;
        bool any = false;
        int r;

        if (!s)
                return -EINVAL;
        while (is_space(*p))
                p++;
        if (strcmp(p, "infinity") == 0) {
                *ret = USEC_INFINITY;
                return 0;
        }

        while (*p != '\0') {
                uint64_t i, frac, div, v;
                usec_t factor = USEC_PER_SEC;
                const char *unit;
                size_t n;

                r = read_decimal(&p, &i, &frac, &div);
                if (r < 0)
                        return r;
                while (is_space(*p))
                        p++;

                unit = p;
                while (isalpha((unsigned char) *p))
                        p++;
                n = (size_t) (p - unit);
                if (n > 0) {
                        r = time_unit_factor(unit, n, &factor);
                        if (r < 0)
                                return r;
                }

                r = scale(i, frac, div, factor, &v);
                if (r < 0)
                        return r;
                if (v >= USEC_INFINITY - total)
                        return -ERANGE;
                total += v;
                any = true;

                while (is_space(*p))
                        p++;
        }
        if (!any)
                return -EINVAL;

        *ret = total;
        return 0;
}

int parse_percent(const char *s, unsigned *ret) {
        uint64_t v;
        const char *p = s;
        int r;

        if (!s)
                return -EINVAL;
        r = read_digits(&p, &v);
        if (r < 0)
                return r;
        if (strcmp(p, "%") != 0)
                return -EINVAL;
        if (v == 0 || v > 10000)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_uint64(const char *s, uint64_t *ret) {
        const char *p = s;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        r = read_digits(&p, &v);
        if (r < 0)
                return r;
        if (*p != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_uint(const char *s, unsigned *ret) {
        uint64_t v;
        int r;

        r = parse_uint64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_int(const char *s, int *ret) {
        bool negative = false;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        if (*s == '-' || *s == '+') {
                negative = *s == '-';
                s++;
        }
        r = parse_uint64(s, &v);
        if (r < 0)
                return r;
        if (negative) {
                if (v > (uint64_t) INT_MAX + 1)
                        return -ERANGE;
                *ret = (int) -(int64_t) v;
        } else {
                if (v > INT_MAX)
                        return -ERANGE;
                *ret = (int) v;
        }
        return 0;
}

int parse_boolean(const char *s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

bool name_is_valid(const char *s) {
        size_t n;

        if (!s || !isalnum((unsigned char) s[0]) || !isascii((unsigned char) s[0]))
                return false;
        for (n = 1; s[n] != '\0'; n++) {
                unsigned char c = (unsigned char) s[n];

                if (n >= 64)
                        return false;
                if (!(isascii(c) && isalnum(c)) && !strchr("_.@-", c))
                        return false;
        }
        return true;
}

bool user_name_is_valid(const char *s) {
        size_t n;

        if (!s || s[0] == '\0' || s[0] == '-' || s[0] == '.')
                return false;
        for (n = 0; s[n] != '\0'; n++) {
                unsigned char c = (unsigned char) s[n];

                if (n >= 32)
                        return false;
                if (c == '$' && s[n + 1] == '\0' && n > 0)
                        break;
                if (!(isascii(c) && isalnum(c)) && !strchr("_.-", c))
                        return false;
        }
        return true;
}

const char *format_timespan(char *buf, size_t size, usec_t t) {
        static const struct {
                const char *unit;
                usec_t factor;
        } table[] = {
                { "d", 86400 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "s", USEC_PER_SEC },
                { "ms", USEC_PER_MSEC },
                { "us", 1 },
        };
        size_t used = 0;

        if (size == 0)
                return buf;
        if (t == USEC_INFINITY) {
                (void) snprintf(buf, size, "infinity");
                return buf;
        }
        if (t == 0) {
                (void) snprintf(buf, size, "0");
                return buf;
        }

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(table) && t > 0; i++) {
                usec_t n = t / table[i].factor;
                int k;

                if (n == 0)
                        continue;
                t -= n * table[i].factor;
                k = snprintf(buf + used, size - used, "%s%llu%s", used > 0 ? " " : "",
                             (unsigned long long) n, table[i].unit);
                if (k < 0 || (size_t) k >= size - used)
                        break;
                used += (size_t) k;
        }
        return buf;
}

const char *format_size(char *buf, size_t size, uint64_t bytes) {
        static const struct {
                char suffix;
                uint64_t factor;
        } table[] = {
                { 'E', 1ULL << 60 },
                { 'P', 1ULL << 50 },
                { 'T', 1ULL << 40 },
                { 'G', 1ULL << 30 },
                { 'M', 1ULL << 20 },
                { 'K', 1ULL << 10 },
        };

        if (size == 0)
                return buf;
        if (bytes == UINT64_MAX) {
                (void) snprintf(buf, size, "infinity");
                return buf;
        }
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (bytes >= table[i].factor) {
                        uint64_t whole = bytes / table[i].factor;
                        uint64_t tenths = (bytes % table[i].factor) * 10 / table[i].factor;

                        (void) snprintf(buf, size, "%llu.%llu%c", (unsigned long long) whole,
                                        (unsigned long long) tenths, table[i].suffix);
                        return buf;
                }
        (void) snprintf(buf, size, "%lluB", (unsigned long long) bytes);
        return buf;
}
