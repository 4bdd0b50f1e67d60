/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentvisor.conf's [Supervisor] sections: their keys, and the tree they
 * form (Parent= links, inheritance, the backoff check). */
#include <stddef.h>
#include <string.h>

#include "config-internal.h"
#include "parse-util.h"
#include "time-util.h"

void supervisor_config_defaults(SupervisorConfig *s) {
        *s = (SupervisorConfig) {
                .restart = RESTART_PERMANENT,
                .strategy = STRATEGY_ONE_FOR_ONE,
                .max_restarts = 3,
                .restart_window_usec = 5 * USEC_PER_SEC,
                .max_children = 100,
                .agent_timeout_usec = 30 * USEC_PER_SEC,
                .health_check_interval_usec = 60 * USEC_PER_SEC,
                .restart_delay_usec = 0,
                .restart_max_delay_usec = 0,
                .on_escalation = ON_ESCALATION_STOP,
                .limits = LIMITS_NONE,
        };
}

void supervisor_config_done(SupervisorConfig *s) {
        s->name = mfree(s->name);
        s->parent = mfree(s->parent);
}

/* The supervisor's time keys: which values each accepts, and where it goes. */
typedef struct TimeKey {
        const char *key;
        size_t offset;
        bool allow_zero;
        bool allow_infinity;
        InheritedField field;
} TimeKey;

static const TimeKey time_keys[] = {
        { "RestartWindowSec", offsetof(SupervisorConfig, restart_window_usec), false, true, FIELD_RESTART_WINDOW },
        { "AgentTimeoutSec", offsetof(SupervisorConfig, agent_timeout_usec), false, true, FIELD_AGENT_TIMEOUT },
        { "HealthCheckIntervalSec", offsetof(SupervisorConfig, health_check_interval_usec), true, true,
          FIELD_HEALTH_CHECK_INTERVAL },
        { "RestartDelaySec", offsetof(SupervisorConfig, restart_delay_usec), true, false, FIELD_RESTART_DELAY },
        { "RestartMaxDelaySec", offsetof(SupervisorConfig, restart_max_delay_usec), true, false,
          FIELD_RESTART_MAX_DELAY },
};

static const TimeKey *find_time_key(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(time_keys); i++)
                if (strcmp(time_keys[i].key, key) == 0)
                        return &time_keys[i];
        return NULL;
}

static int parse_supervisor_time(ConfigParser *p, unsigned line, const char *key, const char *value,
                                 bool allow_zero, bool allow_infinity, usec_t *field, Diagnostic *diag) {
        usec_t t;
        int r;

        r = parse_time_usec(value, &t);
        if (r == 0 && t == 0 && !allow_zero)
                r = -ERANGE;
        if (r == 0 && t == USEC_INFINITY && !allow_infinity)
                r = -ERANGE;
        if (r < 0)
                return config_bad_value(p, line, key, value, r,
                                 allow_zero ? "a time span such as 5, 500ms or 1min 30s"
                                            : "a time span above zero such as 5, 500ms or 1min 30s",
                                 diag);
        *field = t;
        return 0;
}

/* The keys that depend on where the supervisor sits, not inherited:
 * -ENOENT when key is none of them. */
