/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sandbox keys of an agent (SPEC "Isolation"): the preset
 * (Sandbox=none|standard|strict) and the keys that override it one by one.
 * Every key's values are ordered from the loosest (0) to the tightest, so
 * "at least as tight" is a comparison of numbers, and every preset is at
 * least as tight as the one before it in every key: StartAgent may raise a
 * value, never lower one. Pure. */
#pragma once

#include <errno.h>
#include <stdbool.h>

typedef enum SandboxPreset {
        SANDBOX_NONE,
        SANDBOX_STANDARD,
        SANDBOX_STRICT,
        _SANDBOX_PRESET_MAX,
        _SANDBOX_PRESET_INVALID = -EINVAL,
} SandboxPreset;

#define SANDBOX_PRESET_DEFAULT SANDBOX_STANDARD

/* The keys in the SPEC's table order. The values of the word keys have the
 * numbers of the kernel layer's enums (sandbox-mount.h: ProtectSystem,
 * ProtectHome, ProtectProc, ProcSubset); the daemon checks that they agree. */
typedef enum SandboxKey {
        SANDBOX_KEY_PRIVATE_TMP,        /* no yes */
        SANDBOX_KEY_PROTECT_SYSTEM,     /* no yes full strict */
        SANDBOX_KEY_PROTECT_HOME,       /* no read-only tmpfs yes */
        SANDBOX_KEY_PRIVATE_DEVICES,    /* no yes */
        SANDBOX_KEY_PROTECT_PROC,       /* default invisible */
        SANDBOX_KEY_PROC_SUBSET,        /* all pid */
        SANDBOX_KEY_PRIVATE_IPC,
        SANDBOX_KEY_PRIVATE_NETWORK,
        SANDBOX_KEY_PRIVATE_PIDS,
        SANDBOX_KEY_PRIVATE_USERS,
        SANDBOX_KEY_LANDLOCK,
        _SANDBOX_KEY_MAX,
} SandboxKey;

#define SANDBOX_UNSET (-1)

/* What a type or a RunAgent call wrote: SANDBOX_UNSET where it wrote
 * nothing. */
typedef struct SandboxOptions {
        int preset;                     /* SandboxPreset or SANDBOX_UNSET (the daemon's DefaultSandbox=) */
        int keys[_SANDBOX_KEY_MAX];     /* per key: a value, or SANDBOX_UNSET (the preset's) */
} SandboxOptions;

/* The effective sandbox: every key has a value. */
typedef struct SandboxSettings {
        SandboxPreset preset;
        int keys[_SANDBOX_KEY_MAX];
} SandboxSettings;

void sandbox_options_init(SandboxOptions *o);

const char *sandbox_preset_to_string(SandboxPreset p);
SandboxPreset sandbox_preset_from_string(const char *s);

/* The key's name as in the files and on the bus ("PrivateTmp"). */
const char *sandbox_key_name(SandboxKey k);
/* Whether the key is yes/no (a `b` on the bus) rather than words. */
bool sandbox_key_is_boolean(SandboxKey k);
/* Number of values of the key. */
int sandbox_key_n_values(SandboxKey k);
/* A value's word ("read-only"); for yes/no keys "yes" or "no". */
const char *sandbox_key_value_to_string(SandboxKey k, int v);
/* The value of a word, -EINVAL when it is none of the key's. The yes/no
 * keys, ProtectSystem= and ProtectHome= also take every boolean word
 * (true, on, 1...), as systemd does. */
int sandbox_key_value_from_string(SandboxKey k, const char *s);

/* The value the preset gives the key (the SPEC's table). */
int sandbox_preset_value(SandboxPreset p, SandboxKey k);

/* The effective value of one key: the written one, else the preset's, the
 * preset being o->preset or else default_preset. */
int sandbox_options_value(const SandboxOptions *o, SandboxPreset default_preset, SandboxKey k);
/* Every key resolved. */
void sandbox_options_resolve(const SandboxOptions *o, SandboxPreset default_preset, SandboxSettings *ret);
