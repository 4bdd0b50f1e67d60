/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pieces of a policy line: tokens, actions, errno values, numbers,
 * values with constants, and `argN [& MASK] OP VALUE` conditions. Every
 * error names the column and says what was expected. */
#include <ctype.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-parser.h"
#include "string-table.h"

static const char *const policy_op_table[_POLICY_OP_MAX] = {
        [POLICY_OP_EQ] = "==",
        [POLICY_OP_NE] = "!=",
        [POLICY_OP_LT] = "<",
        [POLICY_OP_LE] = "<=",
        [POLICY_OP_GT] = ">",
        [POLICY_OP_GE] = ">=",
};

DEFINE_STRING_TABLE_LOOKUP(policy_op, PolicyOp);

const char *parser_file(const Parser *ps) {
        return ps->stack[ps->depth - 1].path;
}

int parser_fail(Parser *ps, int error, unsigned column, const char *format, ...) {
        char message[sizeof(ps->diag->message)];
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(message, sizeof(message), format, ap);
        va_end(ap);
        diag_set(ps->diag, parser_file(ps), ps->line, column, "", "%s", message);
        return error;
}

int parser_fail_expected(Parser *ps, size_t i, const char *what) {
        if (i >= ps->n_tokens)
                return parser_fail(ps, -EINVAL, ps->end_column, "expected %s, got end of line", what);
        return parser_fail(ps, -EINVAL, ps->tokens[i].column, "expected %s, got " TOKEN_FMT, what,
                           TOKEN_ARG(&ps->tokens[i]));
}

bool token_is(const Token *t, const char *s) {
        return !t->op && strlen(s) == t->len && memcmp(t->s, s, t->len) == 0;
}

bool token_is_op(const Token *t, const char *s) {
        return t->op && strlen(s) == t->len && memcmp(t->s, s, t->len) == 0;
}

char *token_strdup(const Token *t) {
        return strndup(t->s, t->len);
}

static int token_push(Parser *ps, const char *s, size_t len, unsigned column, bool op) {
        if (ps->n_tokens == ps->allocated_tokens) {
                size_t n = ps->allocated_tokens ? ps->allocated_tokens * 2 : 64;
                Token *t = reallocarray(ps->tokens, n, sizeof(Token));
                if (!t)
                        return -ENOMEM;
                ps->tokens = t;
                ps->allocated_tokens = n;
        }
        ps->tokens[ps->n_tokens++] = (Token) { .s = s, .len = len, .column = column, .op = op };
        return 0;
}

static bool is_op_char(char c) {
        return c != '\0' && strchr("=!<>&|", c);
}

int parser_tokenize(Parser *ps, const char *line, size_t len) {
        size_t i = 0;
        int r;

        ps->n_tokens = 0;
        ps->end_column = 1;
        while (i < len) {
                char c = line[i];
                size_t start = i;

                if (c == ' ' || c == '\t' || c == '\r') {
                        i++;
                        continue;
                }
                if (c == '#')
                        break;
                if (is_op_char(c)) {
                        bool two = i + 1 < len && line[i + 1] == '=' && strchr("=!<>", c);

                        if (!two && (c == '=' || c == '!'))
                                return parser_fail(ps, -EINVAL, (unsigned) i + 1,
                                                   "unexpected '%c'; comparisons are written ==, !=, <, <=, >, >=",
                                                   c);
                        i += two ? 2 : 1;
                        r = token_push(ps, line + start, i - start, (unsigned) start + 1, true);
                } else {
                        while (i < len && !strchr(" \t\r#", line[i]) && !is_op_char(line[i]))
                                i++;
                        r = token_push(ps, line + start, i - start, (unsigned) start + 1, false);
                }
                if (r < 0)
                        return r;
                ps->end_column = (unsigned) i + 1;
        }
        return 0;
}