static int parse_position_key(ConfigParser *p, unsigned line, const char *key, const char *value,
                              Diagnostic *diag) {
        SupervisorDraft *d = p->current;
        SupervisorConfig *s = &d->config;
        bool is_root = strcmp(s->name, "root") == 0;

        if (strcmp(key, "Parent") == 0) {
                if (is_root) {
                        diag_set(diag, p->file, line, 0, key, "the root supervisor has no Parent=");
                        return -EINVAL;
                }
                if (!name_is_valid(value)) {
                        diag_set(diag, p->file, line, 0, key, "Parent=%s is not a valid supervisor name", value);
                        return -EINVAL;
                }
                d->parent_line = line;
                return config_set_string(&s->parent, value);
        }
        if (strcmp(key, "Restart") == 0) {
                RestartType t;

                if (is_root) {
                        diag_set(diag, p->file, line, 0, key,
                                 "Restart= applies to nested supervisors only, not to root");
                        return -EINVAL;
                }
                t = restart_type_from_string(value);
                if (t < 0)
                        return config_bad_value(p, line, key, value, -EINVAL, "permanent, transient or temporary",
                                                diag);
                s->restart = t;
                return 0;
        }
        if (strcmp(key, "OnEscalation") == 0) {
                OnEscalation e;

                e = on_escalation_from_string(value);
                if (e < 0)
                        return config_bad_value(p, line, key, value, -EINVAL,
                                                is_root ? "stop, exit or freeze" : "stop or freeze", diag);
                /* Exiting the daemon is the root's answer alone; stop and
                 * freeze apply to any supervisor (SPEC). */
                if (e == ON_ESCALATION_EXIT && !is_root) {
                        diag_set(diag, p->file, line, 0, key,
                                 "OnEscalation=exit is for the root supervisor only, not for [Supervisor %s] "
                                 "(stop or freeze)",
                                 s->name);
                        return -EINVAL;
                }
                s->on_escalation = e;
                return 0;
        }
        return -ENOENT;
}

/* The keys a nested supervisor inherits when unset; *ret_field says which.
 * -ENOENT when key is none of them. */
static int parse_inherited_key(ConfigParser *p, unsigned line, const char *key, const char *value,
                               InheritedField *ret_field, Diagnostic *diag) {
        SupervisorConfig *s = &p->current->config;
        const TimeKey *tk;
        int r;

        if (strcmp(key, "Strategy") == 0) {
                Strategy st = strategy_from_string(value);

                if (st < 0)
                        return config_bad_value(p, line, key, value, -EINVAL,
                                                "one-for-one, one-for-all or rest-for-one", diag);
                s->strategy = st;
                *ret_field = FIELD_STRATEGY;
        } else if (strcmp(key, "MaxRestarts") == 0) {
                r = parse_uint(value, &s->max_restarts);
                if (r < 0)
                        return config_bad_value(p, line, key, value, r, "a number of restarts (0 or more)", diag);
                *ret_field = FIELD_MAX_RESTARTS;
        } else if ((tk = find_time_key(key))) {
                r = parse_supervisor_time(p, line, key, value, tk->allow_zero, tk->allow_infinity,
                                          (usec_t *) ((uint8_t *) s + tk->offset), diag);
                if (r < 0)
                        return r;
                *ret_field = tk->field;
        } else if (strcmp(key, "MaxChildren") == 0) {
                unsigned n;

                r = parse_uint(value, &n);
                if (r == 0 && n == 0)
                        r = -ERANGE;
                if (r < 0)
                        return config_bad_value(p, line, key, value, r, "a number of agents (1 or more)", diag);
                s->max_children = n;
                *ret_field = FIELD_MAX_CHILDREN;
        } else
                return -ENOENT;
        return 0;
}

int config_parse_supervisor_key(ConfigParser *p, unsigned line, const char *key, const char *value,
                                Diagnostic *diag) {
        SupervisorDraft *d = p->current;
        bool is_root = strcmp(d->config.name, "root") == 0;
        InheritedField field;
        int r;

        /* Not inherited: a nested group is bounded by its parent's anyway. */
        r = config_parse_limit(p, line, key, value, false, &d->config, diag);
        if (r != -ENOENT)
                return r;
        r = parse_position_key(p, line, key, value, diag);
        if (r != -ENOENT)
                return r;
        r = parse_inherited_key(p, line, key, value, &field, diag);
        if (r == -ENOENT) {
                diag_set(diag, p->file, line, 0, key, "unknown key %s= in [Supervisor%s%s]", key,
                         is_root ? "" : " ", is_root ? "" : d->config.name);
                return -EINVAL;
        }
        if (r < 0)
                return r;
        d->set |= 1U << field;
        return 0;
}

