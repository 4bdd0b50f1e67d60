/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* User=dynamic: a pool of uids (gid = the same number) over [Daemon]
 * DynamicUserRange=, handed to agents by name.
 *
 * A uid handed out is in no entry of the user database (neither passwd nor
 * group has the number), held by no other agent of this pool, and locked
 * against every other agentvisord on the host through a lock file per uid,
 * LOCK_DIR/UID, flock()ed for as long as the agent holds it. A name keeps its
 * uid for the pool's lifetime, across release and acquire; its first choice
 * is a hash of the name into the range, so it is usually the same after a
 * daemon restart too.
 *
 * A recycled uid must not reach an earlier holder's StateDirectory=: a
 * uid is recycled when the range runs out (a released name's uid goes to
 * another name) and across daemon restarts (the pool's memory is gone, and
 * another name may hash to a uid that still owns an earlier agent's state).
 * So a fresh pick asks a veto (dynamic_user_pool_set_veto(); the daemon's
 * is state_directory_owned_by()): a uid that owns an existing state
 * directory other than the acquiring agent's own is skipped, whatever the
 * range holds. The agent's own directory does not bar the uid, so an agent
 * gets its old uid back after a restart, and its directory needs no
 * re-own. The alternative, systemd's 0700 root-owned /var/lib/private
 * indirection, needs every agent with a StateDirectory in a mount
 * namespace of its own to reach it at BASE/NAME; Sandbox=none agents have
 * none. Files a uid left elsewhere (world-writable directories) are not
 * checked (systemd does not either); PrivateTmp= keeps /tmp out of it. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define DYNAMIC_USER_RANGE_DEFAULT "61184-65519"
#define DYNAMIC_USER_RANGE_MIN_DEFAULT ((uid_t) 61184)
#define DYNAMIC_USER_RANGE_MAX_DEFAULT ((uid_t) 65519)
/* Entries at most in one range: acquisition walks it in the worst case. */
#define DYNAMIC_USER_RANGE_SIZE_MAX 65536U
/* Below this, uids belong to the system's own users. */
#define DYNAMIC_USER_SYSTEM_UID_MAX ((uid_t) 999)

/* "LO-HI" into *ret_lo and *ret_hi (untouched on failure), *ret_message (may
 * be NULL) says what is wrong on failure, for the caller to free.
 *   -EINVAL  not two decimal numbers joined by '-', LO > HI, a bound outside
 *            1..4294967294, or more than DYNAMIC_USER_RANGE_SIZE_MAX uids;
 *   -ERANGE  well formed, but it reaches into the system users (< 1000):
 *            refuse it (or warn, if the caller wants to accept it: parse again
 *            after reporting; values are not returned on -ERANGE);
 *   -ENOMEM. */
int dynamic_user_range_parse(const char *s, uid_t *ret_lo, uid_t *ret_hi, char **ret_message);

/* Answers whether uid (as a uid) or gid (the same number, as a gid) has an
 * entry in the user database: > 0 yes, 0 no, negative errno if the lookup
 * failed. The default asks NSS (getpwuid, getgrgid); tests inject their own. */
typedef int (*DynamicUserLookup)(uid_t uid, void *userdata);
int dynamic_user_lookup_nss(uid_t uid, void *userdata);

typedef struct DynamicUserPool DynamicUserPool;

/* Asked for every uid a fresh pick considers: > 0 it must not go to an
 * agent whose own StateDirectory= is own_state_directory (NULL: none), 0
 * it may, negative errno if the answer is unknown (the acquisition fails:
 * never a uid that might own another agent's state). */
typedef int (*DynamicUserVeto)(uid_t uid, const char *own_state_directory, void *userdata);

/* A pool over lo..hi (as accepted by dynamic_user_range_parse(), but -ERANGE
 * is not checked here) with its lock files in lock_dir (for the daemon:
 * RuntimeDirectory + "/dynamic-uid"), which is created 0755 with its parents
 * if missing and must be owned by us and writable by nobody else (-EPERM).
 * Lookups go to NSS until dynamic_user_pool_set_lookup(). */
int dynamic_user_pool_new(uid_t lo, uid_t hi, const char *lock_dir, DynamicUserPool **ret, char **ret_message);
/* Drops every lock (and its lock file) and forgets every name. NULL is fine. */
DynamicUserPool *dynamic_user_pool_free(DynamicUserPool *p);
void dynamic_user_pool_set_lookup(DynamicUserPool *p, DynamicUserLookup lookup, void *userdata);
/* NULL: no veto (the default). */
void dynamic_user_pool_set_veto(DynamicUserPool *p, DynamicUserVeto veto, void *userdata);

/* Gives name a uid and holds it (gid = the same number). The name's
 * remembered uid if it is still usable, else the first usable one probing
 * linearly from hash(name) that the veto does not bar for
 * own_state_directory (the agent's StateDirectory= NAME, NULL: none). A uid remembered for another name (held or
 * released) is only taken when no never-used uid is left; that name then
 * forgets it and gets a fresh one next time. Acquiring a name that holds its
 * uid already returns the same uid again (not counted: one release frees it).
 * O(1) lookups per uid, O(range) at worst.
 *   0 and *ret_uid;
 *   -EUSERS  the range is exhausted (*ret_message says so and why, with the
 *            number of uids the veto barred);
 *   negative errno from the lock directory or the user database lookup,
 *   with *ret_message. *ret_message may be NULL. */
int dynamic_user_acquire(DynamicUserPool *p, const char *name, const char *own_state_directory, uid_t *ret_uid,
                         char **ret_message);

/* For an agent found running with a uid of ours (Reexecute, or a daemon
 * restarted after a crash): takes exactly that uid for name, even outside
 * the range or found in the user database, as the agent runs with it
 * anyway. -EBUSY if another name of this pool or another agentvisord holds
 * it, -EEXIST if name holds a different uid. */
int dynamic_user_adopt(DynamicUserPool *p, const char *name, uid_t uid, char **ret_message);
/* The same with the lock for uid that the daemon's previous image held and
 * passed over Reexecute (lock_fd, taken also on failure): kept, so that no
 * other agentvisord could take the uid between the two images. A lock_fd that
 * is not the lock file of uid in the lock directory, or not locked by us, is
 * closed and the uid locked again, as by dynamic_user_adopt(). */
int dynamic_user_adopt_fd(DynamicUserPool *p, const char *name, uid_t uid, int lock_fd, char **ret_message);
/* The lock fd of the uid name holds (for Reexecute to pass it over; still
 * the pool's), or -ENOENT. */
int dynamic_user_lock_fd(const DynamicUserPool *p, const char *name);

/* Call only once the agent's cgroup is empty: no process may run as the uid
 * when another agent can get it. Drops the lock and the lock file; the name
 * keeps its uid in memory. 0, or -ENOENT if name holds no uid. */
int dynamic_user_release(DynamicUserPool *p, const char *name);

/* The uid name holds or last held: 1 held, 0 remembered (released), -ENOENT
 * unknown. *ret_uid may be NULL. */
int dynamic_user_get(const DynamicUserPool *p, const char *name, uid_t *ret_uid);
