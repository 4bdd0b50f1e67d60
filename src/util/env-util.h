/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which environment variables an agent's environment may take from where:
 * names the daemon sets itself, names the dynamic loader and glibc act on,
 * and the check applied to StartAgent/RunAgent callers. Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* [A-Za-z_][A-Za-z0-9_]*, the first n bytes of s. */
bool env_name_is_valid(const char *s, size_t n);

/* Set by agentvisord for an agent where they apply (NOTIFY_SOCKET,
 * WATCHDOG_*, LISTEN_*, INVOCATION_ID, ...): never taken from a type or a
 * caller, since the agent would read a value the daemon did not give it. */
bool env_name_is_daemons(const char *s, size_t n);

/* Read by the dynamic loader or by glibc to load code or data from a path
 * (LD_*, GCONV_PATH, GLIBC_TUNABLES, ...): glibc's own list of variables it
 * drops for setuid programs, less TMPDIR and TZDIR, which only choose where
 * files go or which zone is shown. */
bool env_name_is_loaders(const char *s, size_t n);

/* Read by a shell, a language runtime or a common library to load code
 * or modules before the program runs (BASH_ENV, PYTHON*, NODE_OPTIONS,
 * PERL5OPT, OPENSSL_CONF, ...). A deny-list cannot be complete: it covers
 * the shells, runtimes and libraries a Debian system ships. */
bool env_name_is_interpreters(const char *s, size_t n);

/* NULL when a bus caller may set this KEY=VALUE entry; otherwise why not,
 * as a phrase ("is read by the dynamic loader", ...). The caller must
 * already have checked that it is KEY=VALUE with a valid name. PATH, HOME,
 * USER and LOGNAME are the daemon's too: a caller may not change them,
 * an agent type may. */
const char *env_refused_for_caller(const char *assignment);