SupervisorDraft *config_find_draft(ConfigParser *p, const char *name) {
        for (size_t i = 0; i < p->n_drafts; i++)
                if (strcmp(p->drafts[i].config.name, name) == 0)
                        return &p->drafts[i];
        return NULL;
}

int config_add_draft(ConfigParser *p, const char *name, unsigned line, SupervisorDraft **ret) {
        SupervisorDraft *d;
        char *n;

        n = strdup(name);
        if (!n)
                return -ENOMEM;
        d = reallocarray(p->drafts, p->n_drafts + 1, sizeof(SupervisorDraft));
        if (!d) {
                free(n);
                return -ENOMEM;
        }
        p->drafts = d;
        d = &p->drafts[p->n_drafts++];
        *d = (SupervisorDraft) { .line = line };
        supervisor_config_defaults(&d->config);
        d->config.name = n;
        *ret = d;
        return 0;
}

/* Sum of the delays before restarts 2..max_restarts+1, saturating at UINT64_MAX:
 * d_n = min(delay * 2^(n-1), cap), cap = max(max_delay, delay). */
static usec_t backoff_total(const SupervisorConfig *s) {
        usec_t cap = MAX(s->restart_max_delay_usec, s->restart_delay_usec);
        usec_t d = s->restart_delay_usec, sum = 0;

        for (uint64_t n = 2; n <= (uint64_t) s->max_restarts + 1; n++) {
                d = d > cap / 2 ? cap : MIN(d * 2, cap);
                if (d == cap) {
                        /* The rest are all capped. */
                        unsigned __int128 rest = (unsigned __int128) cap * ((uint64_t) s->max_restarts + 2 - n);

                        if (rest >= UINT64_MAX - sum)
                                return UINT64_MAX;
                        return sum + (usec_t) rest;
                }
                sum += d;
        }
        return sum;
}

static int check_backoff(const ConfigParser *p, const SupervisorDraft *d, Diagnostic *diag) {
        const SupervisorConfig *s = &d->config;
        char delay[64], cap[64], window[64], total[64];
        usec_t sum;

        if (s->restart_delay_usec == 0 || s->restart_window_usec == USEC_INFINITY)
                return 0;
        sum = backoff_total(s);
        if (sum < s->restart_window_usec)
                return 0;

        diag_set(diag, p->file, d->line, 0, "RestartDelaySec",
                 "[Supervisor %s]: MaxRestarts=%u can never be reached inside RestartWindowSec=%s: with "
                 "RestartDelaySec=%s growing to RestartMaxDelaySec=%s, the delays before restarts 2..%u "
                 "alone add up to %s; shorten the delays, lower MaxRestarts or widen the window",
                 s->name, s->max_restarts, format_timespan(window, sizeof(window), s->restart_window_usec),
                 format_timespan(delay, sizeof(delay), s->restart_delay_usec),
                 format_timespan(cap, sizeof(cap), MAX(s->restart_max_delay_usec, s->restart_delay_usec)),
                 s->max_restarts + 1, format_timespan(total, sizeof(total), sum));
        return -EINVAL;
}

static void inherit(SupervisorDraft *d, const SupervisorConfig *parent) {
        SupervisorConfig *s = &d->config;

        if (!(d->set & (1U << FIELD_STRATEGY)))
                s->strategy = parent->strategy;
        if (!(d->set & (1U << FIELD_MAX_RESTARTS)))
                s->max_restarts = parent->max_restarts;
        if (!(d->set & (1U << FIELD_RESTART_WINDOW)))
                s->restart_window_usec = parent->restart_window_usec;
        if (!(d->set & (1U << FIELD_MAX_CHILDREN)))
                s->max_children = parent->max_children;
        if (!(d->set & (1U << FIELD_AGENT_TIMEOUT)))
                s->agent_timeout_usec = parent->agent_timeout_usec;
        if (!(d->set & (1U << FIELD_HEALTH_CHECK_INTERVAL)))
                s->health_check_interval_usec = parent->health_check_interval_usec;
        if (!(d->set & (1U << FIELD_RESTART_DELAY)))
                s->restart_delay_usec = parent->restart_delay_usec;
        if (!(d->set & (1U << FIELD_RESTART_MAX_DELAY)))
                s->restart_max_delay_usec = parent->restart_max_delay_usec;
}

