/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Human-readable formatting for agentctl; no bus and no files here. */

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bus-names.h"
#include "ctl-args.h"
#include "ctl-format.h"
#include "parse-util.h"
#include "strv.h"

const char *ctl_format_uptime(char *buf, size_t size, usec_t t) {
        static const struct {
                const char *suffix;
                usec_t usec;
        } units[] = {
                { "d", 24 * 3600 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "s", USEC_PER_SEC },
        };

        if (t == USEC_INFINITY) {
                snprintf(buf, size, "infinity");
                return buf;
        }
        if (t < USEC_PER_SEC) {
                if (t < USEC_PER_MSEC)
                        snprintf(buf, size, "0");
                else
                        snprintf(buf, size, "%" PRIu64 "ms", t / USEC_PER_MSEC);
                return buf;
        }

        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                uint64_t major = t / units[i].usec, minor;

                if (major == 0)
                        continue;
                if (i + 1 == ELEMENTSOF(units)) {
                        snprintf(buf, size, "%" PRIu64 "%s", major, units[i].suffix);
                        return buf;
                }
                minor = (t % units[i].usec) / units[i + 1].usec;
                if (minor == 0)
                        snprintf(buf, size, "%" PRIu64 "%s", major, units[i].suffix);
                else
                        snprintf(buf, size, "%" PRIu64 "%s %" PRIu64 "%s", major, units[i].suffix, minor,
                                 units[i + 1].suffix);
                return buf;
        }
        return buf;   /* not reached: t >= 1s always matches "s" */
}

static bool local_time(usec_t t, struct tm *tm) {
        time_t sec;

        if (t == 0 || t == USEC_INFINITY)
                return false;
        sec = (time_t) (t / USEC_PER_SEC);
        return localtime_r(&sec, tm) != NULL;
}

