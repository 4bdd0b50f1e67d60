/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Learn mode (see agent-learn.h).
 *
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE lets the notified syscall run as if the
 * filter had allowed it. The kernel documents that this is no security
 * decision: a multi-threaded agent may change the memory a pointer argument
 * points to between our look and the kernel's. Here that is fine: learn mode
 * makes no decision at all, it allows everything the base policy does not,
 * on purpose, and only root may ask for it (RunAgent is root only, and
 * agent types are root's configuration). Only register arguments are
 * recorded, never memory.
 *
 * For the arguments the policy language conditions on in practice (clone
 * and unshare flags, ioctl requests, socket families, personality) the
 * values are kept, so the learned policy allows those values only. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-learn.h"
#include "agent-violation.h"
#include "agent.h"
#include "policy.h"
#include "strv.h"

/* Distinct values kept per syscall; beyond, the syscall is allowed whole. */
#define LEARN_VALUES_MAX 32U
#define LEARN_NR_MAX 1024

typedef struct LearnValue {
        uint64_t value;
        uint64_t count;
} LearnValue;

typedef struct LearnEntry {
        uint64_t count;
        LearnValue values[LEARN_VALUES_MAX];
        unsigned n_values;
        bool overflow;
} LearnEntry;

struct LearnSet {
        uint32_t base_default;
        char *base;
        char *command;
        LearnEntry *entries[LEARN_NR_MAX];
};

static const struct {
        const char *name;
        unsigned arg;
        uint64_t mask;          /* the argument's width */
} keyed[] = {
        { "clone", 0, UINT64_MAX },
        { "unshare", 0, UINT64_MAX },
        { "ioctl", 1, UINT32_MAX },
        { "socket", 0, UINT32_MAX },
        { "socketpair", 0, UINT32_MAX },
        { "personality", 0, UINT32_MAX },
};

static int keyed_index(int nr) {
        const char *name = policy_syscall_name(nr);

        for (size_t i = 0; name && i < ELEMENTSOF(keyed); i++)
                if (strcmp(keyed[i].name, name) == 0)
                        return (int) i;
        return -1;
}

LearnSet *learn_set_new(const char *base, const char *command, uint32_t base_default) {
        LearnSet *s = calloc(1, sizeof(LearnSet));

        if (!s)
                return NULL;
        s->base_default = base_default;
        s->base = strdup(base);
        s->command = strdup(command ?: "");
        if (!s->base || !s->command)
                return agent_learn_free(s);
        /* It goes into a comment line: no line breaks (or other controls). */
        for (char *p = s->command; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
        return s;
}

LearnSet *agent_learn_free(LearnSet *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < LEARN_NR_MAX; i++)
                free(s->entries[i]);
        free(s->base);
        free(s->command);
        return mfree(s);
}

int learn_set_add(LearnSet *s, const struct seccomp_data *data) {
        LearnEntry *e;
        int k;

        if (data->nr < 0 || data->nr >= LEARN_NR_MAX || !policy_syscall_name(data->nr))
                return -EINVAL;
        e = s->entries[data->nr];
        if (!e) {
                e = s->entries[data->nr] = calloc(1, sizeof(LearnEntry));
                if (!e)
                        return -ENOMEM;
        }
        e->count++;
        k = keyed_index(data->nr);
        if (k < 0 || e->overflow)
                return 0;

        uint64_t v = data->args[keyed[k].arg] & keyed[k].mask;
        for (unsigned i = 0; i < e->n_values; i++)
                if (e->values[i].value == v) {
                        e->values[i].count++;
                        return 0;
                }
        if (e->n_values == LEARN_VALUES_MAX) {
                e->overflow = true;
                return 0;
        }
        e->values[e->n_values++] = (LearnValue) { .value = v, .count = 1 };
        return 0;
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(policy_syscall_name(*(const int *) a), policy_syscall_name(*(const int *) b));
}

static void format_times(FILE *f, uint64_t n) {
        fprintf(f, "# seen %" PRIu64 " time%s\n", n, n == 1 ? "" : "s");
}

static void format_entry(FILE *f, int nr, const LearnEntry *e) {
        const char *name = policy_syscall_name(nr);
        int k = keyed_index(nr);

        if (k < 0 || e->overflow) {
                char line[96];

                (void) snprintf(line, sizeof(line), "allow %s", name);
                fprintf(f, "%-40s ", line);
                if (e->overflow)
                        fprintf(f, "# seen %" PRIu64 " times, with more than %u values of arg%u\n", e->count,
                                LEARN_VALUES_MAX, keyed[k].arg);
                else
                        format_times(f, e->count);
                return;
        }
        for (unsigned i = 0; i < e->n_values; i++) {
                char line[128];

                (void) snprintf(line, sizeof(line), "allow %s if arg%u == 0x%" PRIx64, name, keyed[k].arg,
                                e->values[i].value);
                fprintf(f, "%-40s ", line);
                format_times(f, e->values[i].count);
        }
}

int learn_set_format(const LearnSet *s, char **ret) {
        _cleanup_free_ char *text = NULL;
        int nrs[LEARN_NR_MAX];
        size_t n = 0, size = 0;
        FILE *f;

        for (int nr = 0; nr < LEARN_NR_MAX; nr++)
                if (s->entries[nr])
                        nrs[n++] = nr;
        if (n > 0)
                qsort(nrs, n, sizeof(int), name_cmp);

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# Learned by agentvisor (PolicyMode=learn) from: %s\n"
                   "# What the program used that the policy '%s' refuses, allowed; each\n"
                   "# line says how often it was seen.\n"
                   "include %s\n",
                s->command, s->base, s->base);
        /* The base's own default, reported: whatever the program does later
         * that was not seen here shows up as a violation. */
        uint32_t a = s->base_default & SECCOMP_RET_ACTION_FULL;
        if (a == SECCOMP_RET_ERRNO || a == SECCOMP_RET_KILL_PROCESS) {
                char action[64];

                policy_action_format(s->base_default & ~POLICY_ACTION_REPORT, action, sizeof(action));
                fprintf(f, "default %s report\n", action);
        }
        for (size_t i = 0; i < n; i++) {
                format_entry(f, nrs[i], s->entries[nrs[i]]);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(text);
        return 0;
}

int agent_learn_prepare(Agent *a, struct sock_fprog *ret_filter) {
        AgentViolations *v = a->violations;
        _cleanup_free_ char *command = NULL;

        if (!a->policy)
                return -EINVAL;
        command = strv_join(a->spec.exec, " ");
        if (!command)
                return -ENOMEM;
        v->learned = agent_learn_free(v->learned);
        v->learned = learn_set_new(a->spec.policy ?: policy_name(a->policy), command,
                                   policy_default_action(a->policy));
        if (!v->learned)
                return -ENOMEM;
        return policy_learn_filter(a->policy, ret_filter);
}

void agent_learn_record(Agent *a, const struct seccomp_data *data) {
        AgentViolations *v = a->violations;

        if (v->learned)
                (void) learn_set_add(v->learned, data);
}

int agent_learn_policy_text(const Agent *a, char **ret) {
        if (!a->violations || !a->violations->learned)
                return -ENODATA;
        return learn_set_format(a->violations->learned, ret);
}

/* Reexecute (agent-violation-carry.c). Strings go as hex ("-": empty), so
 * that a command with spaces stays one word. */
static void put_hex(FILE *f, const char *s) {
        if (!*s)
                fputc('-', f);
        for (; *s; s++)
                fprintf(f, "%02x", (unsigned char) *s);
}

static int get_hex(const char *w, char **ret) {
        size_t n = strcmp(w, "-") == 0 ? 0 : strlen(w);
        char *s;

        if (n % 2)
                return -EBADMSG;
        s = malloc(n / 2 + 1);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < n / 2; i++) {
                unsigned x;

                if (sscanf(w + 2 * i, "%2x", &x) != 1 || x == 0) {
                        free(s);
                        return -EBADMSG;
                }
                s[i] = (char) x;
        }
        s[n / 2] = 0;
        *ret = s;
        return 0;
}

