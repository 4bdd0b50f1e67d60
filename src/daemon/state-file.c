/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text of the state files (see state-file.h): records to text and
 * back. Pure: the files themselves are state-file-io.c's. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-key.h"
#include "agent-schema.h"
#include "parse-util.h"
#include "state-file.h"
#include "string-table.h"
#include "strv.h"

static const char *const agent_record_core_table[_AGENT_RECORD_CORE_MAX] = {
        [AGENT_RECORD_RUNNING] = "running",
        [AGENT_RECORD_DOWN] = "down",
        [AGENT_RECORD_HELD] = "held",
        [AGENT_RECORD_WAITING] = "waiting",
        [AGENT_RECORD_STOPPING_REQUEST] = "stopping-request",
        [AGENT_RECORD_STOPPING_RESTART] = "stopping-restart",
        [AGENT_RECORD_STOPPING_SUPERVISOR] = "stopping-supervisor",
        [AGENT_RECORD_STOPPING_REMOVAL] = "stopping-removal",
        [AGENT_RECORD_FROZEN] = "frozen",
};

DEFINE_STRING_TABLE_LOOKUP(agent_record_core, AgentRecordCore);

#define SPEC_PREFIX "Spec."

void agent_record_init(AgentRecord *r) {
        *r = (AgentRecord) { .uid = (uid_t) -1, .gid = (gid_t) -1 };
        agent_spec_init(&r->spec);
}

void agent_record_done(AgentRecord *r) {
        if (!r)
                return;
        r->name = mfree(r->name);
        r->type = mfree(r->type);
        r->cgroup = mfree(r->cgroup);
        agent_spec_done(&r->spec);
}

void supervisor_record_done(SupervisorRecord *r) {
        if (!r)
                return;
        r->name = mfree(r->name);
        r->reason = mfree(r->reason);
        r->restart_times = mfree(r->restart_times);
        r->n_restart_times = 0;
}

/* Parsing. */

typedef struct Parser {
        unsigned version;
        const char *file;
        unsigned line;
        char **error;
} Parser;

_printf_(2, 3) static int bad(Parser *p, const char *fmt, ...) {
        char *msg = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        free(*p->error);
        if (asprintf(p->error, "%s:%u: %s", p->file, p->line, msg) < 0)
                *p->error = NULL;
        free(msg);
        return -EBADMSG;
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Undoes put_escaped() on [s, s+n) in place into out (n+1 bytes). "\x00"
 * stands for nothing (an empty list entry). */
static int unescape(Parser *p, const char *s, size_t n, char *out) {
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                int hi, lo;

                if (s[i] != '\\') {
                        out[o++] = s[i];
                        continue;
                }
                if (i + 1 < n && s[i + 1] == '\\') {
                        out[o++] = '\\';
                        i++;
                        continue;
                }
                if (i + 3 >= n)
                        return bad(p, "truncated escape sequence");
                if (s[i + 1] != 'x' || (hi = hexval(s[i + 2])) < 0 || (lo = hexval(s[i + 3])) < 0)
                        return bad(p, "invalid escape sequence");
                if (hi || lo)
                        out[o++] = (char) (hi * 16 + lo);
                i += 3;
        }
        out[o] = 0;
        return 0;
}

static int parse_str(Parser *p, const char *v, char **ret) {
        size_t n = strlen(v);
        char *s = malloc(n + 1);
        int r;

        if (!s)
                return -ENOMEM;
        r = unescape(p, v, n, s);
        if (r < 0) {
                free(s);
                return r;
        }
        free(*ret);
        *ret = s;
        return 0;
}

