/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An agent's sandbox for one spawn (see agent-sandbox.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent-sandbox.h"
#include "isolation-util.h"
#include "strv.h"

#define STRV_EMPTY(l) (!(l) || !(l)[0])

/* The config layer keeps the word keys as numbers; they are the kernel
 * layer's enums. */
_Static_assert(PROTECT_SYSTEM_STRICT == 3 && PROTECT_HOME_TMPFS == 2 && PROTECT_HOME_YES == 3 &&
                       PROTECT_PROC_INVISIBLE == 1 && PROC_SUBSET_PID == 1 && _PROTECT_SYSTEM_MAX == 4 &&
                       _PROTECT_HOME_MAX == 4 && _PROTECT_PROC_MAX == 2 && _PROC_SUBSET_MAX == 2,
               "sandbox-preset.h and sandbox-mount.h number the values alike");

static bool user_is_root(const char *user) {
        return user && (strcmp(user, "root") == 0 || strcmp(user, "0") == 0);
}

/* Any key that needs a mount namespace of the agent's own (PrivatePIDs: a
 * procfs of its PID namespace). */
static bool wants_mounts(const AgentSpec *spec, const SandboxSettings *st) {
        static const SandboxKey mount_keys[] = {
                SANDBOX_KEY_PRIVATE_TMP, SANDBOX_KEY_PROTECT_SYSTEM, SANDBOX_KEY_PROTECT_HOME,
                SANDBOX_KEY_PRIVATE_DEVICES, SANDBOX_KEY_PROTECT_PROC, SANDBOX_KEY_PROC_SUBSET,
                SANDBOX_KEY_PRIVATE_PIDS,
        };

        for (size_t i = 0; i < ELEMENTSOF(mount_keys); i++)
                if (st->keys[mount_keys[i]] > 0)
                        return true;
        return !STRV_EMPTY(spec->read_write_paths) || !STRV_EMPTY(spec->read_only_paths) ||
               !STRV_EMPTY(spec->inaccessible_paths) || !STRV_EMPTY(spec->bind_paths) ||
               !STRV_EMPTY(spec->bind_read_only_paths);
}

static void landlock_has(const KernelFeatures *f, char *buf, size_t size) {
        if (f->landlock_abi > 0)
                snprintf(buf, size, "this kernel has ABI %d", f->landlock_abi);
        else
                snprintf(buf, size, "this kernel has no Landlock");
}

int sandbox_check_honourable(const AgentSpec *spec, const KernelFeatures *f, char **ret_message) {
        SandboxSettings st;
        char has[64];

        sandbox_options_resolve(&spec->sandbox, SANDBOX_PRESET_DEFAULT, &st);
        landlock_has(f, has, sizeof has);

        if (st.keys[SANDBOX_KEY_LANDLOCK] && f->landlock_abi < 1) {
                message_set(ret_message, "Landlock=yes needs Landlock, which this kernel does not offer (not built "
                            "in, or not enabled at boot with lsm=...,landlock).");
                return -EOPNOTSUPP;
        }
        if (spec->allow_tcp_connect && f->landlock_abi < 4) {
                message_set(ret_message, "AllowTCPConnect= needs Landlock ABI 4 (TCP port rules); %s.", has);
                return -EOPNOTSUPP;
        }
        if (spec->allow_tcp_bind && f->landlock_abi < 4) {
                message_set(ret_message, "AllowTCPBind= needs Landlock ABI 4 (TCP port rules); %s.", has);
                return -EOPNOTSUPP;
        }
        if (st.keys[SANDBOX_KEY_PRIVATE_NETWORK] && !f->netns) {
                message_set(ret_message, "PrivateNetwork=yes needs network namespaces, which this kernel does not "
                            "offer.");
                return -EOPNOTSUPP;
        }
        if (st.keys[SANDBOX_KEY_PRIVATE_PIDS] && !f->pidns_init) {
                message_set(ret_message, "PrivatePIDs=yes needs agentvisor-nsinit, the init of the agent's PID "
                            "namespace, which the daemon did not find at start (its log names where it looked).");
                return -EOPNOTSUPP;
        }
        if (st.keys[SANDBOX_KEY_PRIVATE_PIDS] && !f->pidns) {
                message_set(ret_message, "PrivatePIDs=yes needs PID namespaces, which this kernel does not offer.");
                return -EOPNOTSUPP;
        }
        if (st.keys[SANDBOX_KEY_PRIVATE_IPC] && !f->ipcns) {
                message_set(ret_message, "PrivateIPC=yes needs IPC namespaces, which this kernel does not offer.");
                return -EOPNOTSUPP;
        }
        if (st.keys[SANDBOX_KEY_PRIVATE_USERS] && user_is_root(spec->user) && !f->userns) {
                message_set(ret_message, "PrivateUsers=yes (User=root) needs user namespaces, which this host does "
                            "not allow (user.max_user_namespaces=0, or a kernel without them); write "
                            "PrivateUsers=no in the type for host root.");
                return -EOPNOTSUPP;
        }
        if (wants_mounts(spec, &st) && !f->mount_setattr) {
                message_set(ret_message, "Sandbox=%s needs mount_setattr() (Linux 5.12) for its read-only and "
                            "private mounts, which this kernel does not offer; use Sandbox=none.",
                            sandbox_preset_to_string(st.preset));
                return -EOPNOTSUPP;
        }
        return 0;
}