int learn_set_serialize(const LearnSet *s, FILE *f, const char *prefix) {
        fprintf(f, "%sset %" PRIu32 " ", prefix, s->base_default);
        put_hex(f, s->base);
        fputc(' ', f);
        put_hex(f, s->command);
        fputc('\n', f);
        for (int nr = 0; nr < LEARN_NR_MAX; nr++) {
                const LearnEntry *e = s->entries[nr];

                if (!e)
                        continue;
                fprintf(f, "%snr %d %" PRIu64 " %d %u", prefix, nr, e->count, e->overflow, e->n_values);
                for (unsigned i = 0; i < e->n_values; i++)
                        fprintf(f, " %" PRIu64 " %" PRIu64, e->values[i].value, e->values[i].count);
                fputc('\n', f);
        }
        return ferror(f) ? -ENOMEM : 0;
}

static int deserialize_entry(LearnSet *s, const char *line) {
        LearnEntry e = {};
        int nr, overflow, off = 0;

        if (sscanf(line, "nr %d %" SCNu64 " %d %u%n", &nr, &e.count, &overflow, &e.n_values, &off) != 4 ||
            nr < 0 || nr >= LEARN_NR_MAX || e.n_values > LEARN_VALUES_MAX || s->entries[nr])
                return -EBADMSG;
        e.overflow = overflow;
        line += off;
        for (unsigned i = 0; i < e.n_values; i++) {
                if (sscanf(line, " %" SCNu64 " %" SCNu64 "%n", &e.values[i].value, &e.values[i].count, &off) != 2)
                        return -EBADMSG;
                line += off;
        }
        if (*line)
                return -EBADMSG;
        s->entries[nr] = malloc(sizeof(LearnEntry));
        if (!s->entries[nr])
                return -ENOMEM;
        *s->entries[nr] = e;
        return 0;
}

int learn_set_deserialize(LearnSet **s, const char *line) {
        _cleanup_free_ char *copy = NULL, *base = NULL, *command = NULL;
        char *w[4] = {}, *save = NULL;
        size_t n = 0;
        uint32_t def;
        int r;

        if (strncmp(line, "nr ", 3) == 0)
                return *s ? deserialize_entry(*s, line) : -EBADMSG;
        copy = strdup(line);
        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
                if (n++ < ELEMENTSOF(w))
                        w[n - 1] = t;
        if (*s || n != 4 || strcmp(w[0], "set") != 0 || sscanf(w[1], "%" SCNu32, &def) != 1)
                return -EBADMSG;
        r = get_hex(w[2], &base);
        if (r >= 0)
                r = get_hex(w[3], &command);
        if (r < 0)
                return r;
        *s = learn_set_new(base, command, def);
        return *s ? 0 : -ENOMEM;
}
