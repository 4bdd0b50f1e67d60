/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state files: a record survives text and back (every schema row of
 * its spec too), a newer format version and malformed files are refused
 * with the file and the reason, and files or a directory others could
 * write are not trusted. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent-schema.h"
#include "state-file.h"
#include "strv.h"

static char **list(const char *a, ...) {
        char **l = calloc(1, sizeof(char *));
        va_list ap;

        assert_non_null(l);
        va_start(ap, a);
        for (const char *s = a; s; s = va_arg(ap, const char *))
                assert_int_equal(strv_extend(&l, s), 0);
        va_end(ap);
        return l;
}

static bool strv_equal(char **a, char **b) {
        size_t i;
        for (i = 0; a[i] && b[i]; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return !a[i] && !b[i];
}

static void fill(AgentRecord *r) {
        agent_record_init(r);
        r->name = strdup("web");
        r->type = strdup("");
        r->core = AGENT_RECORD_WAITING;
        r->restart_count = 7;
        r->consecutive = 2;
        r->restart_deadline = 123456789;
        for (unsigned i = 0; i < 16; i++)
                r->invocation_id[i] = (uint8_t) (i * 17);
        r->started_realtime = 1700000000000000ULL;
        r->started_monotonic = 5000000;
        r->pid = 4242;
        r->pid_starttime = 987654;
        r->cgroup = strdup("/agentvisor/web.agent");
        r->uid = 61200;
        r->gid = 61200;
        r->uid_dynamic = true;
        r->ready = true;
        r->watchdog_usec = 3000000;
        r->health = AGENT_HEALTH_UNHEALTHY;
        r->exit = (ExitRecord) { EXIT_REASON_SIGNAL, 9, KILLED_BY_OTHER };
        r->exit_runtime = 11;
        r->oom_kills = 2;
        r->oom_score_adj_set = true;
        r->frozen_total = 2500000;
        r->freeze = (FreezeRecord) { .mode = FREEZE_RECORD_ESCALATION, .paused = 0x11, .since = 777,
                                     .left = { 4000000, 0, 0, 0, 1 } };
        r->listener = LISTENER_RECORD_LOST;
        r->output_dev = 15;
        r->output_ino = 6694136;
        r->spec.exec = list("/bin/sh", "-c", "echo 'a b'\n\\x", "", NULL);
        r->spec.environment = list("A=1 2", NULL);
        r->spec.allow_tcp_connect = list(NULL);      /* empty, not NULL: nothing allowed */
        r->spec.supervisor = strdup("root");
        r->spec.policy = strdup("default");
        r->spec.restart = RESTART_TRANSIENT;
        r->spec.standard_output = STANDARD_OUTPUT_NULL; /* not the default: a live upgrade keeps it */
        r->spec.limits.memory_max = 1 << 20;
        r->spec.oom_score_adj = -5;
        r->spec.umask = 0027;
        r->spec.sandbox.preset = SANDBOX_STRICT;
        r->spec.sandbox.keys[0] = 1;
        assert_non_null(r->spec.exec);
}

/* Every schema row reads back the same. */
static void assert_same_spec(const AgentSpec *a, const AgentSpec *b) {
        for (size_t i = 0; i < agent_schema_n; i++) {
                const AgentKey *k = &agent_schema[i];
                AgentValue x = {}, y = {};

                if (!k->get)
                        continue;
                k->get(k, a, &x);
                k->get(k, b, &y);
                if (strcmp(k->signature, "s") == 0) {
                        if (!x.str || !y.str)
                                assert_true(x.str == y.str);
                        else
                                assert_string_equal(x.str, y.str);
                } else if (strcmp(k->signature, "as") == 0) {
                        assert_true(!x.strv == !y.strv);
                        if (x.strv)
                                assert_true(strv_equal(x.strv, y.strv));
                } else {
                        if (x.u64 != y.u64 || x.i64 != y.i64)
                                fail_msg("%s differs", k->file);
                }
        }
}

static void test_agent_round_trip(void **state) {
        AgentRecord r, back;
        char *text = NULL, *err = NULL;

        fill(&r);
        assert_int_equal(agent_record_format(&r, &text), 0);
        assert_int_equal(agent_record_parse(text, "agent.web", &back, &err), 0);
        assert_null(err);
        assert_string_equal(back.name, "web");
        assert_string_equal(back.type, "");
        assert_int_equal(back.core, AGENT_RECORD_WAITING);
        assert_int_equal(back.restart_count, 7);
        assert_int_equal(back.consecutive, 2);
        assert_int_equal(back.restart_deadline, 123456789);
        assert_memory_equal(back.invocation_id, r.invocation_id, 16);
        assert_int_equal(back.pid, 4242);
        assert_int_equal(back.pid_starttime, 987654);
        assert_string_equal(back.cgroup, "/agentvisor/web.agent");
        assert_int_equal(back.uid, 61200);
        assert_true(back.uid_dynamic);
        assert_true(back.ready);
        assert_int_equal(back.health, AGENT_HEALTH_UNHEALTHY);
        assert_int_equal(back.exit.reason, EXIT_REASON_SIGNAL);
        assert_int_equal(back.exit.killed_by, KILLED_BY_OTHER);
        assert_int_equal(back.oom_kills, 2);
        assert_true(back.oom_score_adj_set);
        assert_int_equal(back.frozen_total, 2500000);
        assert_int_equal(back.freeze.mode, FREEZE_RECORD_ESCALATION);
        assert_int_equal(back.freeze.paused, 0x11);
        assert_int_equal(back.freeze.since, 777);
        assert_int_equal(back.freeze.left[0], 4000000);
        assert_int_equal(back.freeze.left[4], 1);
        assert_int_equal(back.listener, LISTENER_RECORD_LOST);
        assert_int_equal(back.output_dev, 15);
        assert_int_equal(back.output_ino, 6694136);
        assert_int_equal(strv_length(back.spec.exec), 4);
        assert_string_equal(back.spec.exec[2], "echo 'a b'\n\\x");
        assert_string_equal(back.spec.exec[3], "");
        assert_non_null(back.spec.allow_tcp_connect);
        assert_null(back.spec.allow_tcp_connect[0]);
        assert_null(back.spec.allow_tcp_bind);
        assert_null(back.spec.user);
        assert_same_spec(&r.spec, &back.spec);
        free(text);
        agent_record_done(&r);
        agent_record_done(&back);
}

/* A version 1 file (before the freeze and the listener were kept) is read:
 * not frozen, its listener unknown (the daemon tells by the policy). */
static void test_version_1(void **state) {
        AgentRecord r;
        char *err = NULL;

        assert_int_equal(agent_record_parse("Version=1\nName=x\nType=\nCore=running\nSpec.Exec=/bin/true\n", "agent.x",
                                            &r, &err), 0);
        assert_int_equal(r.freeze.mode, FREEZE_RECORD_NONE);
        assert_int_equal(r.listener, LISTENER_RECORD_UNKNOWN);
        agent_record_done(&r);
}

static void test_supervisor_round_trip(void **state) {
        usec_t times[] = { 10, 20, 30 };
        SupervisorRecord r = { .name = (char *) "workers", .escalated = true, .reason = (char *) "a\nb",
                               .restart_times = times, .n_restart_times = 3 };
        SupervisorRecord back;
        char *text = NULL, *err = NULL;

        assert_int_equal(supervisor_record_format(&r, &text), 0);
        assert_int_equal(supervisor_record_parse(text, "supervisor.workers", &back, &err), 0);
        assert_string_equal(back.name, "workers");
        assert_string_equal(back.reason, "a\nb");
        assert_true(back.escalated);
        assert_int_equal(back.n_restart_times, 3);
        assert_int_equal(back.restart_times[2], 30);
        supervisor_record_done(&back);
        free(text);
}

static void assert_refused(const char *text, int error, const char *needle) {
        AgentRecord r;
        char *err = NULL;

        assert_int_equal(agent_record_parse(text, "agent.x", &r, &err), error);
        assert_non_null(err);
        if (!strstr(err, needle) || !strstr(err, "agent.x"))
                fail_msg("error \"%s\" does not name the file and \"%s\"", err, needle);
        free(err);
}

static void test_refused(void **state) {
        /* An older daemon refuses a newer file, naming both versions. */
        assert_refused("Version=4\nName=x\n", -EPROTONOSUPPORT, "version 4 is newer than this daemon reads (up to 3)");
        assert_refused("Name=x\n", -EBADMSG, "does not begin with Version=");
        assert_refused("Version=1\nName=x\nBogus=1\n", -EBADMSG, "agent.x:3: unknown key Bogus=");
        assert_refused("Version=1\nName=x\nSpec.Nope=1\n", -EBADMSG, "unknown agent key Spec.Nope=");
        assert_refused("Version=1\nName=x\nMainPID=abc\n", -EBADMSG, "MainPID=abc is not a number");
        assert_refused("Version=1\nName=x\nCore=flying\n", -EBADMSG, "Core=flying is not a known value");
        assert_refused("Version=1\nName=x\nType=\nCore=running\n", -EBADMSG, "Spec.Exec= is missing");
        assert_refused("Version=1\nName=a\\x4\n", -EBADMSG, "escape sequence");
        assert_refused("Version=1\nnoequals\n", -EBADMSG, "expected Key=value");
        assert_refused("Version=2\nName=x\nType=\nCore=frozen\nSpec.Exec=/bin/true\nFrozen=3\n", -EBADMSG,
                       "Frozen=3 is not 0, 1 or 2");
        assert_refused("Version=2\nName=x\nType=\nCore=running\nSpec.Exec=/bin/true\nSeccompListener=7\n",
                       -EBADMSG, "SeccompListener=7 is not 0, 1 or 2");
}

static void test_files(void **state) {
        char dir[] = "/tmp/test-state-file-XXXXXX", *text = NULL, *err = NULL;
        int dfd, sfd;

        assert_non_null(mkdtemp(dir));
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        assert_int_equal(state_dir_open(dfd, "state", &sfd), 0);

        assert_int_equal(state_file_write(sfd, "agent.a", "Version=1\n"), 0);
        assert_int_equal(state_file_read(sfd, "agent.a", &text, &err), 0);
        assert_string_equal(text, "Version=1\n");
        free(text);
        /* No temporary left behind. */
        assert_int_equal(faccessat(sfd, ".#agent.a", F_OK, 0), -1);

        /* Readable by others: not trusted. */
        assert_int_equal(fchmodat(sfd, "agent.a", 0644, 0), 0);
        assert_int_equal(state_file_read(sfd, "agent.a", &text, &err), -EPERM);
        assert_non_null(strstr(err, "not trusted"));
        free(err);
        assert_int_equal(unlinkat(sfd, "agent.a", 0), 0);
        close(sfd);

        /* A directory others may write: refused. */
        assert_int_equal(fchmodat(dfd, "state", 0777, 0), 0);
        assert_int_equal(state_dir_open(dfd, "state", &sfd), -EPERM);
        assert_int_equal(unlinkat(dfd, "state", AT_REMOVEDIR), 0);
        close(dfd);
        assert_int_equal(rmdir(dir), 0);
}

static char *read_text(int dfd, const char *name) {
        char *text = NULL, *err = NULL;

        if (state_file_read(dfd, name, &text, &err) < 0) {
                free(err);
                return NULL;
        }
        return text;
}

/* In queue order, a newer text replacing a queued one, a removal never
 * overtaken by an earlier write. */
static void test_writer(void **state) {
        char dir[] = "/tmp/test-state-writer-XXXXXX", *t;
        StateWriter *w = NULL;
        int dfd;

        assert_non_null(mkdtemp(dir));
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        assert_int_equal(state_writer_new(dfd, dir, &w), 0);
        for (int i = 0; i < 100; i++) {
                char *text = NULL;
                assert_true(asprintf(&text, "Version=1\nN=%d\n", i) > 0);
                assert_int_equal(state_writer_put(w, "agent.a", text), 0);
        }
        assert_int_equal(state_writer_put(w, "agent.b", strdup("Version=1\nB\n")), 0);
        assert_int_equal(state_writer_put(w, "agent.b", NULL), 0);
        assert_int_equal(state_writer_drain(w), 0);
        t = read_text(dfd, "agent.a");
        assert_non_null(t);
        assert_string_equal(t, "Version=1\nN=99\n");
        free(t);
        assert_int_equal(faccessat(dfd, "agent.b", F_OK, 0), -1);

        assert_int_equal(state_writer_put(w, "agent.a", NULL), 0);
        assert_int_equal(state_writer_put(w, "agent.a", strdup("Version=1\nagain\n")), 0);
        w = state_writer_free(w);           /* drains */
        t = read_text(dfd, "agent.a");
        assert_non_null(t);
        assert_string_equal(t, "Version=1\nagain\n");
        free(t);
        assert_int_equal(unlinkat(dfd, "agent.a", 0), 0);
        close(dfd);
        assert_int_equal(rmdir(dir), 0);
}

static void test_proc(void **state) {
        uint64_t t1, t2;
        bool zombie = true;
        char *cg = NULL;

        assert_int_equal(state_pid_starttime(getpid(), &t1, &zombie), 0);
        assert_false(zombie);
        assert_int_equal(state_pid_starttime(getpid(), &t2, NULL), 0);
        assert_int_equal(t1, t2);
        assert_true(state_pid_starttime(-1, &t1, NULL) < 0);
        if (state_pid_cgroup(getpid(), &cg) == 0) {
                assert_true(cg[0] == '/');
                free(cg);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_agent_round_trip), cmocka_unit_test(test_version_1),
                cmocka_unit_test(test_supervisor_round_trip),
                cmocka_unit_test(test_refused),          cmocka_unit_test(test_files),
                cmocka_unit_test(test_proc),             cmocka_unit_test(test_writer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
