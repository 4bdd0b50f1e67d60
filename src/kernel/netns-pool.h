/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A few network namespaces made ahead of time, so that a PrivateNetwork=
 * start joins one (setns() in spawn's child, SandboxNs.netns_fd) instead of
 * creating one: creating a network namespace is the costly part of such a
 * start (milliseconds on some kernels), and here it happens off the start
 * path, in a helper process, concurrently with the daemon's loop.
 *
 * The helper is a copy of the daemon (clone3 without CLONE_VM: nothing it
 * does can race the daemon's memory), with no exit signal, made at the
 * first refill and kept for the pool's life: later refills are a byte on
 * its socket, so they copy neither the daemon's address space nor its fd
 * table, which grow with the agents it runs (a fork per refill made strict
 * starts slower as strict agents added up). For each namespace asked it
 * unshares CLONE_NEWNET (as host root: the namespace belongs to the initial
 * user namespace, like one from CLONE_NEWNET at the clone), brings loopback
 * up, and sends an fd of it over the socket; after a batch it goes back
 * into the host's namespace, so it keeps none alive. A namespace is handed
 * out once (netns_pool_take() gives the fd away) and never comes back:
 * every agent gets a fresh one, which dies with its last process. The pool
 * is not thread-safe: one caller thread, like spawn(). */
#pragma once

#include <stdbool.h>

typedef struct NetnsPool NetnsPool;

#define NETNS_POOL_MAX 16

/* size: how many namespaces to keep ready, 1..NETNS_POOL_MAX (-EINVAL
 * otherwise). Makes nothing yet: netns_pool_refill() does. -EOPNOTSUPP
 * where spawn has no clone3 entry code for this architecture. */
int netns_pool_new(unsigned size, NetnsPool **ret);

/* Kills and reaps a running helper, closes every namespace fd: nothing is
 * left behind. Returns NULL. */
NetnsPool *netns_pool_free(NetnsPool *p);

/* An fd (O_CLOEXEC) of a fresh network namespace with loopback up, now the
 * caller's, or -EAGAIN when none is ready (then the caller makes one the
 * usual way). Never blocks: takes what a running helper has sent so far. */
int netns_pool_take(NetnsPool *p);

/* Namespaces ready now (those a running helper sent so far included). */
unsigned netns_pool_ready(NetnsPool *p);

/* Asks the helper (started now if it is not running) for what is missing,
 * unless a batch is in flight or nothing is missing. 1: asked; 0: nothing
 * to do; -errno. -ECHILD: the helper was found dead (once); refills stop
 * for good, and answer -EIO from then on. */
int netns_pool_refill(NetnsPool *p);

/* While a batch is in flight: the helper's socket, readable as namespaces
 * arrive (or when the helper died); -EBADF otherwise. The caller watches it
 * and calls netns_pool_helper_done() then. A take may receive the rest of a
 * batch first: then this is -EBADF at once. */
int netns_pool_helper_fd(NetnsPool *p);

/* Takes what the helper sent (never blocks). 1: the batch is complete; 0:
 * more to come; -ECHILD: the helper died, refills stopped. */
int netns_pool_helper_done(NetnsPool *p);

/* Kills and reaps the helper, keeping the ready namespaces; the next refill
 * starts a new one. Before an execve() of the daemon (Reexecute): a helper
 * left running would end as a zombie nobody reaps. */
void netns_pool_stop_helper(NetnsPool *p);