int parse_errno_value(Parser *ps, size_t i, uint32_t *ret) {
        const Token *t;
        char buf[64];
        int e;

        if (i >= ps->n_tokens || ps->tokens[i].op || token_is(&ps->tokens[i], "if"))
                return parser_fail_expected(ps, i, "an errno name or number after 'errno'");
        t = &ps->tokens[i];
        if (t->len >= sizeof(buf))
                return parser_fail(ps, -EINVAL, t->column, "unknown errno " TOKEN_FMT, TOKEN_ARG(t));
        memcpy(buf, t->s, t->len);
        buf[t->len] = '\0';

        if (isdigit((unsigned char) buf[0])) {
                char *end;
                unsigned long v;

                errno = 0;
                v = strtoul(buf, &end, 10);
                if (errno != 0 || *end != '\0' || v < 1 || v > 4095)
                        return parser_fail(ps, -EINVAL, t->column,
                                           "errno value %s is not a number from 1 to 4095", buf);
                e = (int) v;
        } else {
                e = policy_errno_from_name(buf);
                if (e <= 0)
                        return parser_fail(ps, -EINVAL, t->column,
                                           "unknown errno '%s' (expected a name like EPERM or a number)", buf);
        }
        *ret = SECCOMP_RET_ERRNO | (uint32_t) e;
        return 0;
}

/* An action at tokens[*i]; advances *i past it. */
int parse_action(Parser *ps, size_t *i, const char *after, uint32_t *ret) {
        char what[96];
        const Token *t;

        (void) snprintf(what, sizeof(what), "an action (allow, kill, log or errno NAME) after '%s'", after);
        if (*i >= ps->n_tokens)
                return parser_fail_expected(ps, *i, what);
        t = &ps->tokens[*i];
        if (token_is(t, "allow"))
                *ret = SECCOMP_RET_ALLOW;
        else if (token_is(t, "kill"))
                *ret = SECCOMP_RET_KILL_PROCESS;
        else if (token_is(t, "log"))
                *ret = SECCOMP_RET_LOG;
        else if (token_is(t, "errno")) {
                int r = parse_errno_value(ps, *i + 1, ret);
                if (r < 0)
                        return r;
                (*i)++;
        } else
                return parser_fail_expected(ps, *i, what);
        (*i)++;
        return 0;
}

static int parse_number(Parser *ps, const Token *t, uint64_t *ret) {
        char buf[32];
        const char *digits;
        char *end;
        unsigned long long v;
        bool negative;

        if (t->len >= sizeof(buf))
                return parser_fail(ps, -EINVAL, t->column, "invalid number " TOKEN_FMT, TOKEN_ARG(t));
        memcpy(buf, t->s, t->len);
        buf[t->len] = '\0';

        negative = buf[0] == '-';
        digits = buf + negative;
        if (!isdigit((unsigned char) digits[0]))
                return parser_fail(ps, -EINVAL, t->column, "invalid number '%s'", buf);
        errno = 0;
        v = strtoull(digits, &end, 0);
        if (*end != '\0')
                return parser_fail(ps, -EINVAL, t->column, "invalid number '%s'", buf);
        if (errno == ERANGE || (negative && v > (1ULL << 63)))
                return parser_fail(ps, -EINVAL, t->column, "number '%s' is out of range", buf);
        *ret = negative ? (uint64_t) 0 - v : v;
        return 0;
}

/* VALUE := TERM ('|' TERM)*, TERM := number | constant. */
static int parse_value(Parser *ps, size_t *i, const char *after, uint64_t *ret, char **text) {
        uint64_t value = 0;
        char what[64];
        char *s = NULL;
        size_t s_len = 0;
        FILE *f;

        f = open_memstream(&s, &s_len);
        if (!f)
                return -ENOMEM;

        (void) snprintf(what, sizeof(what), "a value after '%s'", after);
        for (;;) {
                const Token *t;
                uint64_t v;
                int r;

                if (*i >= ps->n_tokens || ps->tokens[*i].op) {
                        fclose(f);
                        free(s);
                        return parser_fail_expected(ps, *i, what);
                }
                t = &ps->tokens[*i];
                if (isdigit((unsigned char) t->s[0]) || t->s[0] == '-')
                        r = parse_number(ps, t, &v);
                else {
                        char name[64];

                        if (t->len >= sizeof(name))
                                r = parser_fail(ps, -EINVAL, t->column, "unknown constant " TOKEN_FMT, TOKEN_ARG(t));
                        else {
                                memcpy(name, t->s, t->len);
                                name[t->len] = '\0';
                                r = policy_constant_lookup(name, &v);
                                if (r < 0)
                                        r = parser_fail(ps, -EINVAL, t->column, "unknown constant '%s'", name);
                        }
                }
                if (r < 0) {
                        fclose(f);
                        free(s);
                        return r;
                }
                value |= v;
                fprintf(f, "%s%.*s", ftell(f) > 0 ? "|" : "", (int) t->len, t->s);
                (*i)++;
                if (*i < ps->n_tokens && token_is_op(&ps->tokens[*i], "|")) {
                        (*i)++;
                        (void) snprintf(what, sizeof(what), "a value after '|'");
                        continue;
                }
                break;
        }
        if (fclose(f) != 0) {
                free(s);
                return -ENOMEM;
        }
        *ret = value;
        *text = s;
        return 0;
}

