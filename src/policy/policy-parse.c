/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy language parser: one line at a time into per-syscall rule
 * lists, following includes. Every error names file, line and column and
 * says what was expected. */
#include <ctype.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "policy-internal.h"
#include "string-table.h"

typedef struct Token {
        const char *s;
        size_t len;
        unsigned column;
        bool op;                /* one of == != < <= > >= & | */
} Token;

typedef struct Frame {
        const char *path;       /* for diagnostics and relative includes */
        bool has_id;
        dev_t dev;
        ino_t ino;
} Frame;

typedef struct Parser {
        Policy *policy;
        char * const *search_path;
        Diagnostic *diag;
        Frame stack[POLICY_INCLUDE_DEPTH_MAX];
        unsigned depth;
        Token *tokens;          /* the current line's, reused */
        size_t n_tokens, allocated_tokens;
        unsigned line;
        unsigned end_column;    /* column just past the line's last token */
} Parser;

static const char *const policy_op_table[_POLICY_OP_MAX] = {
        [POLICY_OP_EQ] = "==",
        [POLICY_OP_NE] = "!=",
        [POLICY_OP_LT] = "<",
        [POLICY_OP_LE] = "<=",
        [POLICY_OP_GT] = ">",
        [POLICY_OP_GE] = ">=",
};

DEFINE_STRING_TABLE_LOOKUP(policy_op, PolicyOp);

static const char *cur_file(const Parser *ps) {
        return ps->stack[ps->depth - 1].path;
}

_printf_(4, 5)
static int fail(Parser *ps, int error, unsigned column, const char *format, ...) {
        char message[sizeof(ps->diag->message)];
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(message, sizeof(message), format, ap);
        va_end(ap);
        diag_set(ps->diag, cur_file(ps), ps->line, column, "", "%s", message);
        return error;
}

/* Prints a token for a message, cut short so messages stay readable. */
#define TOKEN_FMT "'%.*s'"
#define TOKEN_ARG(t) (int) MIN((t)->len, (size_t) 64), (t)->s

static int fail_expected(Parser *ps, size_t i, const char *what) {
        if (i >= ps->n_tokens)
                return fail(ps, -EINVAL, ps->end_column, "expected %s, got end of line", what);
        return fail(ps, -EINVAL, ps->tokens[i].column, "expected %s, got " TOKEN_FMT, what,
                    TOKEN_ARG(&ps->tokens[i]));
}

static bool token_is(const Token *t, const char *s) {
        return !t->op && strlen(s) == t->len && memcmp(t->s, s, t->len) == 0;
}

static bool token_is_op(const Token *t, const char *s) {
        return t->op && strlen(s) == t->len && memcmp(t->s, s, t->len) == 0;
}

