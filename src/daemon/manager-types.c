/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent types and the policy cache: loaded at start and on Reload(),
 * every policy a type names compiled up front so a broken file is reported
 * then, with file and line. */
#include "agent.h"
#include "log.h"
#include "manager.h"

static void types_clear(Hashmap *types) {
        AgentType *t;
        if (!types)
                return;
        HASHMAP_FOREACH(t, types)
                agent_type_free(t);
        hashmap_free(types);
}

static void policies_clear(Hashmap *policies) {
        Policy *p;
        if (!policies)
                return;
        HASHMAP_FOREACH(p, policies)
                policy_free(p);
        hashmap_free(policies);
}

void manager_types_clear(Manager *m) {
        types_clear(m->types);
        policies_clear(m->policies);
        m->types = m->policies = NULL;
}

Policy *manager_get_policy(Manager *m, const char *name, Diagnostic *diag, int *ret_error) {
        Policy *p = hashmap_get(m->policies, name);
        int r;

        if (p)
                return p;
        r = policy_load(name, m->config->policy_path, &p, diag);
        if (r >= 0) {
                r = hashmap_put(m->policies, policy_name(p), p);
                if (r < 0)
                        p = policy_free(p);
        }
        if (r < 0) {
                if (ret_error)
                        *ret_error = r;
                return NULL;
        }
        return p;
}

/* Reads every agent type and compiles each policy they name, so a broken
 * file is reported at load time with file and line, not at some later start. */
int manager_load_types(Manager *m, Hashmap **ret_types, Hashmap **ret_policies, Diagnostic *diag) {
        Hashmap *types = hashmap_new_string(), *policies = hashmap_new_string();
        AgentType **list = NULL;
        size_t n = 0;
        int r;

        if (!types || !policies) {
                r = -ENOMEM;
                goto fail;
        }
        r = agent_types_load_all(m->config, &list, &n, diag);
        if (r < 0)
                goto fail;
        for (size_t i = 0; i < n; i++) {
                AgentType *t = list[i];
                list[i] = NULL;
                r = hashmap_put(types, t->name, t);
                if (r < 0) {
                        agent_type_free(t);
                        goto fail;
                }
                if (!hashmap_get(policies, t->spec.policy)) {
                        Policy *p = NULL;
                        r = policy_load(t->spec.policy, m->config->policy_path, &p, diag);
                        if (r < 0)
                                goto fail;
                        r = hashmap_put(policies, policy_name(p), p);
                        if (r < 0) {
                                policy_free(p);
                                goto fail;
                        }
                }
        }
        free(list);
        *ret_types = types;
        *ret_policies = policies;
        return 0;
fail:
        for (size_t i = 0; i < n; i++)
                agent_type_free(list[i]);
        free(list);
        types_clear(types);
        policies_clear(policies);
        return r;
}

int manager_reload(Manager *m, Diagnostic *diag) {
        Hashmap *types = NULL, *policies = NULL;
        int r;

        r = manager_load_types(m, &types, &policies, diag);
        if (r < 0)
                return r;
        /* Running agents keep the filter they loaded; new starts use these. */
        types_clear(m->types);
        policies_clear(m->policies);
        manager_identities_clear(m);
        m->types = types;
        m->policies = policies;
        log_info("reloaded: %zu agent types, %zu policies", hashmap_size(types), hashmap_size(policies));
        return 0;
}