/* Every nested supervisor names an existing parent. */
static int check_parents(ConfigParser *p, const SupervisorDraft *root, Diagnostic *diag) {
        for (size_t i = 0; i < p->n_drafts; i++) {
                SupervisorDraft *d = &p->drafts[i];

                if (d == root)
                        continue;
                if (!d->config.parent) {
                        diag_set(diag, p->file, d->line, 0, "Parent",
                                 "[Supervisor %s] needs Parent= (root or another supervisor)", d->config.name);
                        return -EINVAL;
                }
                if (!config_find_draft(p, d->config.parent)) {
                        diag_set(diag, p->file, d->parent_line, 0, "Parent",
                                 "[Supervisor %s]: Parent=%s names no supervisor in this file", d->config.name,
                                 d->config.parent);
                        return -EINVAL;
                }
        }
        return 0;
}

/* Root first, then each supervisor once its parent is placed (file order
 * otherwise), inheriting from it; what is never placed is in a cycle. */
static int order_drafts(ConfigParser *p, SupervisorDraft *root, SupervisorDraft **order, size_t *ret_n,
                        Diagnostic *diag) {
        _cleanup_free_ bool *placed = NULL;
        size_t n_placed = 0;

        placed = calloc(p->n_drafts, sizeof(bool));
        if (!placed)
                return -ENOMEM;
        order[n_placed++] = root;
        placed[root - p->drafts] = true;

        for (bool progress = true; progress && n_placed < p->n_drafts;) {
                progress = false;
                for (size_t i = 0; i < p->n_drafts; i++) {
                        SupervisorDraft *d = &p->drafts[i], *parent;

                        if (placed[i])
                                continue;
                        parent = config_find_draft(p, d->config.parent);
                        if (!placed[parent - p->drafts])
                                continue;
                        inherit(d, &parent->config);
                        order[n_placed++] = d;
                        placed[i] = true;
                        progress = true;
                }
        }

        for (size_t i = 0; i < p->n_drafts; i++) {
                SupervisorDraft *d = &p->drafts[i];

                if (placed[i])
                        continue;
                diag_set(diag, p->file, d->parent_line, 0, "Parent",
                         "[Supervisor %s]: Parent=%s makes a cycle: the chain of parents never reaches root",
                         d->config.name, d->config.parent);
                return -EINVAL;
        }
        *ret_n = n_placed;
        return 0;
}

int config_build_tree(ConfigParser *p, Diagnostic *diag) {
        _cleanup_free_ SupervisorDraft **order = NULL;
        size_t n_placed = 0;
        SupervisorDraft *root;
        int r;

        root = config_find_draft(p, "root");
        if (!root) {
                r = config_add_draft(p, "root", 0, &root);
                if (r < 0)
                        return r;
        }
        r = check_parents(p, root, diag);
        if (r < 0)
                return r;

        order = calloc(p->n_drafts, sizeof(SupervisorDraft *));
        if (!order)
                return -ENOMEM;
        r = order_drafts(p, root, order, &n_placed, diag);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_placed; i++) {
                r = check_backoff(p, order[i], diag);
                if (r < 0)
                        return r;
        }

        p->config->supervisors = calloc(n_placed, sizeof(SupervisorConfig));
        if (!p->config->supervisors)
                return -ENOMEM;
        for (size_t i = 0; i < n_placed; i++) {
                p->config->supervisors[i] = order[i]->config;
                order[i]->config.name = order[i]->config.parent = NULL;
        }
        p->config->n_supervisors = n_placed;
        return 0;
}