static int parse_op(const Token *t, PolicyOp *ret) {
        char buf[3];
        PolicyOp op;

        /* Operators are one or two characters; '&' and '|' are not in the table. */
        if (!t->op || t->len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, t->s, t->len);
        buf[t->len] = '\0';
        op = policy_op_from_string(buf);
        if (op < 0)
                return op;
        *ret = op;
        return 0;
}

void condition_set_free(PolicyConditionSet *cs) {
        if (!cs)
                return;
        for (unsigned i = 0; i < cs->n_conditions; i++)
                free(cs->conditions[i].text);
        free(cs);
}

/* `argN [& MASK] OP VALUE` at tokens[*i]. value_column gets the VALUE's
 * column for later per-syscall range errors. */
static int parse_condition(Parser *ps, size_t *i, PolicyCondition *c, unsigned *value_column) {
        _cleanup_free_ char *mask_text = NULL, *value_text = NULL;
        const char *expected_cmp = "a comparison operator (==, !=, <, <=, >, >=) or '&'";
        const Token *t;
        char *text;
        int r;

        if (*i >= ps->n_tokens || ps->tokens[*i].op)
                return parser_fail_expected(ps, *i, "an argument 'arg0' to 'arg5'");
        t = &ps->tokens[*i];
        if (t->len != 4 || memcmp(t->s, "arg", 3) != 0 || t->s[3] < '0' || t->s[3] > '5')
                return parser_fail_expected(ps, *i, "an argument 'arg0' to 'arg5'");
        *c = (PolicyCondition) { .arg = (unsigned) (t->s[3] - '0') };
        (*i)++;

        if (*i < ps->n_tokens && token_is_op(&ps->tokens[*i], "&")) {
                (*i)++;
                r = parse_value(ps, i, "&", &c->mask, &mask_text);
                if (r < 0)
                        return r;
                c->masked = true;
                expected_cmp = "a comparison operator (==, !=, <, <=, >, >=) after the mask";
        }

        if (*i >= ps->n_tokens || parse_op(&ps->tokens[*i], &c->op) < 0)
                return parser_fail_expected(ps, *i, expected_cmp);
        (*i)++;

        *value_column = *i < ps->n_tokens ? ps->tokens[*i].column : ps->end_column;
        r = parse_value(ps, i, policy_op_to_string(c->op), &c->value, &value_text);
        if (r < 0)
                return r;

        if (c->masked)
                r = asprintf(&text, "arg%u & %s %s %s", c->arg, mask_text, policy_op_to_string(c->op), value_text);
        else
                r = asprintf(&text, "arg%u %s %s", c->arg, policy_op_to_string(c->op), value_text);
        if (r < 0)
                return -ENOMEM;
        c->text = text;
        return 0;
}

int parse_conditions(Parser *ps, size_t i, PolicyConditionSet **ret, unsigned *value_columns) {
        PolicyConditionSet *cs;
        int r;

        cs = calloc(1, sizeof(*cs));
        if (!cs)
                return -ENOMEM;

        for (;;) {
                if (cs->n_conditions >= POLICY_CONDITIONS_MAX) {
                        condition_set_free(cs);
                        return parser_fail(ps, -EINVAL, ps->tokens[i].column,
                                           "too many conditions (at most %u per rule)", POLICY_CONDITIONS_MAX);
                }
                r = parse_condition(ps, &i, &cs->conditions[cs->n_conditions],
                                    &value_columns[cs->n_conditions]);
                if (r < 0) {
                        condition_set_free(cs);
                        return r;
                }
                cs->n_conditions++;
                if (i >= ps->n_tokens)
                        break;
                if (!token_is(&ps->tokens[i], "and")) {
                        condition_set_free(cs);
                        return parser_fail_expected(ps, i, "'and' or end of line");
                }
                i++;
        }
        *ret = cs;
        return 0;
}
