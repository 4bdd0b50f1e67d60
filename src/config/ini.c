/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The INI reader behind agentvisor.conf and agents.d files. */
#include <stdbool.h>
#include <string.h>

#include "ini.h"
#include "macro.h"

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char *strip(char *s) {
        char *e;

        while (is_blank(*s))
                s++;
        e = s + strlen(s);
        while (e > s && is_blank(e[-1]))
                e--;
        *e = '\0';
        return s;
}

/* Cuts a " # comment" that follows whitespace outside quotes, so values may
 * still contain "#" inside words or quoted strings. */
static void cut_trailing_comment(char *s) {
        char quote = 0;

        for (char *p = s; *p; p++) {
                if (*p == '\\' && p[1] != '\0') {
                        p++;
                        continue;
                }
                if (quote) {
                        if (*p == quote)
                                quote = 0;
                } else if (*p == '"' || *p == '\'')
                        quote = *p;
                else if (*p == '#' && p > s && is_blank(p[-1])) {
                        *p = '\0';
                        return;
                }
        }
}

static int parse_header(char *l, const char *file, unsigned line, char **ret_section, char **ret_arg,
                        Diagnostic *diag) {
        char *end, *name, *arg = NULL;

        end = strchr(l, ']');
        if (!end) {
                diag_set(diag, file, line, 1, "", "section header is missing ']'");
                return -EINVAL;
        }
        if (*strip(end + 1) != '\0') {
                diag_set(diag, file, line, (unsigned) (end - l) + 2, "",
                         "unexpected text after section header");
                return -EINVAL;
        }
        *end = '\0';

        name = strip(l + 1);
        for (char *p = name; *p; p++)
                if (is_blank(*p)) {
                        *p = '\0';
                        arg = strip(p + 1);
                        break;
                }
        if (*name == '\0') {
                diag_set(diag, file, line, 1, "", "empty section name");
                return -EINVAL;
        }
        if (arg && strpbrk(arg, " \t")) {
                diag_set(diag, file, line, 1, name, "section [%s] takes one argument, got \"%s\"", name, arg);
                return -EINVAL;
        }

        *ret_section = name;
        *ret_arg = arg;
        return 0;
}

typedef struct IniParser {
        const char *file;
        IniSectionCallback on_section;
        IniKeyCallback on_key;
        void *userdata;
        char *section;                  /* the current section, NULL before the first */
        char *section_arg;
} IniParser;

static void ini_parser_done(IniParser *p) {
        p->section = mfree(p->section);
        p->section_arg = mfree(p->section_arg);
}

static int parse_section_line(IniParser *p, char *l, unsigned line, Diagnostic *diag) {
        char *name, *arg;
        int r;

        r = parse_header(l, p->file, line, &name, &arg, diag);
        if (r < 0)
                return r;
        free(p->section);
        free(p->section_arg);
        p->section = strdup(name);
        p->section_arg = arg ? strdup(arg) : NULL;
        if (!p->section || (arg && !p->section_arg))
                return -ENOMEM;
        if (p->on_section)
                return p->on_section(p->file, line, p->section, p->section_arg, p->userdata, diag);
        return 0;
}

static int parse_key_line(IniParser *p, char *l, unsigned line, Diagnostic *diag) {
        char *key, *value, *eq;

        eq = strchr(l, '=');
        if (!eq) {
                diag_set(diag, p->file, line, 1, "", "expected Key=Value, got \"%s\"", l);
                return -EINVAL;
        }
        *eq = '\0';
        key = strip(l);
        value = strip(eq + 1);
        if (*key == '\0') {
                diag_set(diag, p->file, line, 1, "", "missing key name before '='");
                return -EINVAL;
        }
        if (!p->section) {
                diag_set(diag, p->file, line, 1, key, "%s= appears before any section header", key);
                return -EINVAL;
        }
        if (p->on_key)
                return p->on_key(p->file, line, p->section, p->section_arg, key, value, p->userdata, diag);
        return 0;
}

int ini_parse_string(const char *text, const char *file, IniSectionCallback on_section,
                     IniKeyCallback on_key, void *userdata, Diagnostic *diag) {
        _cleanup_(ini_parser_done) IniParser p = {
                .file = file,
                .on_section = on_section,
                .on_key = on_key,
                .userdata = userdata,
        };
        _cleanup_free_ char *buf = NULL, *logical = NULL;
        size_t logical_len = 0;
        unsigned line = 0, logical_line = 0;
        char *next;
        int r;

        buf = strdup(text);
        if (!buf)
                return -ENOMEM;
        /* A logical line is never longer than the whole text. */
        logical = malloc(strlen(text) + 2);
        if (!logical)
                return -ENOMEM;

        for (char *cur = buf; cur; cur = next) {
                bool continued = false;
                char *l;

                next = strchr(cur, '\n');
                if (next)
                        *next++ = '\0';
                line++;

                l = strip(cur);
                if (*l == '#' || *l == ';') {
                        /* Comment lines inside a continuation are skipped, as in systemd. */
                        if (logical_len == 0 || next)
                                continue;
                        *l = '\0';
                }
                if (logical_len == 0 && *l == '\0')
                        continue;

                cut_trailing_comment(l);
                l = strip(l);
                if (*l != '\0' && l[strlen(l) - 1] == '\\' && next) {
                        l[strlen(l) - 1] = '\0';
                        l = strip(l);
                        continued = true;
                }

                if (logical_len == 0)
                        logical_line = line;
                else if (*l != '\0')
                        logical[logical_len++] = ' ';
                memcpy(logical + logical_len, l, strlen(l) + 1);
                logical_len += strlen(l);
                if (continued)
                        continue;

                logical_len = 0;
                if (*logical == '\0')
                        continue;
                r = *logical == '[' ? parse_section_line(&p, logical, logical_line, diag)
                                    : parse_key_line(&p, logical, logical_line, diag);
                if (r < 0)
                        return r;
        }
        return 0;
}
