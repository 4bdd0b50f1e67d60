/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy language parser: one line at a time into per-syscall rule
 * lists, following includes. Every error names file, line and column and
 * says what was expected. */
#include <ctype.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "path-util.h"
#include "policy-parser.h"

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
                        return parser_fail(ps, -EINVAL, value_columns[j],
                                           "value 0x%" PRIx64
                                           " does not fit in %s argument arg%u of %s (named at column %u)",
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
                return parser_fail(ps, -EINVAL, name->column, "expected a syscall or @group name, got " TOKEN_FMT,
                                   TOKEN_ARG(name));
        if (name->len >= sizeof(buf))
                return parser_fail(ps, -EINVAL, name->column, "unknown syscall " TOKEN_FMT, TOKEN_ARG(name));
        memcpy(buf, name->s, name->len);
        buf[name->len] = '\0';

        if (buf[0] == '@') {
                const int *members;
                unsigned n;

                r = syscall_group_get(buf, &members, &n);
                if (r == -ENOENT)
                        return parser_fail(ps, -EINVAL, name->column,
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
                return parser_fail(ps, -EINVAL, name->column, "unknown syscall '%s'", buf);
        if (r == -EPROTONOSUPPORT)
                return parser_fail(ps, -EINVAL, name->column, "syscall '%s' does not exist on %s", buf,
                                   syscall_native_arch_name());
        if (r < 0)
                return r;
        return rule_apply(ps, name, r, action, cs, value_columns);
}

static bool token_is_action_word(const Token *t) {
        return token_is(t, "allow") || token_is(t, "kill") || token_is(t, "log");
}

/* The action at the end of a deny's names (`[action] ACTION` or `errno
 * NAME`), if any: *names_end is moved before it. */
static int parse_deny_action(Parser *ps, size_t *names_end, uint32_t *action) {
        size_t end = *names_end;
        const Token *last;
        bool explicit;
        int r;

        if (end == 2 && token_is(&ps->tokens[1], "errno"))
                return parser_fail_expected(ps, 1, "a syscall or @group name after 'deny'");
        if (end < 3)
                return 0;
        last = &ps->tokens[end - 1];
        if (token_is(&ps->tokens[end - 2], "errno")) {
                r = parse_errno_value(ps, end - 1, action);
                if (r < 0)
                        return r;
                end -= 2;
                if (end >= 3 && token_is(&ps->tokens[end - 1], "action"))
                        end--;
                *names_end = end;
                return 0;
        }
        if (token_is(last, "errno"))
                return parse_errno_value(ps, end, action);
        if (!token_is_action_word(last))
                return 0;

        explicit = token_is(&ps->tokens[end - 2], "action");
        if (token_is(last, "allow"))
                return parser_fail(ps, -EINVAL, last->column,
                                   "'deny' cannot take the action 'allow'; write an 'allow' line");
        /* `deny tkill kill` is kill on tkill, as the policy language has
         * always read it (SPEC: `deny io_uring_setup kill`): a deny has at
         * least one name, so the last word after it is the action. To
         * refuse the syscall kill, put it anywhere but last or end the line
         * with an explicit action (`deny tkill kill errno EPERM`). */
        end--;
        r = parse_action(ps, &end, "deny", action);
        if (r < 0)
                return r;
        *names_end -= explicit ? 2 : 1;
        return 0;
}

/* tokens[1..names_end) must all be syscall or @group names. */
static int check_names(Parser *ps, size_t names_end, bool deny, const char *what) {
        if (names_end <= 1)
                return parser_fail_expected(ps, 1, what);

        for (size_t k = 1; k < names_end; k++) {
                const Token *t = &ps->tokens[k];

                if (deny && token_is(t, "action") && k == 1)
                        return parser_fail_expected(ps, k, what);
                if (deny && token_is(t, "action"))
                        return parser_fail_expected(ps, k + 1, "an action (kill, log or errno NAME) after 'action'");
                if (token_is(t, "errno") || (!deny && token_is(t, "log")) || token_is(t, "allow") ||
                    token_is(t, "action"))
                        return parser_fail(ps, -EINVAL, t->column,
                                           deny ? "the action of 'deny' goes after all names, got " TOKEN_FMT
                                                : "'allow' takes no action, got " TOKEN_FMT, TOKEN_ARG(t));
                if (t->op)
                        return parser_fail(ps, -EINVAL, t->column,
                                           "expected a syscall or @group name or 'if', got " TOKEN_FMT,
                                           TOKEN_ARG(t));
        }
        return 0;
}

/* The conditions after 'if' at tokens[if_index], kept by the policy (the
 * rules of every name on the line share them). */
static int add_conditions(Parser *ps, size_t if_index, PolicyConditionSet **ret, unsigned *value_columns) {
        PolicyConditionSet *cs, **sets;
        int r;

        r = parse_conditions(ps, if_index + 1, &cs, value_columns);
        if (r < 0)
                return r;
        sets = reallocarray(ps->policy->condition_sets, ps->policy->n_condition_sets + 1,
                            sizeof(PolicyConditionSet *));
        if (!sets) {
                condition_set_free(cs);
                return -ENOMEM;
        }
        ps->policy->condition_sets = sets;
        sets[ps->policy->n_condition_sets++] = cs;
        *ret = cs;
        return 0;
}

/* A trailing `report` (before the `if`, or at the very end of a line with
 * conditions) is taken off the line. Only refused syscalls are reported:
 * `allow ... report` would hand every allowed call to the daemon. */
static int parse_report(Parser *ps, bool deny, size_t *names_end, size_t if_index, unsigned *ret_column) {
        const Token *t = NULL;

        if (*names_end > 1 && token_is(&ps->tokens[*names_end - 1], "report")) {
                t = &ps->tokens[*names_end - 1];
                (*names_end)--;
        } else if (if_index < ps->n_tokens && token_is(&ps->tokens[ps->n_tokens - 1], "report")) {
                t = &ps->tokens[ps->n_tokens - 1];
                ps->n_tokens--;
        }
        if (!t)
                return 0;
        if (!deny)
                return parser_fail(ps, -EINVAL, t->column,
                                   "'report' is for refused syscalls ('deny ... report'), not 'allow'");
        *ret_column = t->column;
        return 0;
}

/* `report` after an action: errno and kill only (log and allow let the
 * syscall run, there is nothing to report as a violation). */
static int check_report_action(Parser *ps, unsigned column, uint32_t action) {
        uint32_t a = action & SECCOMP_RET_ACTION_FULL;

        if (a == SECCOMP_RET_ERRNO || a == SECCOMP_RET_KILL_PROCESS)
                return 0;
        return parser_fail(ps, -EINVAL, column, "'report' needs a refusing action (kill or errno NAME), not '%s'",
                           a == SECCOMP_RET_LOG ? "log" : "allow");
}

/* allow NAMES... [if COND [and COND]...]
 * deny NAMES... [[action] ACTION] [if COND [and COND]...] */
static int parse_rule(Parser *ps, bool deny) {
        const char *directive = deny ? "deny" : "allow";
        uint32_t action = deny ? SECCOMP_RET_ERRNO | EPERM : SECCOMP_RET_ALLOW;
        PolicyConditionSet *cs = NULL;
        unsigned value_columns[POLICY_CONDITIONS_MAX] = {};
        size_t names_end, if_index;
        unsigned report = 0;    /* the column of `report`, if any */
        char what[64];
        int r;

        for (if_index = 1; if_index < ps->n_tokens; if_index++)
                if (token_is(&ps->tokens[if_index], "if"))
                        break;
        names_end = if_index;

        r = parse_report(ps, deny, &names_end, if_index, &report);
        if (r < 0)
                return r;
        if (deny) {
                r = parse_deny_action(ps, &names_end, &action);
                if (r < 0)
                        return r;
        }
        (void) snprintf(what, sizeof(what), "a syscall or @group name after '%s'", directive);
        r = check_names(ps, names_end, deny, what);
        if (r < 0)
                return r;

        if (if_index < ps->n_tokens) {
                r = add_conditions(ps, if_index, &cs, value_columns);
                if (r < 0)
                        return r;
        }
        if (report) {
                r = check_report_action(ps, report, action);
                if (r < 0)
                        return r;
                action |= POLICY_ACTION_REPORT;
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

/* NAME.policy in dir: 1 with its path when it is there, 0 when not. */
static int find_in_dir(const char *dir, const char *name, char **ret) {
        _cleanup_free_ char *file = NULL, *p = NULL;

        if (asprintf(&file, "%s.policy", name) < 0)
                return -ENOMEM;
        p = path_join(dir, file);
        if (!p)
                return -ENOMEM;
        if (access(p, F_OK) < 0)
                return 0;
        *ret = TAKE_PTR(p);
        return 1;
}

/* A name with a '/' is a path, a relative one beneath extra_dir. */
static int find_path(const char *name, const char *extra_dir, char **ret, char **ret_looked) {
        _cleanup_free_ char *p = NULL;

        p = name[0] == '/' || !extra_dir ? strdup(name) : path_join(extra_dir, name);
        if (!p)
                return -ENOMEM;
        if (access(p, F_OK) < 0) {
                int e = -errno;

                if (ret_looked)
                        *ret_looked = TAKE_PTR(p);
                return e;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

int policy_find(const char *name, char * const *search_path, const char *extra_dir, char **ret,
                char **ret_looked) {
        _cleanup_free_ char *looked = NULL;
        size_t looked_len = 0;
        FILE *f;
        int r = 0;

        if (strchr(name, '/'))
                return find_path(name, extra_dir, ret, ret_looked);
        if (!policy_name_ok(name))
                return -EINVAL;

        f = open_memstream(&looked, &looked_len);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; r == 0 && search_path && search_path[i]; i++) {
                r = find_in_dir(search_path[i], name, ret);
                if (r == 0)
                        fprintf(f, "%s%s", ftell(f) > 0 ? ", " : "", search_path[i]);
        }
        if (r == 0 && extra_dir) {
                r = find_in_dir(extra_dir, name, ret);
                if (r == 0)
                        fprintf(f, "%s%s", ftell(f) > 0 ? ", " : "", extra_dir);
        }
        if (fclose(f) != 0 && r == 0)
                return -ENOMEM;
        if (r != 0)
                return MIN(r, 0);
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
                return parser_fail_expected(ps, 1, "a policy name or path after 'include'");
        if (ps->n_tokens > 2)
                return parser_fail_expected(ps, 2, "end of line after the policy name");
        t = &ps->tokens[1];
        name = token_strdup(t);
        dir = strdup(parser_file(ps));
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
                return parser_fail(ps, -EINVAL, t->column,
                                   "invalid policy name '%s' (a name, or a path containing '/')", name);
        if (r == -ENOENT && looked && !strchr(name, '/'))
                return parser_fail(ps, -ENOENT, t->column, "policy '%s' not found (looked in %s)", name, looked);
        if (r < 0 && looked)
                return parser_fail(ps, r, t->column, "cannot include '%s': %s", looked, strerror(ERRNO_VALUE(r)));
        if (r < 0)
                return r;

        if (stat(path, &st) < 0) {
                r = -errno;
                return parser_fail(ps, r, t->column, "cannot include '%s': %s", path, strerror(ERRNO_VALUE(r)));
        }
        for (unsigned i = 0; i < ps->depth; i++)
                if (ps->stack[i].has_id && ps->stack[i].dev == st.st_dev && ps->stack[i].ino == st.st_ino)
                        return parser_fail(ps, -ELOOP, t->column, "include cycle: '%s' is already being read",
                                           path);
        if (ps->depth >= POLICY_INCLUDE_DEPTH_MAX)
                return parser_fail(ps, -ELOOP, t->column, "includes nested more than %u deep",
                                   POLICY_INCLUDE_DEPTH_MAX);

        r = read_full_file(path, &text, NULL);
        if (r == -EBADMSG)
                return parser_fail(ps, -EINVAL, t->column, "cannot include '%s': it contains a NUL byte", path);
        if (r < 0)
                return parser_fail(ps, r, t->column, "cannot include '%s': %s", path, strerror(ERRNO_VALUE(r)));

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
                return parser_fail_expected(ps, 0, "'default', 'allow', 'deny' or 'include'");
        if (token_is(t, "default")) {
                r = parse_action(ps, &i, "default", &ps->policy->default_action);
                if (r < 0)
                        return r;
                if (i < ps->n_tokens && token_is(&ps->tokens[i], "report")) {
                        r = check_report_action(ps, ps->tokens[i].column, ps->policy->default_action);
                        if (r < 0)
                                return r;
                        ps->policy->default_action |= POLICY_ACTION_REPORT;
                        i++;
                }
                if (i < ps->n_tokens)
                        return parser_fail_expected(ps, i, "end of line after the action");
                return 0;
        }
        if (token_is(t, "allow"))
                return parse_rule(ps, false);
        if (token_is(t, "deny"))
                return parse_rule(ps, true);
        if (token_is(t, "include"))
                return parse_include(ps);
        return parser_fail_expected(ps, 0, "'default', 'allow', 'deny' or 'include'");
}

static int parse_text(Parser *ps, const char *text) {
        const char *p = text;
        int r;

        ps->line = 0;
        while (*p) {
                size_t len = strcspn(p, "\n");

                ps->line++;
                r = parser_tokenize(ps, p, len);
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
