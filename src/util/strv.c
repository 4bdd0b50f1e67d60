/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string vectors, environment blocks and quoted splitting. */
#include <string.h>

#include "strv.h"

char **strv_free(char **l) {
        STRV_FOREACH(s, l)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;

        if (!l)
                return 0;
        while (l[n])
                n++;
        return n;
}

char **strv_copy(char * const *l) {
        size_t n = strv_length(l);
        char **c;

        c = calloc(n + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return strv_free(c);
        }
        return c;
}

int strv_push(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c;

        if (!value)
                return -EINVAL;
        c = reallocarray(*l, n + 2, sizeof(char *));
        if (!c)
                return -ENOMEM;
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        char *v;
        int r;

        v = strdup(value);
        if (!v)
                return -ENOMEM;
        r = strv_push(l, v);
        if (r < 0)
                free(v);
        return r;
}

int strv_extend_strv(char ***a, char * const *b) {
        STRV_FOREACH(s, (char **) b) {
                int r = strv_extend(a, *s);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool strv_contains(char * const *l, const char *s) {
        STRV_FOREACH(i, (char **) l)
                if (strcmp(*i, s) == 0)
                        return true;
        return false;
}

char *strv_join(char * const *l, const char *sep) {
        size_t len = 0, sep_len = strlen(sep), n = 0;
        char *j, *p;

        STRV_FOREACH(s, (char **) l) {
                len += strlen(*s);
                n++;
        }
        if (n > 1)
                len += (n - 1) * sep_len;

        j = malloc(len + 1);
        if (!j)
                return NULL;
        p = j;
        STRV_FOREACH(s, (char **) l) {
                if (p != j || s != l) {
                        memcpy(p, sep, sep_len);
                        p += sep_len;
                }
                p = stpcpy(p, *s);
        }
        *p = '\0';
        return j;
}

static size_t env_key_length(const char *assignment) {
        const char *eq = strchr(assignment, '=');

        return eq ? (size_t) (eq - assignment) : 0;
}

int strv_env_set(char ***l, const char *assignment) {
        size_t k = env_key_length(assignment);
        char *v;

        if (k == 0)
                return -EINVAL;

        v = strdup(assignment);
        if (!v)
                return -ENOMEM;

        STRV_FOREACH(s, *l)
                if (strncmp(*s, assignment, k + 1) == 0) {
                        free(*s);
                        *s = v;
                        return 0;
                }

        int r = strv_push(l, v);
        if (r < 0)
                free(v);
        return r;
}

const char *strv_env_get(char * const *l, const char *key) {
        size_t k = strlen(key);

        STRV_FOREACH(s, (char **) l)
                if (strncmp(*s, key, k) == 0 && (*s)[k] == '=')
                        return *s + k + 1;
        return NULL;
}

static int unescape(char c) {
        switch (c) {
        case 'n':
                return '\n';
        case 't':
                return '\t';
        case 'r':
                return '\r';
        case 'a':
                return '\a';
        case 'b':
                return '\b';
        case 'f':
                return '\f';
        case 'v':
                return '\v';
        case 's':
                return ' ';
        default:
                return (unsigned char) c;
        }
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int strv_split_quoted(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *word = NULL;
        const char *p = s;
        int r;

        if (!s)
                return -EINVAL;

        /* Every word is at most as long as the input. */
        word = malloc(strlen(s) + 1);
        if (!word)
                return -ENOMEM;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;

        for (;;) {
                char quote = 0;
                size_t n = 0;

                while (is_blank(*p))
                        p++;
                if (*p == '\0')
                        break;

                /* A word runs to the next unquoted blank; quoted parts join it. */
                for (; *p != '\0'; p++) {
                        if (quote == '\'') {
                                if (*p == '\'')
                                        quote = 0;
                                else
                                        word[n++] = *p;
                        } else if (*p == '\\') {
                                p++;
                                if (*p == '\0')
                                        return -EINVAL;
                                word[n++] = (char) unescape(*p);
                        } else if (quote == '"') {
                                if (*p == '"')
                                        quote = 0;
                                else
                                        word[n++] = *p;
                        } else if (*p == '"' || *p == '\'')
                                quote = *p;
                        else if (is_blank(*p))
                                break;
                        else
                                word[n++] = *p;
                }
                if (quote != 0)
                        return -EINVAL;

                word[n] = '\0';
                r = strv_extend(&l, word);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(l);
        return 0;
}
