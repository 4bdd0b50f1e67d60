/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The user database as agents see it: the ids a user name resolves to,
 * cached per load, and the refusal of users who could drive the API. */
#pragma once

#include <sys/types.h>

#include "manager.h"

typedef struct Identity {
        uid_t uid;
        gid_t gid;
        gid_t groups[64];
        int n_groups;
        char home[256];
        char user[64];
} Identity;

/* -ESRCH: no such user (or its groups do not fit). */
int resolve_user(Manager *m, const char *user, Identity *ret);
/* -EPERM when the identity is in AdminGroup (root is allowed). */
int identity_check_admin(const Manager *m, const Identity *id);
