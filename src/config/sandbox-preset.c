/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The preset table of the SPEC's "Isolation" section and the words of each
 * sandbox key (see sandbox-preset.h). */
#include <string.h>

#include "macro.h"
#include "parse-util.h"
#include "sandbox-preset.h"

static const char *const preset_names[_SANDBOX_PRESET_MAX] = {
        [SANDBOX_NONE] = "none",
        [SANDBOX_STANDARD] = "standard",
        [SANDBOX_STRICT] = "strict",
};

#define MAX_VALUES 4

typedef struct SandboxKeyInfo {
        const char *name;
        bool boolean;
        const char *values[MAX_VALUES];        /* loosest first */
        int preset[_SANDBOX_PRESET_MAX];       /* none, standard, strict */
} SandboxKeyInfo;

#define YES_NO { "no", "yes" }

static const SandboxKeyInfo keys[_SANDBOX_KEY_MAX] = {
        [SANDBOX_KEY_PRIVATE_TMP] = { "PrivateTmp", true, YES_NO, { 0, 1, 1 } },
        [SANDBOX_KEY_PROTECT_SYSTEM] = { "ProtectSystem", false, { "no", "yes", "full", "strict" }, { 0, 2, 3 } },
        [SANDBOX_KEY_PROTECT_HOME] = { "ProtectHome", false, { "no", "read-only", "tmpfs", "yes" }, { 0, 1, 3 } },
        [SANDBOX_KEY_PRIVATE_DEVICES] = { "PrivateDevices", true, YES_NO, { 0, 1, 1 } },
        [SANDBOX_KEY_PROTECT_PROC] = { "ProtectProc", false, { "default", "invisible" }, { 0, 1, 1 } },
        [SANDBOX_KEY_PROC_SUBSET] = { "ProcSubset", false, { "all", "pid" }, { 0, 0, 1 } },
        [SANDBOX_KEY_PRIVATE_IPC] = { "PrivateIPC", true, YES_NO, { 0, 1, 1 } },
        [SANDBOX_KEY_PRIVATE_NETWORK] = { "PrivateNetwork", true, YES_NO, { 0, 0, 1 } },
        [SANDBOX_KEY_PRIVATE_PIDS] = { "PrivatePIDs", true, YES_NO, { 0, 0, 1 } },
        [SANDBOX_KEY_PRIVATE_USERS] = { "PrivateUsers", true, YES_NO, { 0, 1, 1 } },
        [SANDBOX_KEY_LANDLOCK] = { "Landlock", true, YES_NO, { 0, 0, 1 } },
};

void sandbox_options_init(SandboxOptions *o) {
        o->preset = SANDBOX_UNSET;
        for (size_t i = 0; i < _SANDBOX_KEY_MAX; i++)
                o->keys[i] = SANDBOX_UNSET;
}

const char *sandbox_preset_to_string(SandboxPreset p) {
        return (int) p >= 0 && p < _SANDBOX_PRESET_MAX ? preset_names[p] : NULL;
}

SandboxPreset sandbox_preset_from_string(const char *s) {
        for (int i = 0; s && i < _SANDBOX_PRESET_MAX; i++)
                if (strcmp(preset_names[i], s) == 0)
                        return (SandboxPreset) i;
        return _SANDBOX_PRESET_INVALID;
}

const char *sandbox_key_name(SandboxKey k) {
        return (int) k >= 0 && k < _SANDBOX_KEY_MAX ? keys[k].name : NULL;
}

bool sandbox_key_is_boolean(SandboxKey k) {
        return keys[k].boolean;
}

int sandbox_key_n_values(SandboxKey k) {
        int n = 0;

        while (n < MAX_VALUES && keys[k].values[n])
                n++;
        return n;
}

const char *sandbox_key_value_to_string(SandboxKey k, int v) {
        return v >= 0 && v < sandbox_key_n_values(k) ? keys[k].values[v] : NULL;
}

int sandbox_key_value_from_string(SandboxKey k, const char *s) {
        int b;

        for (int i = 0; i < sandbox_key_n_values(k); i++)
                if (strcmp(keys[k].values[i], s) == 0)
                        return i;
        /* "yes" of ProtectSystem/ProtectHome is a word of its own (matched
         * above); the other boolean spellings mean the same. */
        if (k == SANDBOX_KEY_PROTECT_SYSTEM || k == SANDBOX_KEY_PROTECT_HOME || keys[k].boolean) {
                b = parse_boolean(s);
                if (b < 0)
                        return -EINVAL;
                if (keys[k].boolean)
                        return b;
                return b ? sandbox_key_value_from_string(k, "yes") : 0;
        }
        return -EINVAL;
}

int sandbox_preset_value(SandboxPreset p, SandboxKey k) {
        return keys[k].preset[p];
}

int sandbox_options_value(const SandboxOptions *o, SandboxPreset default_preset, SandboxKey k) {
        SandboxPreset p = o->preset >= 0 ? (SandboxPreset) o->preset : default_preset;

        if (o->keys[k] >= 0)
                return o->keys[k];
        return sandbox_preset_value(p, k);
}

void sandbox_options_resolve(const SandboxOptions *o, SandboxPreset default_preset, SandboxSettings *ret) {
        ret->preset = o->preset >= 0 ? (SandboxPreset) o->preset : default_preset;
        for (int k = 0; k < _SANDBOX_KEY_MAX; k++)
                ret->keys[k] = sandbox_options_value(o, default_preset, (SandboxKey) k);
}
