/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Policy objects: loading (find, parse, compile), accessors and the
 * human-readable dump of the resolved rule set. */
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-interp.h"
#include "fileio.h"
#include "policy-internal.h"

static void policy_destroy(Policy *p) {
        for (unsigned i = 0; i < p->n_syscalls; i++)
                free(p->syscalls[i].rules);
        free(p->syscalls);
        policy_condition_sets_free(p->condition_sets, p->n_condition_sets);
        free(p->filter.filter);
        free(p->enforce_filter.filter);
        free(p->notify_filter.filter);
        free(p->name);
        free(p);
}

Policy *policy_ref(Policy *p) {
        if (p)
                p->n_ref++;
        return p;
}

Policy *policy_unref(Policy *p) {
        if (!p)
                return NULL;
        if (--p->n_ref == 0)
                policy_destroy(p);
        return NULL;
}

Policy *policy_free(Policy *p) {
        return policy_unref(p);
}

static Policy *policy_new(const char *name) {
        const SyscallTable *t = syscall_table_get();
        _cleanup_(policy_freep) Policy *p = NULL;

        if (t->max_nr < 0)
                return NULL;
        p = calloc(1, sizeof(Policy));
        if (!p)
                return NULL;
        p->n_ref = 1;
        p->name = strdup(name);
        p->n_syscalls = (unsigned) t->max_nr + 1;
        p->syscalls = calloc(p->n_syscalls, sizeof(PolicyRuleList));
        if (!p->name || !p->syscalls)
                return NULL;
        /* A policy that never says `default` kills what it does not name. */
        p->default_action = SECCOMP_RET_KILL_PROCESS;
        return TAKE_PTR(p);
}

