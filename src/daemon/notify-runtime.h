/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The notify socket's directory and the single-instance lock. */
#pragma once

#include "manager.h"

/* Opens (making it if missing) a directory beneath dirfd that the daemon
 * owns and no one else may write; logs and returns a negative errno. */
int notify_runtime_open_dir(int dirfd, const char *path, const char *shown, int *ret);
/* Takes RUNTIME/CONTROLGROUP/lock for the daemon's life (-EBUSY: taken). */
int notify_runtime_lock(Manager *m);
/* Removes the socket, the lock and the directory, if the lock is ours. */
void notify_runtime_release(Manager *m);