static char *token_strdup(const Token *t) {
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

static int tokenize(Parser *ps, const char *line, size_t len) {
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
                                return fail(ps, -EINVAL, (unsigned) i + 1,
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

static int parse_errno_value(Parser *ps, size_t i, uint32_t *ret) {
        const Token *t;
        char buf[64];
        int e;

        if (i >= ps->n_tokens || ps->tokens[i].op || token_is(&ps->tokens[i], "if"))
                return fail_expected(ps, i, "an errno name or number after 'errno'");
        t = &ps->tokens[i];
        if (t->len >= sizeof(buf))
                return fail(ps, -EINVAL, t->column, "unknown errno " TOKEN_FMT, TOKEN_ARG(t));
        memcpy(buf, t->s, t->len);
        buf[t->len] = '\0';

        if (isdigit((unsigned char) buf[0])) {
                char *end;
                unsigned long v;

                errno = 0;
                v = strtoul(buf, &end, 10);
                if (errno != 0 || *end != '\0' || v < 1 || v > 4095)
                        return fail(ps, -EINVAL, t->column,
                                    "errno value %s is not a number from 1 to 4095", buf);
                e = (int) v;
        } else {
                e = policy_errno_from_name(buf);
                if (e <= 0)
                        return fail(ps, -EINVAL, t->column,
                                    "unknown errno '%s' (expected a name like EPERM or a number)", buf);
        }
        *ret = SECCOMP_RET_ERRNO | (uint32_t) e;
        return 0;
}

/* An action at tokens[*i]; advances *i past it. */
static int parse_action(Parser *ps, size_t *i, const char *after, uint32_t *ret) {
        char what[96];
        const Token *t;

        (void) snprintf(what, sizeof(what), "an action (allow, kill, log or errno NAME) after '%s'", after);
        if (*i >= ps->n_tokens)
                return fail_expected(ps, *i, what);
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
                return fail_expected(ps, *i, what);
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
                return fail(ps, -EINVAL, t->column, "invalid number " TOKEN_FMT, TOKEN_ARG(t));
        memcpy(buf, t->s, t->len);
        buf[t->len] = '\0';

        negative = buf[0] == '-';
        digits = buf + negative;
        if (!isdigit((unsigned char) digits[0]))
                return fail(ps, -EINVAL, t->column, "invalid number '%s'", buf);
        errno = 0;
        v = strtoull(digits, &end, 0);
        if (*end != '\0')
                return fail(ps, -EINVAL, t->column, "invalid number '%s'", buf);
        if (errno == ERANGE || (negative && v > (1ULL << 63)))
                return fail(ps, -EINVAL, t->column, "number '%s' is out of range", buf);
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
                        return fail_expected(ps, *i, what);
                }
                t = &ps->tokens[*i];
                if (isdigit((unsigned char) t->s[0]) || t->s[0] == '-')
                        r = parse_number(ps, t, &v);
                else {
                        char name[64];

                        if (t->len >= sizeof(name))
                                r = fail(ps, -EINVAL, t->column, "unknown constant " TOKEN_FMT, TOKEN_ARG(t));
                        else {
                                memcpy(name, t->s, t->len);
                                name[t->len] = '\0';
                                r = policy_constant_lookup(name, &v);
                                if (r < 0)
                                        r = fail(ps, -EINVAL, t->column, "unknown constant '%s'", name);
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

static void condition_set_free(PolicyConditionSet *cs) {
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
                return fail_expected(ps, *i, "an argument 'arg0' to 'arg5'");
        t = &ps->tokens[*i];
        if (t->len != 4 || memcmp(t->s, "arg", 3) != 0 || t->s[3] < '0' || t->s[3] > '5')
                return fail_expected(ps, *i, "an argument 'arg0' to 'arg5'");
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
                return fail_expected(ps, *i, expected_cmp);
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

static int parse_conditions(Parser *ps, size_t i, PolicyConditionSet **ret, unsigned *value_columns) {
        PolicyConditionSet *cs;
        int r;

        cs = calloc(1, sizeof(*cs));
        if (!cs)
                return -ENOMEM;

        for (;;) {
                if (cs->n_conditions >= POLICY_CONDITIONS_MAX) {
                        condition_set_free(cs);
                        return fail(ps, -EINVAL, ps->tokens[i].column,
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
                        return fail_expected(ps, i, "'and' or end of line");
                }
                i++;
        }
        *ret = cs;
        return 0;
}

static bool fits_32bit(uint64_t v) {
        return v <= UINT32_MAX || v >= (uint64_t) INT32_MIN;
}

/* umode_t is unsigned: no negative values. */
static bool fits_16bit(uint64_t v) {
        return v <= UINT16_MAX;
}

static int rule_add(Policy *p, int nr, uint32_t action, const PolicyConditionSet *cs) {
        PolicyRuleList *l = &p->syscalls[nr];
        PolicyRule *rules;

        /* Nothing before an unconditional rule can ever be reached. */
        if (!cs)
                l->n_rules = 0;
        rules = reallocarray(l->rules, l->n_rules + 1, sizeof(PolicyRule));
        if (!rules)
                return -ENOMEM;
        l->rules = rules;
        l->rules[l->n_rules++] = (PolicyRule) { .action = action, .conditions = cs };
        return 0;
}

static int rule_apply(Parser *ps, const Token *name, int nr, uint32_t action,
                      const PolicyConditionSet *cs, const unsigned *value_columns) {
        const SyscallTable *t = syscall_table_get();

        for (unsigned j = 0; cs && j < cs->n_conditions; j++) {
                const PolicyCondition *c = &cs->conditions[j];
                bool narrow16 = t->arg16[nr] & (1U << c->arg);
                bool (*fits)(uint64_t) = narrow16 ? fits_16bit : fits_32bit;

                if (!(t->arg32[nr] & (1U << c->arg)))
                        continue;
                /* A value the argument cannot hold could never match. */
                if (!fits(c->value) || (c->masked && !fits(c->mask)))
                        return fail(ps, -EINVAL, value_columns[j],
                                    "value 0x%" PRIx64 " does not fit in %s argument arg%u of %s (named at column %u)",
                                    c->masked && !fits(c->mask) ? c->mask : c->value,
                                    narrow16 ? "16-bit" : "32-bit", c->arg, t->names[nr], name->column);
        }
        return rule_add(ps->policy, nr, action, cs);
}

static int apply_name(Parser *ps, const Token *name, uint32_t action, const PolicyConditionSet *cs,
                      const unsigned *value_columns) {
        char buf[80];
        int r;

        if (name->op)
                return fail(ps, -EINVAL, name->column, "expected a syscall or @group name, got " TOKEN_FMT,
                            TOKEN_ARG(name));
        if (name->len >= sizeof(buf))
                return fail(ps, -EINVAL, name->column, "unknown syscall " TOKEN_FMT, TOKEN_ARG(name));
        memcpy(buf, name->s, name->len);
        buf[name->len] = '\0';

        if (buf[0] == '@') {
                const int *members;
                unsigned n;

                r = syscall_group_get(buf, &members, &n);
                if (r == -ENOENT)
                        return fail(ps, -EINVAL, name->column,
                                    "unknown group '%s' (see 'agentctl policy show @GROUP')", buf);
                if (r < 0)
                        return r;
                for (unsigned k = 0; k < n; k++) {
                        r = rule_apply(ps, name, members[k], action, cs, value_columns);
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        r = syscall_resolve(buf);
        if (r == -ENOENT)
                return fail(ps, -EINVAL, name->column, "unknown syscall '%s'", buf);
        if (r == -EPROTONOSUPPORT)
                return fail(ps, -EINVAL, name->column, "syscall '%s' does not exist on %s", buf,
                            syscall_native_arch_name());
        if (r < 0)
                return r;
        return rule_apply(ps, name, r, action, cs, value_columns);
}

static bool token_is_action_word(const Token *t) {
        return token_is(t, "allow") || token_is(t, "kill") || token_is(t, "log");
}

/* An action word that also names a syscall on some architecture (today
 * only `kill`): after a deny's names it could be either. */
static bool token_is_syscall_name(const Token *t) {
        char buf[64];

        if (t->len >= sizeof(buf))
                return false;
        memcpy(buf, t->s, t->len);
        buf[t->len] = '\0';
        return syscall_resolve(buf) != -ENOENT;
}

/* allow NAMES... [if COND [and COND]...]
 * deny NAMES... [[action] ACTION] [if COND [and COND]...] */
static int parse_rule(Parser *ps, bool deny) {
        const char *directive = deny ? "deny" : "allow";
        uint32_t action = deny ? SECCOMP_RET_ERRNO | EPERM : SECCOMP_RET_ALLOW;
        PolicyConditionSet *cs = NULL;
        unsigned value_columns[POLICY_CONDITIONS_MAX] = {};
        size_t names_end, if_index;
        char what[64];
        int r;

        for (if_index = 1; if_index < ps->n_tokens; if_index++)
                if (token_is(&ps->tokens[if_index], "if"))
                        break;
        names_end = if_index;

        if (deny && names_end >= 3) {
                const Token *last = &ps->tokens[names_end - 1];

                if (token_is(&ps->tokens[names_end - 2], "errno")) {
                        r = parse_errno_value(ps, names_end - 1, &action);
                        if (r < 0)
                                return r;
                        names_end -= 2;
                        if (names_end >= 3 && token_is(&ps->tokens[names_end - 1], "action"))
                                names_end--;
                } else if (token_is_action_word(last)) {
                        bool explicit = token_is(&ps->tokens[names_end - 2], "action");

                        if (token_is(last, "allow"))
                                return fail(ps, -EINVAL, last->column,
                                            "'deny' cannot take the action 'allow'; write an 'allow' line");
                        /* `deny tkill kill`: kill on tkill, or EPERM on tkill
                         * and kill? Neither guess is safe to make silently. */
                        if (!explicit && token_is_syscall_name(last))
                                return fail(ps, -EINVAL, last->column,
                                            "'%.*s' is both an action and a syscall: write 'action %.*s' to make it "
                                            "the action, or end the line with an action (such as 'errno EPERM') "
                                            "to refuse the syscall %.*s",
                                            (int) last->len, last->s, (int) last->len, last->s,
                                            (int) last->len, last->s);
                        size_t k = names_end - 1;
                        r = parse_action(ps, &k, directive, &action);
                        if (r < 0)
                                return r;
                        names_end -= explicit ? 2 : 1;
                } else if (token_is(last, "errno"))
                        return parse_errno_value(ps, names_end, &action);
        } else if (deny && names_end == 2 && token_is(&ps->tokens[1], "errno"))
                return fail_expected(ps, 1, "a syscall or @group name after 'deny'");

        (void) snprintf(what, sizeof(what), "a syscall or @group name after '%s'", directive);
        if (names_end <= 1)
                return fail_expected(ps, 1, what);

        for (size_t k = 1; k < names_end; k++) {
                const Token *t = &ps->tokens[k];

                if (deny && token_is(t, "action") && k == 1)
                        return fail_expected(ps, k, what);
                if (deny && token_is(t, "action"))
                        return fail_expected(ps, k + 1, "an action (kill, log or errno NAME) after 'action'");
                if (token_is(t, "errno") || (!deny && token_is(t, "log")) || token_is(t, "allow") ||
                    token_is(t, "action"))
                        return fail(ps, -EINVAL, t->column,
                                    deny ? "the action of 'deny' goes after all names, got " TOKEN_FMT
                                         : "'allow' takes no action, got " TOKEN_FMT, TOKEN_ARG(t));
                if (t->op)
                        return fail(ps, -EINVAL, t->column,
                                    "expected a syscall or @group name or 'if', got " TOKEN_FMT, TOKEN_ARG(t));
        }

        if (if_index < ps->n_tokens) {
                r = parse_conditions(ps, if_index + 1, &cs, value_columns);
                if (r < 0)
                        return r;
                PolicyConditionSet **sets = reallocarray(ps->policy->condition_sets,
                                                         ps->policy->n_condition_sets + 1,
                                                         sizeof(PolicyConditionSet *));
                if (!sets) {
                        condition_set_free(cs);
                        return -ENOMEM;
                }
                ps->policy->condition_sets = sets;
                sets[ps->policy->n_condition_sets++] = cs;
        }

        for (size_t k = 1; k < names_end; k++) {
                r = apply_name(ps, &ps->tokens[k], action, cs, value_columns);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool policy_name_ok(const char *s) {
        if (!isalnum((unsigned char) s[0]))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("_.@-", *p))
                        return false;
        return strlen(s) <= 64;
}

static char *path_join_name(const char *dir, const char *name) {
        char *p;
        if (asprintf(&p, "%s/%s.policy", dir, name) < 0)
                return NULL;
        return p;
}

int policy_find(const char *name, char * const *search_path, const char *extra_dir, char **ret,
                char **ret_looked) {
        _cleanup_free_ char *looked = NULL;
        size_t looked_len = 0;
        FILE *f;

        if (strchr(name, '/')) {
                char *p;

                if (name[0] == '/' || !extra_dir)
                        p = strdup(name);
                else if (asprintf(&p, "%s/%s", extra_dir, name) < 0)
                        p = NULL;
                if (!p)
                        return -ENOMEM;
                if (access(p, F_OK) < 0) {
                        int e = -errno;
                        if (ret_looked)
                                *ret_looked = p;
                        else
                                free(p);
                        return e;
                }
                *ret = p;
                return 0;
        }
        if (!policy_name_ok(name))
                return -EINVAL;

        f = open_memstream(&looked, &looked_len);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; search_path && search_path[i]; i++) {
                char *p = path_join_name(search_path[i], name);
                if (!p) {
                        fclose(f);
                        return -ENOMEM;
                }
                if (access(p, F_OK) == 0) {
                        fclose(f);
                        *ret = p;
                        return 0;
                }
                fprintf(f, "%s%s", ftell(f) > 0 ? ", " : "", search_path[i]);
                free(p);
        }
        if (extra_dir) {
                char *p = path_join_name(extra_dir, name);
                if (!p) {
                        fclose(f);
                        return -ENOMEM;
                }
                if (access(p, F_OK) == 0) {
                        fclose(f);
                        *ret = p;
                        return 0;
                }
                fprintf(f, "%s%s", ftell(f) > 0 ? ", " : "", extra_dir);
                free(p);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (ret_looked)
                *ret_looked = TAKE_PTR(looked);
        return -ENOENT;
}

static int parse_text(Parser *ps, const char *text);

static int parse_include(Parser *ps) {
        _cleanup_free_ char *name = NULL, *path = NULL, *looked = NULL, *dir = NULL, *text = NULL;
        const Token *t;
        struct stat st;
        unsigned saved_line = ps->line;
        char *slash;
        int r;

        if (ps->n_tokens < 2 || ps->tokens[1].op)
                return fail_expected(ps, 1, "a policy name or path after 'include'");
        if (ps->n_tokens > 2)
                return fail_expected(ps, 2, "end of line after the policy name");
        t = &ps->tokens[1];
        name = token_strdup(t);
        dir = strdup(cur_file(ps));
        if (!name || !dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash)
                *(slash == dir ? slash + 1 : slash) = '\0';
        else {
                free(dir);
                dir = strdup(".");
                if (!dir)
                        return -ENOMEM;
        }

        r = policy_find(name, ps->search_path, dir, &path, &looked);
        if (r == -EINVAL)
                return fail(ps, -EINVAL, t->column,
                            "invalid policy name '%s' (a name, or a path containing '/')", name);
        if (r == -ENOENT && looked && !strchr(name, '/'))
                return fail(ps, -ENOENT, t->column, "policy '%s' not found (looked in %s)", name, looked);
        if (r < 0 && looked)
                return fail(ps, r, t->column, "cannot include '%s': %s", looked, strerror(ERRNO_VALUE(r)));
        if (r < 0)
                return r;

        if (stat(path, &st) < 0) {
                r = -errno;
                return fail(ps, r, t->column, "cannot include '%s': %s", path, strerror(ERRNO_VALUE(r)));
        }
        for (unsigned i = 0; i < ps->depth; i++)
                if (ps->stack[i].has_id && ps->stack[i].dev == st.st_dev && ps->stack[i].ino == st.st_ino)
                        return fail(ps, -ELOOP, t->column, "include cycle: '%s' is already being read",
                                    path);
        if (ps->depth >= POLICY_INCLUDE_DEPTH_MAX)
                return fail(ps, -ELOOP, t->column, "includes nested more than %u deep",
                            POLICY_INCLUDE_DEPTH_MAX);

        r = read_full_file(path, &text, NULL);
        if (r == -EBADMSG)
                return fail(ps, -EINVAL, t->column, "cannot include '%s': it contains a NUL byte", path);
        if (r < 0)
                return fail(ps, r, t->column, "cannot include '%s': %s", path, strerror(ERRNO_VALUE(r)));

        ps->stack[ps->depth++] = (Frame) { .path = path, .has_id = true, .dev = st.st_dev, .ino = st.st_ino };
        r = parse_text(ps, text);
        ps->depth--;
        ps->line = saved_line;
        return r;
}

static int parse_line(Parser *ps) {
        const Token *t = &ps->tokens[0];
        size_t i = 1;
        int r;

        if (t->op)
                return fail_expected(ps, 0, "'default', 'allow', 'deny' or 'include'");
        if (token_is(t, "default")) {
                r = parse_action(ps, &i, "default", &ps->policy->default_action);
                if (r < 0)
                        return r;
                if (i < ps->n_tokens)
                        return fail_expected(ps, i, "end of line after the action");
                return 0;
        }
        if (token_is(t, "allow"))
                return parse_rule(ps, false);
        if (token_is(t, "deny"))
                return parse_rule(ps, true);
        if (token_is(t, "include"))
                return parse_include(ps);
        return fail_expected(ps, 0, "'default', 'allow', 'deny' or 'include'");
}

static int parse_text(Parser *ps, const char *text) {
        const char *p = text;
        int r;

        ps->line = 0;
        while (*p) {
                size_t len = strcspn(p, "\n");

                ps->line++;
                r = tokenize(ps, p, len);
                if (r < 0)
                        return r;
                if (ps->n_tokens > 0) {
                        r = parse_line(ps);
                        if (r < 0)
                                return r;
                }
                p += len;
                if (*p == '\n')
                        p++;
        }
        return 0;
}

int policy_parse(Policy *p, const char *text, const char *filename, char * const *search_path,
                 Diagnostic *diag) {
        Parser ps = {
                .policy = p,
                .search_path = search_path,
                .diag = diag,
        };
        struct stat st;
        int r;

        ps.stack[0] = (Frame) { .path = filename };
        if (stat(filename, &st) >= 0)
                ps.stack[0] = (Frame) { .path = filename, .has_id = true, .dev = st.st_dev, .ino = st.st_ino };
        ps.depth = 1;

        r = parse_text(&ps, text);
        free(ps.tokens);
        return r;
}

void policy_condition_sets_free(PolicyConditionSet **sets, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                condition_set_free(sets[i]);
        free(sets);
}
