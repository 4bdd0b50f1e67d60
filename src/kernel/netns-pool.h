/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A few network namespaces made ahead of time, so that a PrivateNetwork=
 * start joins one (setns() in spawn's child, SandboxNs.netns_fd) instead of
 * creating one: creating a network namespace is the costly part of such a
 * start (milliseconds on some kernels), and here it happens off the start
 * path, in a helper process, concurrently with the daemon's loop.
 *
 * The helper is a copy of the daemon (clone3 without CLONE_VM: nothing it
 * does can race the daemon's memory), with no exit signal. For each
 * namespace it unshares CLONE_NEWNET (as host root: the namespace belongs
 * to the initial user namespace, like one from CLONE_NEWNET at the clone),
 * brings loopback up, and sends an fd of it over a socket; then it exits.
 * A namespace is handed out once (netns_pool_take() gives the fd away) and
 * never comes back: every agent gets a fresh one, which dies with its last
 * process. The pool is not thread-safe: one caller thread, like spawn(). */
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

/* Starts a helper making what is missing, unless one is running already or
 * nothing is missing. 1: started; 0: nothing to do; -errno. After a helper
 * failed (it made no namespace), refills stop for good: -EIO. */
int netns_pool_refill(NetnsPool *p);

/* The running helper's pidfd, readable once it exited; -EBADF: none. The
 * caller watches it and calls netns_pool_helper_done() then. */
int netns_pool_helper_fd(NetnsPool *p);

/* Reaps the helper (never blocks: 0 and nothing done while it runs) and
 * takes what it sent. 1: reaped; 0: still running; -errno: it failed
 * (exit status or signal), refills stopped. */
int netns_pool_helper_done(NetnsPool *p);