static int parse_strv(Parser *p, const char *v, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!l)
                return -ENOMEM;
        while (*v) {
                size_t n = strcspn(v, " ");
                char *e = malloc(n + 1);

                if (!e)
                        return -ENOMEM;
                r = unescape(p, v, n, e);
                if (r >= 0)
                        r = strv_push(&l, e);
                if (r < 0) {
                        free(e);
                        return r;
                }
                v += n;
                if (*v == ' ')
                        v++;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

static int parse_u64(Parser *p, const char *key, const char *v, uint64_t *ret) {
        if (parse_uint64(v, ret) < 0)
                return bad(p, "%s=%s is not a number", key, v);
        return 0;
}

static int parse_flag(Parser *p, const char *key, const char *v, bool *ret) {
        uint64_t u;
        int r = parse_u64(p, key, v, &u);

        if (r < 0)
                return r;
        if (u > 1)
                return bad(p, "%s=%s is not 0 or 1", key, v);
        *ret = u;
        return 0;
}

static int parse_version(Parser *p, const char *text, const char **ret_rest) {
        const char *nl = strchr(text, '\n');
        unsigned v;
        char num[16];

        p->line = 1;
        if (strncmp(text, "Version=", 8) != 0 || !nl || (size_t) (nl - text - 8) >= sizeof num)
                return bad(p, "not a state file: it does not begin with Version=");
        memcpy(num, text + 8, (size_t) (nl - text - 8));
        num[nl - text - 8] = 0;
        if (parse_uint(num, &v) < 0 || v == 0)
                return bad(p, "Version=%s is not a format version", num);
        if (v > STATE_FILE_VERSION) {
                free(*p->error);
                if (asprintf(p->error, "%s: format version %u is newer than this daemon reads (up to %d): refusing "
                             "to read it", p->file, v, STATE_FILE_VERSION) < 0)
                        *p->error = NULL;
                return -EPROTONOSUPPORT;
        }
        p->version = v;
        *ret_rest = nl + 1;
        return 0;
}

/* Calls fn for each "Key=value" line after the version line. */
static int each_line(Parser *p, const char *text, int (*fn)(Parser *p, const char *key, const char *value, void *u),
                     void *userdata) {
        const char *rest = NULL;
        int r;

        r = parse_version(p, text, &rest);
        if (r < 0)
                return r;
        while (*rest) {
                const char *nl = strchr(rest, '\n');
                size_t n = nl ? (size_t) (nl - rest) : strlen(rest);
                _cleanup_free_ char *line = strndup(rest, n);
                char *eq;

                if (!line)
                        return -ENOMEM;
                p->line++;
                eq = strchr(line, '=');
                if (!eq)
                        return bad(p, "expected Key=value");
                *eq = 0;
                r = fn(p, line, eq + 1, userdata);
                if (r < 0)
                        return r;
                rest += n + (nl ? 1 : 0);
        }
        return 0;
}

/* The spec key k from its text: typed by the row's signature and getter
 * (see agent-schema.c: strings are char *, enums and sandbox words int). */
static int parse_spec_key(Parser *p, const AgentKey *k, const char *v, AgentSpec *s) {
        bool sandbox = k->offset >= offsetof(AgentSpec, sandbox) &&
                       k->offset < offsetof(AgentSpec, sandbox) + sizeof(SandboxOptions);
        uint64_t u;
        int r;

        if (strcmp(k->signature, "as") == 0)
                return parse_strv(p, v, AGENT_FIELD(s, k, char **));
        if (strcmp(k->signature, "s") == 0) {
                _cleanup_free_ char *str = NULL;
                int e;

                r = parse_str(p, v, &str);
                if (r < 0)
                        return r;
                if (!sandbox && !k->to_string) {
                        free(*AGENT_FIELD(s, k, char *));
                        *AGENT_FIELD(s, k, char *) = TAKE_PTR(str);
                        return 0;
                }
                e = k->check ? k->check(str) : -EINVAL;
                if (e < 0)
                        return bad(p, SPEC_PREFIX "%s=%s is not a valid value", k->file, v);
                *AGENT_FIELD(s, k, int) = e;
                return 0;
        }
        if (strcmp(k->signature, "i") == 0) {
                int i;
                if (parse_int(v, &i) < 0)
                        return bad(p, SPEC_PREFIX "%s=%s is not an integer", k->file, v);
                *AGENT_FIELD(s, k, int) = i;
                return 0;
        }
        r = parse_u64(p, k->file, v, &u);
        if (r < 0)
                return r;
        if (strcmp(k->signature, "t") == 0)
                *AGENT_FIELD(s, k, uint64_t) = u;
        else if (strcmp(k->signature, "b") == 0)
                *AGENT_FIELD(s, k, int) = u == UINT64_MAX ? SANDBOX_UNSET : u > 0;
        else if (u > UINT32_MAX)
                return bad(p, SPEC_PREFIX "%s=%s is out of range", k->file, v);
        else
                *AGENT_FIELD(s, k, unsigned) = (unsigned) u;
        return 0;
}

/* Absent "s" and "as" keys are NULL (they are written only when set), and
 * absent sandbox words unset. */
static void spec_clear_optional(AgentSpec *s) {
        for (size_t i = 0; i < agent_schema_n; i++) {
                const AgentKey *k = &agent_schema[i];
                bool sandbox = k->offset >= offsetof(AgentSpec, sandbox) &&
                               k->offset < offsetof(AgentSpec, sandbox) + sizeof(SandboxOptions);

                if (!k->file || !k->get)
                        continue;
                if (strcmp(k->signature, "as") == 0)
                        *AGENT_FIELD(s, k, char **) = strv_free(*AGENT_FIELD(s, k, char **));
                else if (strcmp(k->signature, "s") == 0 && sandbox)
                        *AGENT_FIELD(s, k, int) = SANDBOX_UNSET;
                else if (strcmp(k->signature, "s") == 0 && !k->to_string)
                        *AGENT_FIELD(s, k, char *) = mfree(*AGENT_FIELD(s, k, char *));
        }
}


/* The agent record's own keys, by type. */
typedef enum FieldType { F_U64, F_UNSIGNED, F_PID, F_UID, F_GID, F_FLAG, F_INT, F_STR, F_CORE, F_HEALTH, F_REASON,
                         F_KILLED_BY, F_ID } FieldType;

#define R(field) offsetof(AgentRecord, field)
static const struct { const char *key; FieldType type; size_t offset; } agent_fields[] = {
        { "Name", F_STR, R(name) },
        { "Type", F_STR, R(type) },
        { "Core", F_CORE, R(core) },
        { "RestartCount", F_UNSIGNED, R(restart_count) },
        { "Consecutive", F_UNSIGNED, R(consecutive) },
        { "RestartDeadline", F_U64, R(restart_deadline) },
        { "InvocationID", F_ID, R(invocation_id) },
        { "StartedRealtime", F_U64, R(started_realtime) },
        { "StartedMonotonic", F_U64, R(started_monotonic) },
        { "MainPID", F_PID, R(pid) },
        { "MainPIDStartTime", F_U64, R(pid_starttime) },
        { "ControlGroup", F_STR, R(cgroup) },
        { "UID", F_UID, R(uid) },
        { "GID", F_GID, R(gid) },
        { "DynamicUser", F_FLAG, R(uid_dynamic) },
        { "Ready", F_FLAG, R(ready) },
        { "HasFilter", F_FLAG, R(has_filter) },
        { "WatchdogUSec", F_U64, R(watchdog_usec) },
        { "Health", F_HEALTH, R(health) },
        { "KillReason", F_REASON, R(kill_reason) },
        { "ExitReason", F_REASON, R(exit.reason) },
        { "ExitStatus", F_INT, R(exit.status) },
        { "ExitKilledBy", F_KILLED_BY, R(exit.killed_by) },
        { "ExitRealtime", F_U64, R(exit_realtime) },
        { "ExitRuntime", F_U64, R(exit_runtime) },
        { "ExitCPUNSec", F_U64, R(exit_cpu_nsec) },
        { "ExitMemoryPeak", F_U64, R(exit_memory_peak) },
        { "OOMKills", F_U64, R(oom_kills) },
        { "OOMScoreAdjustSet", F_FLAG, R(oom_score_adj_set) },
        /* Version 2. */
        { "FrozenTotalUSec", F_U64, R(frozen_total) },
        { "Frozen", F_UNSIGNED, R(freeze.mode) },
        { "FrozenPaused", F_UNSIGNED, R(freeze.paused) },
        { "FrozenRuntimeLeftUSec", F_U64, R(freeze.left[0]) },
        { "FrozenCPULeftUSec", F_U64, R(freeze.left[1]) },
        { "FrozenStartLeftUSec", F_U64, R(freeze.left[2]) },
        { "FrozenWatchdogLeftUSec", F_U64, R(freeze.left[3]) },
        { "FrozenHealthLeftUSec", F_U64, R(freeze.left[4]) },
        { "FrozenSince", F_U64, R(freeze.since) },
        { "SeccompListener", F_UNSIGNED, R(listener) },
        /* Version 3. */
        { "OutputPipeDevice", F_U64, R(output_dev) },
        { "OutputPipeInode", F_U64, R(output_ino) },
};
#undef R

static int parse_id(Parser *p, const char *v, uint8_t *id) {
        if (strlen(v) != 32)
                return bad(p, "InvocationID=%s is not 32 hex digits", v);
        for (size_t i = 0; i < 16; i++) {
                int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return bad(p, "InvocationID=%s is not 32 hex digits", v);
                id[i] = (uint8_t) (hi * 16 + lo);
        }
        return 0;
}

/* An enum by name: its value, or an error naming the key. */
static int parse_enum(Parser *p, const char *key, const char *v, int e, int *field) {
        if (e < 0)
                return bad(p, "%s=%s is not a known value", key, v);
        *field = e;
        return 0;
}

static int agent_field(Parser *p, FieldType t, const char *key, const char *v, void *field) {
        uint64_t u;
        int r;

        switch (t) {
        case F_STR:
                return parse_str(p, v, field);
        case F_ID:
                return parse_id(p, v, field);
        case F_FLAG:
                return parse_flag(p, key, v, field);
        case F_CORE:
                return parse_enum(p, key, v, agent_record_core_from_string(v), field);
        case F_HEALTH:
                return parse_enum(p, key, v, agent_health_from_string(v), field);
        case F_REASON:
                return parse_enum(p, key, v, exit_reason_from_string(v), field);
        case F_KILLED_BY:
                return parse_enum(p, key, v, killed_by_from_string(v), field);
        case F_INT:
                if (parse_int(v, field) < 0)
                        return bad(p, "%s=%s is not an integer", key, v);
                return 0;
        default:
                break;
        }
        r = parse_u64(p, key, v, &u);
        if (r < 0)
                return r;
        if (t == F_U64) {
                *(uint64_t *) field = u;
                return 0;
        }
        if (u > (t == F_PID ? (uint64_t) INT32_MAX : (uint64_t) UINT32_MAX))
                return bad(p, "%s=%s is out of range", key, v);
        if (t == F_PID)
                *(pid_t *) field = (pid_t) u;
        else if (t == F_UID)
                *(uid_t *) field = (uid_t) u;
        else if (t == F_GID)
                *(gid_t *) field = (gid_t) u;
        else
                *(unsigned *) field = (unsigned) u;
        return 0;
}

static int agent_line(Parser *p, const char *key, const char *v, void *userdata) {
        AgentRecord *r = userdata;

        if (strncmp(key, SPEC_PREFIX, strlen(SPEC_PREFIX)) == 0) {
                const AgentKey *k = agent_key_from_file(key + strlen(SPEC_PREFIX));
                if (!k || !k->get)
                        return bad(p, "unknown agent key %s=", key);
                return parse_spec_key(p, k, v, &r->spec);
        }
        for (size_t i = 0; i < ELEMENTSOF(agent_fields); i++)
                if (strcmp(key, agent_fields[i].key) == 0)
                        return agent_field(p, agent_fields[i].type, key, v, (uint8_t *) r + agent_fields[i].offset);
        return bad(p, "unknown key %s=", key);
}

int agent_record_parse(const char *text, const char *file, AgentRecord *ret, char **ret_error) {
        Parser p = { .file = file, .error = ret_error };
        AgentRecord r;
        int k;

        *ret_error = NULL;
        agent_record_init(&r);
        spec_clear_optional(&r.spec);
        k = each_line(&p, text, agent_line, &r);
        if (k >= 0 && (!r.name || !r.type || r.core < 0))
                k = bad(&p, "Name=, Type= or Core= is missing");
        if (k >= 0 && (!r.spec.exec || !r.spec.exec[0]))
                k = bad(&p, SPEC_PREFIX "Exec= is missing");
        if (k >= 0 && r.pid > 0 && !r.cgroup)
                k = bad(&p, "MainPID= without ControlGroup=");
        if (k >= 0 && r.freeze.mode >= _FREEZE_RECORD_MODE_MAX)
                k = bad(&p, "Frozen=%u is not 0, 1 or 2", r.freeze.mode);
        if (k >= 0 && r.listener >= _LISTENER_RECORD_MAX)
                k = bad(&p, "SeccompListener=%u is not 0, 1 or 2", r.listener);
        if (k >= 0 && p.version < 2)
                r.listener = LISTENER_RECORD_UNKNOWN;
        if (k < 0) {
                agent_record_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}

static int supervisor_line(Parser *p, const char *key, const char *v, void *userdata) {
        SupervisorRecord *r = userdata;
        uint64_t u;
        int k;

        if (strcmp(key, "Name") == 0)
                return parse_str(p, v, &r->name);
        if (strcmp(key, "Reason") == 0)
                return parse_str(p, v, &r->reason);
        if (strcmp(key, "Escalated") == 0)
                return parse_flag(p, key, v, &r->escalated);
        if (strcmp(key, "RestartTime") == 0) {
                usec_t *t;

                k = parse_u64(p, key, v, &u);
                if (k < 0)
                        return k;
                if (r->n_restart_times >= 65536)
                        return bad(p, "too many RestartTime= lines");
                t = realloc(r->restart_times, (r->n_restart_times + 1) * sizeof(usec_t));
                if (!t)
                        return -ENOMEM;
                r->restart_times = t;
                r->restart_times[r->n_restart_times++] = u;
                return 0;
        }
        return bad(p, "unknown key %s=", key);
}

int supervisor_record_parse(const char *text, const char *file, SupervisorRecord *ret, char **ret_error) {
        Parser p = { .file = file, .error = ret_error };
        SupervisorRecord r = {};
        int k;

        *ret_error = NULL;
        k = each_line(&p, text, supervisor_line, &r);
        if (k >= 0 && (!r.name || !r.reason))
                k = bad(&p, "Name= or Reason= is missing");
        if (k < 0) {
                supervisor_record_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}
