/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* StateDirectory=NAME: BASE/NAME, 0700, owned by the agent's uid and gid,
 * re-owned when they change (a dynamic uid may differ from one daemon run
 * to the next). The daemon never deletes it: it outlives restarts and
 * RemoveAgent. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define STATE_DIRECTORY_BASE_DEFAULT "/var/lib/agentvisor"
/* Levels below BASE/NAME that a re-own walks; a deeper tree fails the start
 * rather than leave files with the old owner. */
#define STATE_DIRECTORY_DEPTH_MAX 64U

/* NAME as systemd's StateDirectory= takes it: a relative path of one or more
 * components of [A-Za-z0-9._-], no "." or "..", no empty component (so no
 * leading, trailing or doubled '/'). On false, *ret_message (may be NULL)
 * says why, for the caller to free. */
bool state_directory_name_is_valid(const char *name, char **ret_message);

/* Creates base_dir (absolute; mkdir -p, 0755) and the parents of NAME inside
 * it (0755, root) if missing, then the leaf BASE/NAME with mode 0700 owned by
 * uid:gid. An existing leaf gets mode 0700; if its owner is not uid:gid, the
 * whole tree beneath it is re-owned, the leaf last (so an interrupted re-own
 * is redone next time). The walk never follows a symlink (links themselves
 * are re-owned), and never re-owns a non-directory with more than one link
 * unless its owner was the leaf's old (non-root) owner: such a file may be a
 * hard link to something outside the tree.
 *   0 and *ret_path (BASE/NAME, for $STATE_DIRECTORY; may be NULL);
 *   -EINVAL  bad name or base_dir;
 *   -ELOOP   NAME or one of its parents is a symlink;
 *   -ENOTDIR it is not a directory;
 *   -E2BIG   the tree is deeper than STATE_DIRECTORY_DEPTH_MAX;
 *   other negative errno from the file system.
 * Every failure but -ENOMEM sets *ret_message (may be NULL). */
int state_directory_prepare(const char *base_dir, const char *name, uid_t uid, gid_t gid, char **ret_path,
                            char **ret_message);

/* Whether uid owns a state directory beneath base_dir other than own (the
 * asking agent's StateDirectory= NAME; NULL: none): the dynamic uid pool's
 * veto (dynamic-user.h), so a recycled uid never gets another agent's state.
 * A state directory is a directory of any owner but root; root-owned
 * directories of mode 0755 are the parents state_directory_prepare() makes
 * and are searched, STATE_DIRECTORY_DEPTH_MAX levels deep. Nothing is
 * followed through a symlink.
 *   1 and *ret_name (may be NULL; the NAME found, for the caller to free);
 *   0: none (also when base_dir does not exist);
 *   negative errno from the file system. */
int state_directory_owned_by(const char *base_dir, uid_t uid, const char *own, char **ret_name);
