/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON string escaping and the streaming emitter behind --json. */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "json.h"

void json_writer_init(JsonWriter *w, FILE *f) {
        *w = (JsonWriter) { .f = f };
        w->first[0] = true;
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_sequence_length(const unsigned char *s) {
        uint32_t cp;
        size_t len;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                len = 2;
                cp = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                len = 3;
                cp = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                len = 4;
                cp = s[0] & 0x07;
        } else
                return 0;

        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }

        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

void json_escape(FILE *f, const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        fputc('"', f);
        while (*p) {
                size_t len;

                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        p++;
                        continue;
                case '\\':
                        fputs("\\\\", f);
                        p++;
                        continue;
                case '\n':
                        fputs("\\n", f);
                        p++;
                        continue;
                case '\t':
                        fputs("\\t", f);
                        p++;
                        continue;
                case '\r':
                        fputs("\\r", f);
                        p++;
                        continue;
                case '\b':
                        fputs("\\b", f);
                        p++;
                        continue;
                case '\f':
                        fputs("\\f", f);
                        p++;
                        continue;
                default:
                        break;
                }

                if (*p < 0x20 || *p == 0x7f) {
                        fprintf(f, "\\u%04x", (unsigned) *p);
                        p++;
                        continue;
                }

                len = utf8_sequence_length(p);
                if (len == 0) {
                        fputs("\\ufffd", f);
                        p++;
                        continue;
                }
                fwrite(p, 1, len, f);
                p += len;
        }
        fputc('"', f);
}

/* Separator before a value or key at the current level. */
static void json_prefix(JsonWriter *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (!w->first[w->depth])
                fputc(',', w->f);
        w->first[w->depth] = false;
}

static void json_open(JsonWriter *w, char c) {
        json_prefix(w);
        fputc(c, w->f);
        if (w->depth + 1 < JSON_DEPTH_MAX)
                w->depth++;
        w->first[w->depth] = true;
}

static void json_close(JsonWriter *w, char c) {
        fputc(c, w->f);
        if (w->depth > 0)
                w->depth--;
}

void json_begin_object(JsonWriter *w) {
        json_open(w, '{');
}

void json_end_object(JsonWriter *w) {
        json_close(w, '}');
}

void json_begin_array(JsonWriter *w) {
        json_open(w, '[');
}

void json_end_array(JsonWriter *w) {
        json_close(w, ']');
}

void json_key(JsonWriter *w, const char *key) {
        json_prefix(w);
        json_escape(w->f, key);
        fputc(':', w->f);
        w->after_key = true;
}

void json_string(JsonWriter *w, const char *s) {
        json_prefix(w);
        if (s)
                json_escape(w->f, s);
        else
                fputs("null", w->f);
}

void json_uint(JsonWriter *w, uint64_t u) {
        json_prefix(w);
        fprintf(w->f, "%" PRIu64, u);
}

void json_int(JsonWriter *w, int64_t i) {
        json_prefix(w);
        fprintf(w->f, "%" PRIi64, i);
}

void json_bool(JsonWriter *w, bool b) {
        json_prefix(w);
        fputs(b ? "true" : "false", w->f);
}

void json_null(JsonWriter *w) {
        json_prefix(w);
        fputs("null", w->f);
}

int json_key_from_property(const char *property, char *buf, size_t size) {
        size_t n = 0;

        for (size_t i = 0; property[i]; i++) {
                const char *p = property + i;
                bool boundary;

                /* USec/NSec are one word each, not "u_sec". */
                if (strncmp(p, "USec", 4) == 0 || strncmp(p, "NSec", 4) == 0) {
                        if (n + 6 >= size)
                                return -ENOBUFS;
                        if (i > 0)
                                buf[n++] = '_';
                        buf[n++] = (char) tolower((unsigned char) p[0]);
                        memcpy(buf + n, "sec", 3);
                        n += 3;
                        i += 3;
                        continue;
                }

                boundary = i > 0 && isupper((unsigned char) p[0]) &&
                           (islower((unsigned char) p[-1]) || isdigit((unsigned char) p[-1]) ||
                            (isupper((unsigned char) p[-1]) && islower((unsigned char) p[1])));
                if (n + 3 >= size)
                        return -ENOBUFS;
                if (boundary)
                        buf[n++] = '_';
                buf[n++] = (char) tolower((unsigned char) p[0]);
        }

        if (n >= size)
                return -ENOBUFS;
        buf[n] = '\0';
        return 0;
}

void json_field_string(JsonWriter *w, const char *key, const char *s) {
        json_key(w, key);
        json_string(w, s);
}

void json_field_uint(JsonWriter *w, const char *key, uint64_t u) {
        json_key(w, key);
        json_uint(w, u);
}

void json_field_int(JsonWriter *w, const char *key, int64_t i) {
        json_key(w, key);
        json_int(w, i);
}

void json_field_bool(JsonWriter *w, const char *key, bool b) {
        json_key(w, key);
        json_bool(w, b);
}