typedef struct PathList {
        LandlockPath *paths;
        size_t n, size;
        char **strings;
} PathList;

static int add_path_full(PathList *l, const char *path, LandlockPathAccess access, bool optional, bool child_mount,
                         bool bind_source) {
        if (l->n == l->size) {
                size_t size = l->size ? l->size * 2 : 32;
                LandlockPath *p = reallocarray(l->paths, size, sizeof(LandlockPath));

                if (!p)
                        return -ENOMEM;
                l->paths = p;
                l->size = size;
        }
        l->paths[l->n++] = (LandlockPath) {
                .path = path,
                .access = access,
                .optional = optional,
                .child_mount = child_mount,
                .bind_source = bind_source,
        };
        return 0;
}

static int add_path(PathList *l, const char *path, LandlockPathAccess access, bool optional, bool child_mount) {
        return add_path_full(l, path, access, optional, child_mount, false);
}

/* Entries of a path list ("-" prefix: optional). */
static int add_list(PathList *l, char **list, LandlockPathAccess access) {
        int r;

        STRV_FOREACH(e, list) {
                bool optional = (*e)[0] == '-';

                r = add_path(l, *e + optional, access, optional, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* BindPaths: Landlock checks a bind mount's contents against the rules of
 * its source, so the rule goes on SRC. */
static int add_binds(PathList *l, char **list, LandlockPathAccess access) {
        int r;

        STRV_FOREACH(e, list) {
                bool optional = (*e)[0] == '-';
                const char *src = *e + optional, *colon = strchr(src, ':');
                char *s = colon ? strndup(src, (size_t) (colon - src)) : strdup(src);

                if (!s)
                        return -ENOMEM;
                r = strv_push(&l->strings, s);
                if (r < 0) {
                        free(s);
                        return r;
                }
                r = add_path_full(l, s, access, optional, false, /* bind_source= */ true);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int ports_from_strv(char **l, uint16_t *out) {
        size_t n = 0;

        STRV_FOREACH(e, l) {
                unsigned long u = strtoul(*e, NULL, 10);
                if (u == 0 || u > 65535)
                        return -EINVAL;
                out[n++] = (uint16_t) u;
        }
        return (int) n;
}

/* The filesystem rules mirror the mount sandbox (the same rules enforced
 * again): the tree writable, or read-only under ProtectSystem=strict; the
 * protected system directories read-only; the private /tmp and /dev
 * writable (added by the child on its own mounts); home directories as
 * ProtectHome= says; then the agent's own lists and its StateDirectory. */
static int add_filesystem_rules(PathList *l, const AgentSpec *spec, const SandboxSettings *st,
                                const char *state_directory) {
        static const char *const homes[] = { "/home", "/root", "/run/user" };
        int ps = st->keys[SANDBOX_KEY_PROTECT_SYSTEM], ph = st->keys[SANDBOX_KEY_PROTECT_HOME];
        bool strict = ps >= 3, private_tmp = st->keys[SANDBOX_KEY_PRIVATE_TMP] > 0;
        bool own_dev = st->keys[SANDBOX_KEY_PRIVATE_DEVICES] > 0;
        bool own_proc = st->keys[SANDBOX_KEY_PROTECT_PROC] > 0 || st->keys[SANDBOX_KEY_PROC_SUBSET] > 0;
        int r;

        r = add_path(l, "/", strict ? LANDLOCK_PATH_READ_ONLY : LANDLOCK_PATH_READ_WRITE, false, false);
        if (r >= 0 && ps >= 1 && !strict) {
                r = add_path(l, "/usr", LANDLOCK_PATH_READ_ONLY, true, false);
                if (r >= 0)
                        r = add_path(l, "/boot", LANDLOCK_PATH_READ_ONLY, true, false);
                if (r >= 0)
                        r = add_path(l, "/efi", LANDLOCK_PATH_READ_ONLY, true, false);
                if (r >= 0 && ps >= 2)
                        r = add_path(l, "/etc", LANDLOCK_PATH_READ_ONLY, true, false);
        }
        /* Under strict, the API file systems stay as they are. */
        if (r >= 0 && (strict || own_dev))
                r = add_path(l, "/dev", LANDLOCK_PATH_READ_WRITE, false, own_dev);
        if (r >= 0 && (strict || own_proc))
                r = add_path(l, "/proc", LANDLOCK_PATH_READ_WRITE, false, own_proc);
        if (r >= 0 && strict)
                r = add_path(l, "/sys", LANDLOCK_PATH_READ_WRITE, true, false);
        if (r >= 0 && private_tmp) {
                r = add_path(l, "/tmp", LANDLOCK_PATH_READ_WRITE, false, true);
                if (r >= 0)
                        r = add_path(l, "/var/tmp", LANDLOCK_PATH_READ_WRITE, false, true);
        }
        for (size_t i = 0; r >= 0 && ph > 0 && i < ELEMENTSOF(homes); i++)
                r = add_path(l, homes[i], ph == 3 ? LANDLOCK_PATH_INACCESSIBLE : LANDLOCK_PATH_READ_ONLY, true,
                             ph == 2);
        if (r >= 0)
                r = add_list(l, spec->read_write_paths, LANDLOCK_PATH_READ_WRITE);
        if (r >= 0)
                r = add_list(l, spec->read_only_paths, LANDLOCK_PATH_READ_ONLY);
        if (r >= 0)
                r = add_list(l, spec->inaccessible_paths, LANDLOCK_PATH_INACCESSIBLE);
        if (r >= 0)
                r = add_binds(l, spec->bind_paths, LANDLOCK_PATH_READ_WRITE);
        if (r >= 0)
                r = add_binds(l, spec->bind_read_only_paths, LANDLOCK_PATH_READ_ONLY);
        if (r >= 0 && state_directory)
                r = add_path(l, state_directory, LANDLOCK_PATH_READ_WRITE, false, false);
        return r;
}

int agent_sandbox_landlock_spec(const AgentSpec *spec, const SandboxSettings *st, const char *state_directory,
                                LandlockSpec *ret, LandlockPath **ret_paths, char ***ret_strings,
                                uint16_t **ret_ports) {
        _cleanup_free_ uint16_t *ports = NULL;
        PathList l = {};
        LandlockSpec s = {};
        size_t n_connect = strv_length(spec->allow_tcp_connect), n_bind = strv_length(spec->allow_tcp_bind);
        int r = 0;

        if (st->keys[SANDBOX_KEY_LANDLOCK]) {
                s.filesystem = true;
                r = add_filesystem_rules(&l, spec, st, state_directory);
        }
        if (r >= 0) {
                ports = calloc(n_connect + n_bind + 1, sizeof(uint16_t));
                if (!ports)
                        r = -ENOMEM;
        }
        if (r >= 0 && spec->allow_tcp_connect) {
                r = ports_from_strv(spec->allow_tcp_connect, ports);
                s.tcp_connect = true;
                s.tcp_connect_ports = ports;
                s.n_tcp_connect_ports = n_connect;
        }
        if (r >= 0 && spec->allow_tcp_bind) {
                r = ports_from_strv(spec->allow_tcp_bind, ports + n_connect);
                s.tcp_bind = true;
                s.tcp_bind_ports = ports + n_connect;
                s.n_tcp_bind_ports = n_bind;
        }
        if (r < 0) {
                free(l.paths);
                strv_free(l.strings);
                return r;
        }
        s.paths = l.paths;
        s.n_paths = l.n;
        *ret = s;
        *ret_paths = l.paths;
        *ret_strings = l.strings;
        *ret_ports = TAKE_PTR(ports);
        return 0;
}

int agent_sandbox_prepare(const AgentSpec *spec, SandboxPreset default_preset, const KernelFeatures *f,
                          const char *state_directory, uid_t uid, bool join, AgentSandbox *ret,
                          char **ret_message) {
        _cleanup_strv_free_ char **strings = NULL;
        _cleanup_free_ LandlockPath *paths = NULL;
        _cleanup_free_ uint16_t *ports = NULL;
        AgentSandbox s = {};
        AgentSpec resolved;
        LandlockSpec ls;
        int r;

        sandbox_options_resolve(&spec->sandbox, default_preset, &s.settings);

        /* The check again, with the preset resolved: a RunAgent spec or a
         * type from before a kernel change gets the same refusal. */
        resolved = *spec;
        resolved.sandbox.preset = s.settings.preset;
        r = sandbox_check_honourable(&resolved, f, ret_message);
        if (r < 0)
                return r;

        /* No mount namespace at all where nothing needs one; a health check
         * joins the agent's. */
        s.mount_ns = wants_mounts(spec, &s.settings);
        if (s.mount_ns && !join)
                r = mount_plan_build(&(MountSettings) {
                                     .private_tmp = s.settings.keys[SANDBOX_KEY_PRIVATE_TMP] > 0,
                                     .protect_system = s.settings.keys[SANDBOX_KEY_PROTECT_SYSTEM],
                                     .protect_home = s.settings.keys[SANDBOX_KEY_PROTECT_HOME],
                                     .private_devices = s.settings.keys[SANDBOX_KEY_PRIVATE_DEVICES] > 0,
                                     .protect_proc = s.settings.keys[SANDBOX_KEY_PROTECT_PROC],
                                     .proc_subset = s.settings.keys[SANDBOX_KEY_PROC_SUBSET],
                                     .private_pids = s.settings.keys[SANDBOX_KEY_PRIVATE_PIDS] > 0,
                                     .read_write_paths = spec->read_write_paths,
                                     .read_only_paths = spec->read_only_paths,
                                     .inaccessible_paths = spec->inaccessible_paths,
                                     .bind_paths = spec->bind_paths,
                                     .bind_read_only_paths = spec->bind_read_only_paths,
                                     /* Bound at its own path, past what the rest hides. */
                                     .state_directory = state_directory,
                                     .state_directory_uid = uid,
                             },
                             &s.mounts, ret_message);
        if (r < 0)
                return r;
        r = mount_plan_open_sources(s.mounts, ret_message);
        if (r < 0) {
                agent_sandbox_done(&s);
                return r;
        }
        r = agent_sandbox_landlock_spec(spec, &s.settings, state_directory, &ls, &paths, &strings, &ports);
        if (r >= 0)
                r = landlock_ruleset_build(&ls, &s.landlock, ret_message);
        if (r < 0) {
                agent_sandbox_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

int agent_sandbox_keys_strv(const AgentSpec *spec, SandboxPreset default_preset, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        SandboxSettings st;

        sandbox_options_resolve(&spec->sandbox, default_preset, &st);
        for (SandboxKey k = 0; k < _SANDBOX_KEY_MAX; k++) {
                char *e;

                if (asprintf(&e, "%s=%s", sandbox_key_name(k), sandbox_key_value_to_string(k, st.keys[k])) < 0)
                        return -ENOMEM;
                if (strv_push(&l, e) < 0) {
                        free(e);
                        return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}

void agent_sandbox_apply(const AgentSandbox *s, SpawnParams *p) {
        p->landlock = s->landlock;
        p->mounts = s->mounts;
}

void agent_sandbox_done(AgentSandbox *s) {
        s->landlock = landlock_ruleset_free(s->landlock);
        s->mounts = mount_plan_free(s->mounts);
        if (s->netns_fd > 0) {
                safe_close(s->netns_fd);
                s->netns_fd = 0;
        }
}
