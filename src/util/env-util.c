/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Environment variable names and who may set them (see env-util.h). */
#include <string.h>

#include "env-util.h"
#include "macro.h"

static bool is_alpha(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool env_name_is_valid(const char *s, size_t n) {
        if (!s || n == 0 || !is_alpha(s[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_alpha(s[i]) && !(s[i] >= '0' && s[i] <= '9'))
                        return false;
        return true;
}

static bool name_is(const char *s, size_t n, const char *name) {
        return strlen(name) == n && strncmp(s, name, n) == 0;
}

static bool name_has_prefix(const char *s, size_t n, const char *prefix) {
        size_t k = strlen(prefix);
        return n >= k && strncmp(s, prefix, k) == 0;
}

/* Whether the name is one of names[] or starts with one of prefixes[]. */
static bool name_in(const char *s, size_t n, const char *const *names, size_t n_names,
                    const char *const *prefixes, size_t n_prefixes) {
        for (size_t i = 0; i < n_names; i++)
                if (name_is(s, n, names[i]))
                        return true;
        for (size_t i = 0; i < n_prefixes; i++)
                if (name_has_prefix(s, n, prefixes[i]))
                        return true;
        return false;
}

bool env_name_is_daemons(const char *s, size_t n) {
        /* The names systemd gives services for the same purposes: agents
         * written for systemd read them the same way. */
        static const char *const names[] = {
                "NOTIFY_SOCKET", "INVOCATION_ID", "JOURNAL_STREAM", "MAINPID", "MANAGERPID",
                "STATE_DIRECTORY", "RUNTIME_DIRECTORY",
        };
        static const char *const prefixes[] = { "WATCHDOG_", "LISTEN_" };

        return name_in(s, n, names, ELEMENTSOF(names), prefixes, ELEMENTSOF(prefixes));
}

bool env_name_is_loaders(const char *s, size_t n) {
        /* glibc's UNSECURE_ENVVARS (sysdeps/generic/unsecvars.h) without
         * TMPDIR and TZDIR, plus every LD_ name: the loader reads more of
         * them than it lists, and new ones appear. */
        static const char *const names[] = {
                "GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN",
                "LOCPATH", "MALLOC_TRACE", "NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS",
        };

        static const char *const prefixes[] = { "LD_" };

        return name_in(s, n, names, ELEMENTSOF(names), prefixes, ELEMENTSOF(prefixes));
}

bool env_name_is_interpreters(const char *s, size_t n) {
        /* Each names code or a module path that a shell, a language runtime
         * or a library loads at start, before the program's own code runs. */
        static const char *const names[] = {
                "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "IFS", "CDPATH",
                "PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB",
                "NODE_OPTIONS", "NODE_PATH", "RUBYOPT", "RUBYLIB",
                "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH",
                "TCLLIBPATH", "OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_ENGINES",
                "GIO_EXTRA_MODULES", "GTK_MODULES", "GST_PLUGIN_PATH", "SSLKEYLOGFILE",
        };
        static const char *const prefixes[] = { "PYTHON", "LUA_INIT", "LUA_PATH", "LUA_CPATH", "GUILE_" };

        return name_in(s, n, names, ELEMENTSOF(names), prefixes, ELEMENTSOF(prefixes));
}

const char *env_refused_for_caller(const char *assignment) {
        static const char *const identity[] = { "PATH", "HOME", "USER", "LOGNAME" };
        const char *eq = strchr(assignment, '=');
        size_t n = eq ? (size_t) (eq - assignment) : strlen(assignment);

        if (env_name_is_loaders(assignment, n))
                return "is read by the dynamic loader or the C library to load code or data";
        if (env_name_is_interpreters(assignment, n))
                return "makes a shell, a language runtime or a library load code at start";
        if (env_name_is_daemons(assignment, n))
                return "is set by agentvisord itself";
        if (name_in(assignment, n, identity, ELEMENTSOF(identity), NULL, 0))
                return "is set by agentvisord from the agent type and the user database";
        return NULL;
}
