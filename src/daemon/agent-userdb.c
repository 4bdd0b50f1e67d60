/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The user database cache: a user's uid, gid, groups and home, looked up
 * once per user and load (Reload forgets them), and the AdminGroup check
 * every agent start and health check goes through. */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-userdb.h"
#include "hashmap.h"

static int lookup_user(const char *user, Identity *ret) {
        struct passwd pw, *p = NULL;
        char buf[4096];
        int n = ELEMENTSOF(ret->groups);

        if (getpwnam_r(user, &pw, buf, sizeof buf, &p) != 0 || !p)
                return -ESRCH;
        ret->uid = p->pw_uid;
        ret->gid = p->pw_gid;
        snprintf(ret->home, sizeof ret->home, "%s", p->pw_dir ?: "/");
        snprintf(ret->user, sizeof ret->user, "%s", user);
        /* Exactly the user's groups from the user database, nothing inherited. */
        if (getgrouplist(user, p->pw_gid, ret->groups, &n) < 0)
                return -E2BIG;
        ret->n_groups = n;
        return 0;
}

/* The user database is read once per user and load: a start does not parse
 * /etc/passwd and /etc/group again. Reload (SIGHUP) forgets what it knew. */
int resolve_user(Manager *m, const char *user, Identity *ret) {
        Identity *id = hashmap_get(m->identities, user);
        int r;

        if (!id) {
                id = malloc(sizeof *id);
                if (!id)
                        return -ENOMEM;
                r = lookup_user(user, id);
                if (r >= 0)
                        r = hashmap_put(m->identities, id->user, id);
                if (r < 0) {
                        free(id);
                        return r;
                }
        }
        *ret = *id;
        return 0;
}

/* A user whose groups include AdminGroup may drive the API: an agent run as
 * one could stop, start or reconfigure its neighbours. Checked on the ids
 * the agent would really get, so a lookup that fails is a refusal too.
 * root is allowed (SPEC: agents run as root only when User=root is
 * written, and then without capabilities). */
int identity_check_admin(const Manager *m, const Identity *id) {
        if (id->uid == 0 || !m->have_admin_gid)
                return 0;
        if (id->gid == m->admin_gid)
                return -EPERM;
        for (int i = 0; i < id->n_groups; i++)
                if (id->groups[i] == m->admin_gid)
                        return -EPERM;
        return 0;
}

int manager_check_user(Manager *m, const char *user) {
        Identity id;
        int r;

        /* User=dynamic: a uid from DynamicUserRange=, in no user database
         * and so in no group (agent-exec.c). */
        if (strcmp(user, "dynamic") == 0)
                return 0;
        r = resolve_user(m, user, &id);
        return r < 0 ? r : identity_check_admin(m, &id);
}

void manager_identities_clear(Manager *m) {
        Identity *id;

        /* Removing the current entry while iterating is allowed. */
        HASHMAP_FOREACH(id, m->identities)
                free(hashmap_remove(m->identities, id->user));
}
