/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Human-readable formatting for agentctl; no bus and no files here. */

#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "bus-names.h"
#include "ctl-args.h"
#include "ctl-format.h"
#include "parse-util.h"

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

const char *ctl_state_color(const char *state, const char *health) {
        state = state ?: "";
        health = health ?: "";
        if (STR_IN_SET(state, "failed") || STR_IN_SET(health, "unhealthy"))
                return ANSI_RED;
        if (STR_IN_SET(state, "starting", "stopping", "restarting"))
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