int policy_load_string(const char *text, const char *filename, char * const *search_path,
                       Policy **ret, Diagnostic *diag) {
        _cleanup_(policy_freep) Policy *p = NULL;
        int r;

        p = policy_new(filename);
        if (!p)
                return -ENOMEM;
        r = policy_parse(p, text, filename, search_path, diag);
        if (r < 0)
                return r;
        r = policy_compile(p, diag);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

int policy_load(const char *name, char * const *search_path, Policy **ret, Diagnostic *diag) {
        _cleanup_free_ char *path = NULL, *looked = NULL, *text = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        int r;

        r = policy_find(name, search_path, NULL, &path, &looked);
        if (r == -EINVAL) {
                diag_set(diag, name, 0, 0, "", "invalid policy name (a name, or a path containing '/')");
                return r;
        }
        if (r == -ENOENT && !strchr(name, '/')) {
                diag_set(diag, name, 0, 0, "", "policy '%s' not found (looked in %s)", name,
                         looked && looked[0] ? looked : "no directories");
                return r;
        }
        if (r < 0) {
                diag_set(diag, name, 0, 0, "", "cannot read policy: %s", strerror(ERRNO_VALUE(r)));
                return r;
        }

        r = read_full_file(path, &text, NULL);
        if (r < 0) {
                diag_set(diag, path, 0, 0, "", "%s",
                         r == -EBADMSG ? "the file contains a NUL byte" : strerror(ERRNO_VALUE(r)));
                return r == -EBADMSG ? -EINVAL : r;
        }

        r = policy_load_string(text, path, search_path, &p, diag);
        if (r < 0)
                return r;
        free(p->name);
        p->name = strdup(name);
        if (!p->name)
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

const char *policy_name(const Policy *p) {
        return p->name;
}

const struct sock_fprog *policy_filter(const Policy *p) {
        return &p->filter;
}

bool policy_has_report(const Policy *p) {
        return p->notify_filter.filter;
}

static bool reports_kill(uint32_t action) {
        uint32_t a = action & SECCOMP_RET_ACTION_FULL;

        return (action & POLICY_ACTION_REPORT) && (a == SECCOMP_RET_KILL_PROCESS || a == SECCOMP_RET_KILL_THREAD);
}

bool policy_reports_kill(const Policy *p) {
        if (reports_kill(p->default_action))
                return true;
        for (unsigned i = 0; i < p->n_syscalls; i++)
                for (unsigned j = 0; j < p->syscalls[i].n_rules; j++)
                        if (reports_kill(p->syscalls[i].rules[j].action))
                                return true;
        return false;
}

const struct sock_fprog *policy_enforce_filter(const Policy *p) {
        return policy_has_report(p) ? &p->enforce_filter : NULL;
}

const struct sock_fprog *policy_notify_filter(const Policy *p) {
        return policy_has_report(p) ? &p->notify_filter : NULL;
}

int policy_answer(const Policy *p, const struct seccomp_data *data, uint32_t *ret_action) {
        return bpf_run(&p->filter, data, ret_action);
}

uint32_t policy_default_action(const Policy *p) {
        return p->default_action;
}

const char *policy_syscall_name(int nr) {
        const SyscallTable *t = syscall_table_get();

        if (nr < 0 || nr > t->max_nr)
                return NULL;
        return t->names[nr];
}

int policy_learn_filter(const Policy *p, struct sock_fprog *ret) {
        return policy_compile_kind(p, POLICY_FILTER_LEARN, ret, NULL);
}

static void action_format(uint32_t action, char *buf, size_t size) {
        const char *name;

        switch (action & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_ALLOW:
                (void) snprintf(buf, size, "allow");
                return;
        case SECCOMP_RET_KILL_PROCESS:
                (void) snprintf(buf, size, "kill");
                return;
        case SECCOMP_RET_LOG:
                (void) snprintf(buf, size, "log");
                return;
        case SECCOMP_RET_ERRNO:
                name = strerrorname_np((int) (action & SECCOMP_RET_DATA));
                if (name)
                        (void) snprintf(buf, size, "errno %s", name);
                else
                        (void) snprintf(buf, size, "errno %u", action & SECCOMP_RET_DATA);
                return;
        default:
                (void) snprintf(buf, size, "0x%08x", action);
        }
}

void policy_action_format(uint32_t action, char *buf, size_t size) {
        size_t n;

        action_format(action & ~POLICY_ACTION_REPORT, buf, size);
        n = strlen(buf);
        if ((action & POLICY_ACTION_REPORT) && n < size)
                (void) snprintf(buf + n, size - n, " report");
}

typedef struct DumpEntry {
        uint32_t action;
        const char *name;
        unsigned nr;
        unsigned order;                         /* position in the syscall's rule list */
        const PolicyConditionSet *conditions;
} DumpEntry;

/* allow, log, errno by number, kill: from most to least permissive. */
static unsigned action_rank(uint32_t action) {
        switch (action & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_ALLOW:
                return 0;
        case SECCOMP_RET_LOG:
                return 1;
        case SECCOMP_RET_ERRNO:
                return 2;
        default:
                return 3;
        }
}

static int dump_entry_cmp(const void *a, const void *b) {
        const DumpEntry *x = a, *y = b;
        int r;

        if (action_rank(x->action) != action_rank(y->action))
                return action_rank(x->action) < action_rank(y->action) ? -1 : 1;
        if (x->action != y->action)
                return x->action < y->action ? -1 : 1;
        r = strcmp(x->name, y->name);
        if (r != 0)
                return r;
        return (x->order > y->order) - (x->order < y->order);
}

int policy_dump(const Policy *p, FILE *f) {
        const SyscallTable *t = syscall_table_get();
        _cleanup_free_ DumpEntry *entries = NULL;
        size_t n = 0, allocated = 0;
        char action[64];

        for (unsigned nr = 0; nr < p->n_syscalls; nr++)
                for (unsigned i = 0; i < p->syscalls[nr].n_rules; i++) {
                        const PolicyRule *rule = &p->syscalls[nr].rules[i];

                        if (n == allocated) {
                                size_t m = allocated ? allocated * 2 : 256;
                                DumpEntry *e = reallocarray(entries, m, sizeof(DumpEntry));
                                if (!e)
                                        return -ENOMEM;
                                entries = e;
                                allocated = m;
                        }
                        entries[n++] = (DumpEntry) {
                                .action = rule->action,
                                .name = t->names[nr],
                                .nr = nr,
                                .order = i,
                                .conditions = rule->conditions,
                        };
                }
        if (n > 0)
                qsort(entries, n, sizeof(DumpEntry), dump_entry_cmp);

        policy_action_format(p->default_action, action, sizeof(action));
        fprintf(f, "# policy %s; for a syscall, conditional rules are checked from the last\n"
                   "# written (highest [N]) down; the first that matches decides.\n",
                p->name);
        fprintf(f, "default: %s\n", action);
        for (size_t i = 0; i < n; i++) {
                const DumpEntry *d = &entries[i];

                if (i == 0 || d->action != entries[i - 1].action) {
                        policy_action_format(d->action, action, sizeof(action));
                        fprintf(f, "%s:\n", action);
                }
                fprintf(f, "        %s", d->name);
                if (d->conditions) {
                        fprintf(f, " [%u] if", d->order);
                        for (unsigned j = 0; j < d->conditions->n_conditions; j++)
                                fprintf(f, "%s %s", j > 0 ? " and" : "", d->conditions->conditions[j].text);
                } else if (p->syscalls[d->nr].n_rules > 1)
                        fprintf(f, " [0] otherwise");
                fputc('\n', f);
        }
        return ferror(f) ? -EIO : 0;
}
