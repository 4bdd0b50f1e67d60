/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Records to text (see state-file.h); state-file.c reads them back. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-key.h"
#include "agent-schema.h"
#include "state-file.h"

#define SPEC_PREFIX "Spec."

/* Escapes what would end the line or be misread; in_list: the space that
 * separates entries too. */
static void put_escaped(FILE *f, const char *s, bool in_list) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '\\')
                        fputs("\\\\", f);
                else if (*p < 0x20 || *p == 0x7f || (in_list && *p == ' '))
                        fprintf(f, "\\x%02x", *p);
                else
                        fputc(*p, f);
        }
}

static void put_str(FILE *f, const char *key, const char *value) {
        if (!value)
                return;            /* absent: NULL */
        fprintf(f, "%s=", key);
        put_escaped(f, value, false);
        fputc('\n', f);
}

static void put_strv(FILE *f, const char *key, char *const *l) {
        if (!l)
                return;
        fprintf(f, "%s=", key);
        for (size_t i = 0; l[i]; i++) {
                if (i > 0)
                        fputc(' ', f);
                put_escaped(f, l[i], true);
                /* An empty entry would vanish between two spaces. */
                if (!l[i][0])
                        fputs("\\x00", f);
        }
        fputc('\n', f);
}

static void put_u64(FILE *f, const char *key, uint64_t v) {
        fprintf(f, "%s=%" PRIu64 "\n", key, v);
}

static void put_spec(FILE *f, const AgentSpec *s) {
        for (size_t i = 0; i < agent_schema_n; i++) {
                const AgentKey *k = &agent_schema[i];
                char key[128];
                AgentValue v = {};

                if (!k->file || !k->get)
                        continue;
                snprintf(key, sizeof key, SPEC_PREFIX "%s", k->file);
                k->get(k, s, &v);
                if (strcmp(k->signature, "s") == 0)
                        put_str(f, key, v.str);
                else if (strcmp(k->signature, "as") == 0)
                        put_strv(f, key, v.strv);
                else if (strcmp(k->signature, "i") == 0)
                        fprintf(f, "%s=%" PRIi64 "\n", key, v.i64);
                else
                        put_u64(f, key, v.u64);
        }
}

static int finish(FILE *f, char **buf, char **ret) {
        if (fflush(f) != 0 || ferror(f)) {
                fclose(f);
                free(*buf);
                return -ENOMEM;
        }
        fclose(f);
        *ret = *buf;
        return 0;
}

int agent_record_format(const AgentRecord *r, char **ret) {
        char *buf = NULL, id[33];
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < 16; i++)
                snprintf(id + 2 * i, 3, "%02x", r->invocation_id[i]);
        fprintf(f, "Version=%d\n", STATE_FILE_VERSION);
        put_str(f, "Name", r->name);
        put_str(f, "Type", r->type);
        put_str(f, "Core", agent_record_core_to_string(r->core));
        put_u64(f, "RestartCount", r->restart_count);
        put_u64(f, "Consecutive", r->consecutive);
        put_u64(f, "RestartDeadline", r->restart_deadline);
        put_str(f, "InvocationID", id);
        put_u64(f, "StartedRealtime", r->started_realtime);
        put_u64(f, "StartedMonotonic", r->started_monotonic);
        put_u64(f, "MainPID", (uint64_t) r->pid);
        put_u64(f, "MainPIDStartTime", r->pid_starttime);
        put_str(f, "ControlGroup", r->cgroup);
        put_u64(f, "UID", (uint64_t) r->uid);
        put_u64(f, "GID", (uint64_t) r->gid);
        put_u64(f, "DynamicUser", r->uid_dynamic);
        put_u64(f, "Ready", r->ready);
        put_u64(f, "HasFilter", r->has_filter);
        put_u64(f, "WatchdogUSec", r->watchdog_usec);
        put_str(f, "Health", agent_health_to_string(r->health));
        put_str(f, "KillReason", exit_reason_to_string(r->kill_reason));
        put_str(f, "ExitReason", exit_reason_to_string(r->exit.reason));
        fprintf(f, "ExitStatus=%d\n", r->exit.status);
        put_str(f, "ExitKilledBy", killed_by_to_string(r->exit.killed_by));
        put_u64(f, "ExitRealtime", r->exit_realtime);
        put_u64(f, "ExitRuntime", r->exit_runtime);
        put_u64(f, "ExitCPUNSec", r->exit_cpu_nsec);
        put_u64(f, "ExitMemoryPeak", r->exit_memory_peak);
        put_u64(f, "OOMKills", r->oom_kills);
        put_u64(f, "OOMScoreAdjustSet", r->oom_score_adj_set);
        put_u64(f, "FrozenTotalUSec", r->frozen_total);
        put_u64(f, "SeccompListener", r->listener);
        if (r->output_ino != 0) {
                put_u64(f, "OutputPipeDevice", r->output_dev);
                put_u64(f, "OutputPipeInode", r->output_ino);
        }
        if (r->freeze.mode != FREEZE_RECORD_NONE) {
                static const char *const left[FREEZE_RECORD_TIMERS] = {
                        "FrozenRuntimeLeftUSec", "FrozenCPULeftUSec", "FrozenStartLeftUSec",
                        "FrozenWatchdogLeftUSec", "FrozenHealthLeftUSec",
                };

                put_u64(f, "Frozen", r->freeze.mode);
                put_u64(f, "FrozenPaused", r->freeze.paused);
                put_u64(f, "FrozenSince", r->freeze.since);
                for (size_t i = 0; i < FREEZE_RECORD_TIMERS; i++)
                        if (r->freeze.paused & (1U << i))
                                put_u64(f, left[i], r->freeze.left[i]);
        }
        put_spec(f, &r->spec);
        return finish(f, &buf, ret);
}

int supervisor_record_format(const SupervisorRecord *r, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "Version=%d\n", STATE_FILE_VERSION);
        put_str(f, "Name", r->name);
        put_u64(f, "Escalated", r->escalated);
        put_str(f, "Reason", r->reason ?: "");
        for (size_t i = 0; i < r->n_restart_times; i++)
                put_u64(f, "RestartTime", r->restart_times[i]);
        return finish(f, &buf, ret);
}
