/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An agent's sandbox for one spawn (SPEC "Isolation"): the effective
 * settings of its spec (preset and overrides), and the kernel objects that
 * carry them into spawn() (the mount plan, the Landlock ruleset), built
 * before the spawn
 * and released after it. The same function serves the agent and its
 * health checks, so both run under one sandbox. */
#pragma once

#include "config.h"
#include "kernel-features.h"
#include "sandbox-landlock.h"
#include "sandbox-mount.h"
#include "spawn.h"

typedef struct AgentSandbox {
        SandboxSettings settings;
        LandlockRuleset *landlock;      /* NULL: no Landlock */
        MountPlan *mounts;              /* NULL: the host's filesystem view (or join) */
        /* The agent has a mount namespace of its own (its settings need
         * one): a health check joins it, as it has no plan of its own. */
        bool mount_ns;
        /* A pooled network namespace (SandboxNs.netns_fd), closed by
         * agent_sandbox_done(); 0 (zero-initialised): none. */
        int netns_fd;
} AgentSandbox;

/* Refuses what the running kernel cannot honour, before anything is made:
 * Landlock=yes without Landlock, AllowTCPConnect=/AllowTCPBind= below
 * Landlock ABI 4, PrivateNetwork=/PrivatePIDs=/PrivateIPC= without the
 * namespace, PrivateUsers= for a User=root agent without user namespaces.
 * spec->sandbox.preset must be set (agent types have it; fill RunAgent's
 * from DefaultSandbox= first; unset is taken as the built-in standard).
 * 0, or -EOPNOTSUPP with *ret_message naming the key and the missing
 * feature (for InvalidSpec), or -ENOMEM. */
int sandbox_check_honourable(const AgentSpec *spec, const KernelFeatures *f, char **ret_message);

/* Everything one spawn of `spec` needs. state_directory: the prepared host
 * path of StateDirectory= (NULL: none), owned by uid (the agent's host
 * uid); the bind sources and it are opened here, once (see sandbox-mount.h).
 * join: for a health check, which joins the agent's namespaces, its mount
 * namespace included: no mount plan is built or opened (only mount_ns
 * says whether there is one to join); the Landlock ruleset is built, as
 * Landlock binds a process, not a namespace. -errno with *ret_message (may
 * be NULL on ENOMEM) on failure; *ret is then empty. */
int agent_sandbox_prepare(const AgentSpec *spec, SandboxPreset default_preset, const KernelFeatures *f,
                          const char *state_directory, uid_t uid, bool join, AgentSandbox *ret,
                          char **ret_message);
/* Sets the SpawnParams fields; the sandbox must outlive the spawn() call. */
void agent_sandbox_apply(const AgentSandbox *s, SpawnParams *p);
void agent_sandbox_done(AgentSandbox *s);

/* The effective value of every sandbox key of spec (its preset, else
 * default_preset, with its own keys over it) as "KEY=VALUE" words in the
 * key order of sandbox-preset.h: the Agent property SandboxKeys, from
 * which agentctl's one-line Sandbox: summary is made. -ENOMEM. */
int agent_sandbox_keys_strv(const AgentSpec *spec, SandboxPreset default_preset, char ***ret);

/* The LandlockSpec of the effective settings (exposed for tests): paths
 * point into spec and into *ret_strings, which the caller frees with
 * strv_free(), as *ret_paths with free(). */
int agent_sandbox_landlock_spec(const AgentSpec *spec, const SandboxSettings *st, const char *state_directory,
                                LandlockSpec *ret, LandlockPath **ret_paths, char ***ret_strings,
                                uint16_t **ret_ports);