const char *ctl_format_timestamp(char *buf, size_t size, usec_t t) {
        struct tm tm;

        if (!local_time(t, &tm) || strftime(buf, size, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                snprintf(buf, size, "n/a");
        return buf;
}

const char *ctl_format_clock(char *buf, size_t size, usec_t t) {
        struct tm tm;

        if (!local_time(t, &tm) || strftime(buf, size, "%H:%M:%S", &tm) == 0)
                snprintf(buf, size, "n/a");
        return buf;
}

static const char *signal_name(int sig, char *buf, size_t size) {
        const char *abbrev = sig > 0 && sig < NSIG ? sigabbrev_np(sig) : NULL;

        if (abbrev)
                snprintf(buf, size, "SIG%s", abbrev);
        else
                snprintf(buf, size, "%d", sig);
        return buf;
}

const char *ctl_format_exit(char *buf, size_t size, const char *reason, int status, const char *killed_by) {
        char detail[64] = "", sig[32];
        size_t n;

        if (!reason || !*reason) {
                snprintf(buf, size, "none");
                return buf;
        }

        if (strcmp(reason, "exited") == 0)
                snprintf(detail, sizeof(detail), ", status %d", status);
        else if (strcmp(reason, "signal") == 0)
                snprintf(detail, sizeof(detail), " %s", signal_name(status, sig, sizeof(sig)));
        else if (strcmp(reason, "seccomp") == 0)
                snprintf(detail, sizeof(detail), ", signal %s", signal_name(status, sig, sizeof(sig)));
        else if (strcmp(reason, "spawn-failed") == 0) {
                const char *e = status > 0 ? strerrorname_np(status) : NULL;

                if (e)
                        snprintf(detail, sizeof(detail), ", %s", e);
                else
                        snprintf(detail, sizeof(detail), ", errno %d", status);
        }

        n = (size_t) snprintf(buf, size, "%s%s", reason, detail);
        if (killed_by && *killed_by && n < size)
                snprintf(buf + n, size - n, " (killed by %s)", killed_by);
        return buf;
}

const char *ctl_format_usage(char *buf, size_t size, uint64_t current, uint64_t max, bool bytes) {
        char cur[64], lim[64];

        if (current == UINT64_MAX)
                snprintf(cur, sizeof(cur), "n/a");
        else if (bytes)
                format_size(cur, sizeof(cur), current);
        else
                snprintf(cur, sizeof(cur), "%" PRIu64, current);

        if (max == UINT64_MAX)
                snprintf(buf, size, "%s", cur);
        else {
                if (bytes)
                        format_size(lim, sizeof(lim), max);
                else
                        snprintf(lim, sizeof(lim), "%" PRIu64, max);
                snprintf(buf, size, "%s (%s %s)", cur, bytes ? "max" : "limit", lim);
        }
        return buf;
}

const char *ctl_format_hex(char *buf, size_t size, const uint8_t *data, size_t n) {
        size_t i;

        for (i = 0; i < n && 2 * i + 2 < size; i++)
                snprintf(buf + 2 * i, 3, "%02x", data[i]);
        if (size > 0)
                buf[MIN(2 * i, size - 1)] = '\0';
        return buf;
}

static bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

/* The SPEC's preset table, for keys the daemon does not expose. */
enum { PRESET_NONE, PRESET_STANDARD, PRESET_STRICT, _PRESET_MAX };

static const struct {
        const char *key;
        const char *value[_PRESET_MAX];
} sandbox_keys[] = {
        { "PrivateTmp", { "no", "yes", "yes" } },
        { "ProtectSystem", { "no", "full", "strict" } },
        { "ProtectHome", { "no", "read-only", "yes" } },
        { "PrivateDevices", { "no", "yes", "yes" } },
        { "ProtectProc", { "default", "invisible", "invisible" } },
        { "ProcSubset", { "all", "all", "pid" } },
        { "PrivateIPC", { "no", "yes", "yes" } },
        { "PrivateNetwork", { "no", "no", "yes" } },
        { "PrivatePIDs", { "no", "no", "yes" } },
        { "PrivateUsers", { "no", "yes", "yes" } },
        { "Landlock", { "no", "no", "yes" } },
};

typedef struct SandboxView {
        const PropList *agent;
        int preset;          /* -1: not a preset this agentctl knows */
        bool guessed;        /* some key came from the preset table */
} SandboxView;

/* A key's effective value as a word: the daemon's SandboxKeys ("KEY=VALUE",
 * the preset and the agent's own keys resolved), else a property of the
 * key's name, else (a daemon without SandboxKeys) the preset's. */
static const char *sandbox_value(SandboxView *v, const char *key) {
        const Prop *keys = prop_list_get(v->agent, "SandboxKeys");
        const Prop *p = prop_list_get(v->agent, key);
        size_t n = strlen(key);

        if (keys && keys->type == PROP_STRV)
                for (char * const *e = keys->strv; e && *e; e++)
                        if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
                                return *e + n + 1;

        if (p && p->type == PROP_BOOL)
                return p->b ? "yes" : "no";
        if (p && p->type == PROP_STRING)
                return p->str;
        for (size_t i = 0; i < ELEMENTSOF(sandbox_keys); i++)
                if (strcmp(sandbox_keys[i].key, key) == 0 && v->preset >= 0) {
                        v->guessed = true;
                        return sandbox_keys[i].value[v->preset];
                }
        return "";
}

static bool sandbox_yes(SandboxView *v, const char *key) {
        return streq(sandbox_value(v, key), "yes");
}

static void append(char *buf, size_t size, const char *separator, const char *format, ...) _printf_(4, 5);
static void append(char *buf, size_t size, const char *separator, const char *format, ...) {
        size_t n = strlen(buf);
        va_list ap;

        if (n > 0 && n < size)
                n += (size_t) snprintf(buf + n, size - n, "%s", separator);
        if (n >= size)
                return;
        va_start(ap, format);
        vsnprintf(buf + n, size - n, format, ap);
        va_end(ap);
}

/* Who the agent runs as, on the host. UID is UINT32_MAX until the first
 * start (systemd's "[not set]"), shown as "-". */
static void sandbox_who(SandboxView *v, char *buf, size_t size) {
        const char *user = prop_list_get_string(v->agent, "User", "");
        const Prop *uid = prop_list_get(v->agent, "UID");
        bool have_uid = uid && uid->type == PROP_UINT32 && uid->u32 != UINT32_MAX;
        bool not_set = uid && uid->type == PROP_UINT32 && uid->u32 == UINT32_MAX;

        if (streq(user, "dynamic")) {
                if (have_uid && uid->u32 > 0)
                        append(buf, size, "", "dynamic uid %" PRIu32, uid->u32);
                else
                        append(buf, size, "", not_set ? "dynamic uid -" : "dynamic user");
        } else if (STR_IN_SET(user, "root", "0")) {
                if (!sandbox_yes(v, "PrivateUsers"))
                        append(buf, size, "", "host root");
                else if (have_uid && uid->u32 > 0)
                        append(buf, size, "", "root in a user namespace, host uid %" PRIu32, uid->u32);
                else
                        append(buf, size, "", "root in a user namespace");
        } else if (*user && have_uid)
                append(buf, size, "", "user %s (uid %" PRIu32 ")", user, uid->u32);
        else if (*user)
                append(buf, size, "", not_set ? "user %s (uid -)" : "user %s", user);
        else if (have_uid)
                append(buf, size, "", "uid %" PRIu32, uid->u32);
}

/* What it sees: private namespaces and mounts, /proc, Landlock. */
static void sandbox_layers(SandboxView *v, char * const *features, char *buf, size_t size) {
        static const struct {
                const char *key, *word;
        } private[] = {
                { "PrivateTmp", "tmp" },
                { "PrivateDevices", "dev" },
                { "PrivateNetwork", "net" },
                { "PrivateIPC", "ipc" },
                { "PrivatePIDs", "pids" },
        };
        const char *system = sandbox_value(v, "ProtectSystem"), *home = sandbox_value(v, "ProtectHome");
        char list[64] = "";

        for (size_t i = 0; i < ELEMENTSOF(private); i++)
                if (sandbox_yes(v, private[i].key))
                        append(list, sizeof(list), "/", "%s", private[i].word);
        if (*list)
                append(buf, size, ", ", "private %s", list);

        if (streq(system, "yes"))
                append(buf, size, ", ", "ro /usr /boot");
        else if (streq(system, "full"))
                append(buf, size, ", ", "ro /usr /boot /etc");
        else if (streq(system, "strict"))
                append(buf, size, ", ", "ro system");

        if (streq(home, "read-only"))
                append(buf, size, ", ", "ro home");
        else if (streq(home, "tmpfs"))
                append(buf, size, ", ", "empty home");
        else if (streq(home, "yes"))
                append(buf, size, ", ", "no home");

        if (streq(sandbox_value(v, "ProtectProc"), "invisible"))
                append(buf, size, ", ", "proc invisible");
        if (streq(sandbox_value(v, "ProcSubset"), "pid"))
                append(buf, size, ", ", "proc subset pid");

        if (sandbox_yes(v, "Landlock")) {
                const char *abi = NULL;

                for (char * const *f = features; f && *f; f++)
                        if (strncmp(*f, "landlock=", 9) == 0)
                                abi = *f + 9;
                if (abi)
                        append(buf, size, ", ", "landlock v%s", abi);
                else
                        append(buf, size, ", ", "landlock");
        }
}

const char *ctl_format_sandbox(char *buf, size_t size, const PropList *agent, char * const *features) {
        static const char * const presets[_PRESET_MAX] = { "none", "standard", "strict" };
        const char *preset = prop_list_get_string(agent, "Sandbox", NULL);
        SandboxView v = { .agent = agent, .preset = -1 };
        char who[128] = "", layers[384] = "";

        if (!preset)
                return NULL;
        for (int i = 0; i < _PRESET_MAX; i++)
                if (streq(preset, presets[i]))
                        v.preset = i;

        sandbox_who(&v, who, sizeof(who));
        sandbox_layers(&v, features, layers, sizeof(layers));

        if (!*who && !*layers)
                snprintf(buf, size, "%s", preset);
        else if (!*layers)
                snprintf(buf, size, "%s (%s)", preset, who);
        else
                snprintf(buf, size, "%s (%s%s%s%s)", preset, who, *who ? (v.guessed ? "; " : ", ") : "",
                         v.guessed ? "preset: " : "", layers);
        return buf;
}

const char *ctl_state_color(const char *state, const char *health) {
        state = state ?: "";
        health = health ?: "";
        if (STR_IN_SET(state, "failed") || STR_IN_SET(health, "unhealthy"))
                return ANSI_RED;
        if (STR_IN_SET(state, "starting", "stopping", "restarting", "frozen"))
                return ANSI_YELLOW;
        if (STR_IN_SET(state, "running"))
                return ANSI_GREEN;
        return ANSI_WHITE;
}

void proc_entries_free(ProcEntry *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(p[i].cmdline);
        free(p);
}

typedef struct TreeContext {
        const ProcEntry *procs;
        size_t n;
        size_t *order;      /* indices sorted by pid */
        bool *done;
        size_t width;
        FILE *f;
} TreeContext;

static bool has_parent(const TreeContext *c, size_t i) {
        for (size_t k = 0; k < c->n; k++)
                if (k != i && c->procs[k].pid == c->procs[i].ppid)
                        return true;
        return false;
}

static void tree_line(const TreeContext *c, const char *prefix, bool last, const ProcEntry *p) {
        char line[4096];

        snprintf(line, sizeof(line), "%s%s%d %s", prefix, last ? "└─" : "├─", (int) p->pid,
                 p->cmdline ? p->cmdline : "");
        if (c->width > 0) {
                /* Count columns as code points, and cut before a character,
                 * never inside its UTF-8 sequence. */
                size_t columns = 0;

                for (char *s = line; *s; s++)
                        if (((unsigned char) *s & 0xc0) != 0x80 && columns++ == c->width) {
                                *s = '\0';
                                break;
                        }
        }
        fprintf(c->f, "%s\n", line);
}

static int tree_node(TreeContext *c, size_t i, const char *prefix, bool last) {
        _cleanup_free_ char *child_prefix = NULL;
        size_t last_child = SIZE_MAX;

        c->done[i] = true;
        tree_line(c, prefix, last, &c->procs[i]);

        if (asprintf(&child_prefix, "%s%s", prefix, last ? "  " : "│ ") < 0)
                return -ENOMEM;

        for (size_t k = 0; k < c->n; k++) {
                size_t j = c->order[k];
                if (!c->done[j] && j != i && c->procs[j].ppid == c->procs[i].pid)
                        last_child = j;
        }
        for (size_t k = 0; k < c->n && last_child != SIZE_MAX; k++) {
                size_t j = c->order[k];
                int r;

                if (c->done[j] || j == i || c->procs[j].ppid != c->procs[i].pid)
                        continue;
                r = tree_node(c, j, child_prefix, j == last_child);
                if (r < 0)
                        return r;
                if (j == last_child)
                        break;
        }
        return 0;
}

static int order_cmp(const void *a, const void *b, void *userdata) {
        const ProcEntry *procs = userdata;
        pid_t x = procs[*(const size_t *) a].pid, y = procs[*(const size_t *) b].pid;
        return (x > y) - (x < y);
}

int proc_tree_render(const ProcEntry *procs, size_t n, const char *prefix, size_t width, FILE *f) {
        _cleanup_free_ size_t *order = NULL;
        _cleanup_free_ bool *done = NULL;
        TreeContext c;
        int r;

        if (n == 0)
                return 0;

        order = calloc(n, sizeof(size_t));
        done = calloc(n, sizeof(bool));
        if (!order || !done)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                order[i] = i;
        qsort_r(order, n, sizeof(size_t), order_cmp, (void *) procs);

        c = (TreeContext) { procs, n, order, done, width, f };

        /* Roots first; then anything left (a parent loop in a racy
         * snapshot) as roots too, so every process is shown once. */
        for (int pass = 0; pass < 2; pass++) {
                for (size_t k = 0; k < n; k++) {
                        size_t i = order[k], last = SIZE_MAX;

                        if (done[i] || (pass == 0 && has_parent(&c, i)))
                                continue;
                        for (size_t m = 0; m < n; m++)
                                if (!done[order[m]] && (pass == 1 || !has_parent(&c, order[m])))
                                        last = order[m];
                        r = tree_node(&c, i, prefix, i == last);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int ctl_exit_code_for_error(const char *error_name, int error) {
        if (error_name && !strncmp(error_name, "org.", 4)) {
                if (STR_IN_SET(error_name, BUS_ERROR_NO_SUCH_AGENT, BUS_ERROR_NO_SUCH_TYPE,
                               BUS_ERROR_NO_SUCH_SUPERVISOR))
                        return CTL_EXIT_NOT_FOUND;
                if (STR_IN_SET(error_name, "org.freedesktop.DBus.Error.ServiceUnknown",
                               "org.freedesktop.DBus.Error.NameHasNoOwner", "org.freedesktop.DBus.Error.NoServer",
                               "org.freedesktop.DBus.Error.Disconnected"))
                        return CTL_EXIT_UNREACHABLE;
                return CTL_EXIT_FAILURE;
        }

        /* No D-Bus error name (or sd-bus's System.Error.E*): the transport failed. */
        switch (error) {
        case ENOENT:
        case ECONNREFUSED:
        case ECONNRESET:
        case ENOTCONN:
        case ESHUTDOWN:
        case EPIPE:
        case EHOSTDOWN:
        case ENXIO:
                return CTL_EXIT_UNREACHABLE;
        default:
                return CTL_EXIT_FAILURE;
        }
}

/* A signal by number or name, with or without SIG ("9", "KILL", "SIGkill"). */
int signal_from_string(const char *s) {
        int n;

        if (parse_int(s, &n) >= 0)
                return n > 0 && n < NSIG ? n : -EINVAL;

        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (int sig = 1; sig < NSIG; sig++) {
                const char *abbrev = sigabbrev_np(sig);

                if (abbrev && strcasecmp(abbrev, s) == 0)
                        return sig;
        }
        return -EINVAL;
}
