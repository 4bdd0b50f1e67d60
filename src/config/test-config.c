/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for agentvisor.conf: defaults, every key, inheritance, supervisor
 * ordering, and that each bad input is refused with the right file, line
 * and key. */
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "strv.h"

#define FILE_NAME "/etc/agentvisor/agentvisor.conf"

static DaemonConfig *parse_ok(const char *text) {
        DaemonConfig *c = NULL;
        Diagnostic d = {};
        int r;

        r = config_parse_string(text, FILE_NAME, &c, &d);
        if (r != 0)
                fail_msg("config rejected (%d): %s:%u [%s] %s\ninput:\n%s", r, d.file, d.line, d.key, d.message,
                         text);
        return c;
}

/* Asserts that text is refused, naming FILE_NAME:line and key, with a message
 * that contains `needle`. */
static void parse_bad(const char *text, unsigned line, const char *key, const char *needle) {
        DaemonConfig *c = NULL;
        Diagnostic d = {};
        int r;

        r = config_parse_string(text, FILE_NAME, &c, &d);
        if (r != -EINVAL)
                fail_msg("expected -EINVAL, got %d for:\n%s", r, text);
        assert_null(c);
        if (strcmp(d.file, FILE_NAME) != 0 || d.line != line || strcmp(d.key, key) != 0)
                fail_msg("diagnostic is %s:%u key \"%s\" (%s), expected %s:%u key \"%s\" for:\n%s", d.file, d.line,
                         d.key, d.message, FILE_NAME, line, key, text);
        if (d.message[0] == '\0' || !strstr(d.message, needle))
                fail_msg("message \"%s\" does not mention \"%s\" for:\n%s", d.message, needle, text);
}

static const SupervisorConfig *sup(const DaemonConfig *c, const char *name) {
        const SupervisorConfig *s = daemon_config_find_supervisor(c, name);

        if (!s)
                fail_msg("supervisor %s missing", name);
        return s;
}

static void test_builtin_defaults(void **state) {
        DaemonConfig *c = NULL;
        Diagnostic d = {};
        const SupervisorConfig *root;

        assert_int_equal(config_load(NULL, &c, &d), 0);
        assert_null(c->path);
        assert_null(c->agents_directory);
        assert_non_null(c->policy_path);
        assert_null(c->policy_path[0]);
        assert_string_equal(c->log_directory, "/var/log/agentvisor");
        assert_string_equal(c->runtime_directory, "/run/agentvisor");
        assert_null(c->admin_group);
        assert_string_equal(c->default_user, "dynamic");
        assert_string_equal(c->control_group, "agentvisor");
        assert_int_equal(c->default_sandbox, SANDBOX_STANDARD);
        assert_string_equal(c->dynamic_user_range, "61184-65519");
        assert_int_equal(c->dynamic_user_range_line, 0);
        assert_string_equal(c->state_directory, "/var/lib/agentvisor");
        assert_int_equal(c->n_supervisors, 1);

        root = &c->supervisors[0];
        assert_string_equal(root->name, "root");
        assert_null(root->parent);
        assert_int_equal(root->strategy, STRATEGY_ONE_FOR_ONE);
        assert_int_equal(root->max_restarts, 3);
        assert_true(root->restart_window_usec == 5 * USEC_PER_SEC);
        assert_int_equal(root->max_children, 100);
        assert_true(root->agent_timeout_usec == 30 * USEC_PER_SEC);
        assert_true(root->health_check_interval_usec == 60 * USEC_PER_SEC);
        assert_true(root->restart_delay_usec == 0);
        assert_true(root->restart_max_delay_usec == 0);
        assert_int_equal(root->on_escalation, ON_ESCALATION_STOP);
        daemon_config_free(c);
}

static void test_empty_file_defaults(void **state) {
        DaemonConfig *c = parse_ok("");

        assert_string_equal(c->path, FILE_NAME);
        assert_string_equal(c->agents_directory, "/etc/agentvisor/agents.d");
        assert_int_equal(strv_length(c->policy_path), 2);
        assert_string_equal(c->policy_path[0], "/etc/agentvisor/policies");
        assert_string_equal(c->policy_path[1], POLICYDIR);
        assert_int_equal(c->n_supervisors, 1);
        daemon_config_free(c);
}

/* The example from the SPEC, trailing comments and all. */
static void test_spec_example(void **state) {
        DaemonConfig *c = parse_ok(
                "[Daemon]\n"
                "AgentsDirectory=agents.d     # agent types; relative paths are beside this file\n"
                "PolicyPath=policies:/usr/share/agentvisor/policies   # searched in order\n"
                "LogDirectory=/var/log/agentvisor   # agent output when there is no journal\n"
                "AdminGroup=agentvisor        # members may call mutating methods besides root\n"
                "DefaultUser=nobody\n"
                "\n"
                "[Supervisor]                 # the root supervisor\n"
                "Strategy=one-for-one         # one-for-one | one-for-all | rest-for-one\n"
                "MaxRestarts=3                # intensity: 3 restarts inside the window are allowed,\n"
                "RestartWindowSec=5           #   the failure that would need a 4th escalates\n"
                "MaxChildren=100              # counted, and enforced by the kernel (cgroup.max.descendants)\n"
                "AgentTimeoutSec=30           # stop: SIGTERM to the agent, then cgroup.kill after this\n"
                "HealthCheckIntervalSec=60\n"
                "RestartDelaySec=0            # optional backoff: first delay ...\n"
                "RestartMaxDelaySec=0         # ... growing to this cap; 0 = restart at once (OTP)\n"
                "OnEscalation=stop            # root only. stop: stop all agents, report, wait for\n"
                "                             # ResetEscalation. exit: also exit non-zero so the\n"
                "                             # service manager restarts the daemon\n"
                "\n"
                "[Supervisor workers]         # a nested supervisor; unset keys inherit from Parent\n"
                "Parent=root\n"
                "Restart=permanent            # what its parent does when it escalates (see below)\n"
                "Strategy=rest-for-one\n");

        assert_string_equal(c->agents_directory, "/etc/agentvisor/agents.d");
        assert_int_equal(strv_length(c->policy_path), 2);
        assert_string_equal(c->policy_path[0], "/etc/agentvisor/policies");
        assert_string_equal(c->policy_path[1], "/usr/share/agentvisor/policies");
        assert_string_equal(c->log_directory, "/var/log/agentvisor");
        assert_string_equal(c->admin_group, "agentvisor");
        assert_string_equal(c->default_user, "nobody");

        assert_int_equal(c->n_supervisors, 2);
        assert_string_equal(c->supervisors[0].name, "root");
        assert_string_equal(c->supervisors[1].name, "workers");
        assert_string_equal(c->supervisors[1].parent, "root");
        assert_int_equal(c->supervisors[1].restart, RESTART_PERMANENT);
        assert_int_equal(c->supervisors[1].strategy, STRATEGY_REST_FOR_ONE);
        daemon_config_free(c);
}

static void test_every_key(void **state) {
        DaemonConfig *c = parse_ok(
                "[Daemon]\n"
                "AgentsDirectory=/srv/agents\n"
                "PolicyPath=/a::rel/b\n"
                "LogDirectory=logs\n"
                "RuntimeDirectory=/run/av-test\n"
                "AdminGroup=wheel\n"
                "DefaultUser=agent_user\n"
                "ControlGroup=av.test\n"
                "[Supervisor]\n"
                "Strategy=one-for-all\n"
                "MaxRestarts=0\n"
                "RestartWindowSec=1min 30s\n"
                "MaxChildren=7\n"
                "AgentTimeoutSec=500ms\n"
                "HealthCheckIntervalSec=0\n"
                "RestartDelaySec=100ms\n"
                "RestartMaxDelaySec=2s\n"
                "OnEscalation=exit\n"
                "[Supervisor leaf]\n"
                "Parent=root\n"
                "Restart=temporary\n");
        const SupervisorConfig *root = sup(c, "root");

        assert_string_equal(c->agents_directory, "/srv/agents");
        assert_int_equal(strv_length(c->policy_path), 2);
        assert_string_equal(c->policy_path[0], "/a");
        assert_string_equal(c->policy_path[1], "/etc/agentvisor/rel/b");
        assert_string_equal(c->log_directory, "/etc/agentvisor/logs");
        assert_string_equal(c->runtime_directory, "/run/av-test");
        assert_string_equal(c->admin_group, "wheel");
        assert_string_equal(c->default_user, "agent_user");
        assert_string_equal(c->control_group, "av.test");

        assert_int_equal(root->strategy, STRATEGY_ONE_FOR_ALL);
        assert_int_equal(root->max_restarts, 0);
        assert_true(root->restart_window_usec == 90 * USEC_PER_SEC);
        assert_int_equal(root->max_children, 7);
        assert_true(root->agent_timeout_usec == 500 * USEC_PER_MSEC);
        assert_true(root->health_check_interval_usec == 0);
        assert_true(root->restart_delay_usec == 100 * USEC_PER_MSEC);
        assert_true(root->restart_max_delay_usec == 2 * USEC_PER_SEC);
        assert_int_equal(root->on_escalation, ON_ESCALATION_EXIT);
        assert_int_equal(sup(c, "leaf")->restart, RESTART_TEMPORARY);
        daemon_config_free(c);
}

static void test_empty_values(void **state) {
        DaemonConfig *c = parse_ok("[Daemon]\nAdminGroup=x\nAdminGroup=\nPolicyPath=\nAgentsDirectory=\n");

        assert_null(c->admin_group);
        assert_non_null(c->policy_path);
        assert_null(c->policy_path[0]);
        assert_null(c->agents_directory);
        daemon_config_free(c);
}

static void test_relative_file_name(void **state) {
        _cleanup_free_ char *cwd = getcwd(NULL, 0), *want = NULL;
        DaemonConfig *c = NULL;
        Diagnostic d = {};

        assert_non_null(cwd);
        assert_int_equal(config_parse_string("", "sub/x.conf", &c, &d), 0);
        assert_true(asprintf(&want, "%s/sub/agents.d", cwd) > 0);
        assert_string_equal(c->agents_directory, want);
        daemon_config_free(c);
}

static void test_inheritance(void **state) {
        DaemonConfig *c = parse_ok(
                "[Supervisor]\n"
                "Strategy=one-for-all\n"
                "MaxRestarts=10\n"
                "RestartWindowSec=60\n"
                "MaxChildren=50\n"
                "AgentTimeoutSec=5\n"
                "HealthCheckIntervalSec=20\n"
                "RestartDelaySec=1\n"
                "RestartMaxDelaySec=4\n"
                "OnEscalation=exit\n"
                "[Supervisor mid]\n"
                "Parent=root\n"
                "MaxRestarts=2\n"
                "MaxChildren=9\n"
                "Restart=transient\n"
                "[Supervisor leaf]\n"
                "Parent=mid\n"
                "Strategy=rest-for-one\n");
        const SupervisorConfig *mid = sup(c, "mid"), *leaf = sup(c, "leaf");

        /* mid: its own values, the rest from root. */
        assert_int_equal(mid->strategy, STRATEGY_ONE_FOR_ALL);
        assert_int_equal(mid->max_restarts, 2);
        assert_true(mid->restart_window_usec == 60 * USEC_PER_SEC);
        assert_int_equal(mid->max_children, 9);
        assert_true(mid->agent_timeout_usec == 5 * USEC_PER_SEC);
        assert_true(mid->health_check_interval_usec == 20 * USEC_PER_SEC);
        assert_true(mid->restart_delay_usec == 1 * USEC_PER_SEC);
        assert_true(mid->restart_max_delay_usec == 4 * USEC_PER_SEC);
        assert_int_equal(mid->restart, RESTART_TRANSIENT);
        assert_int_equal(mid->on_escalation, ON_ESCALATION_STOP);

        /* leaf inherits mid's resolved values, not root's; Restart is not inherited. */
        assert_int_equal(leaf->strategy, STRATEGY_REST_FOR_ONE);
        assert_int_equal(leaf->max_restarts, 2);
        assert_int_equal(leaf->max_children, 9);
        assert_true(leaf->agent_timeout_usec == 5 * USEC_PER_SEC);
        assert_int_equal(leaf->restart, RESTART_PERMANENT);
        assert_string_equal(leaf->parent, "mid");
        daemon_config_free(c);
}

static void test_parent_ordering(void **state) {
        /* Children before their parents in the file, root last. */
        DaemonConfig *c = parse_ok(
                "[Supervisor c]\nParent=b\nMaxRestarts=1\n"
                "[Supervisor b]\nParent=a\n"
                "[Supervisor x]\nParent=root\n"
                "[Supervisor a]\nParent=root\nMaxRestarts=5\n"
                "[Supervisor]\nMaxRestarts=4\n");
        static const char *const want[] = { "root", "x", "a", "b", "c" };

        assert_int_equal(c->n_supervisors, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                if (strcmp(c->supervisors[i].name, want[i]) != 0)
                        fail_msg("supervisor %zu is %s, expected %s (root first, parents before children)", i,
                                 c->supervisors[i].name, want[i]);
        for (size_t i = 1; i < c->n_supervisors; i++) {
                const SupervisorConfig *s = &c->supervisors[i];
                bool parent_earlier = false;

                for (size_t j = 0; j < i; j++)
                        parent_earlier = parent_earlier || strcmp(c->supervisors[j].name, s->parent) == 0;
                if (!parent_earlier)
                        fail_msg("%s comes before its parent %s", s->name, s->parent);
        }
        /* b inherits from a even though a is defined later. */
        assert_int_equal(sup(c, "b")->max_restarts, 5);
        assert_int_equal(sup(c, "x")->max_restarts, 4);
        assert_int_equal(sup(c, "c")->max_restarts, 1);
        daemon_config_free(c);
}

static void test_named_root_section(void **state) {
        DaemonConfig *c = parse_ok("[Supervisor root]\nMaxChildren=3\n");

        assert_int_equal(c->n_supervisors, 1);
        assert_int_equal(c->supervisors[0].max_children, 3);
        daemon_config_free(c);
}

static void test_bad_structure(void **state) {
        parse_bad("[Daemon]\nAgentsDir=x\n", 2, "AgentsDir", "unknown key");
        parse_bad("[Supervisor]\nStrategy=one-for-one\nColour=blue\n", 3, "Colour", "unknown key");
        parse_bad("[Supervisor w]\nParent=root\nFoo=1\n", 3, "Foo", "unknown key");
        parse_bad("[Daemon]\n[Agent]\n", 2, "Agent", "unknown section");
        parse_bad("[Daemon x]\n", 1, "Daemon", "no argument");
        parse_bad("[Supervisor -bad]\nParent=root\n", 1, "Supervisor", "not a valid name");
        parse_bad("[Supervisor]\n[Supervisor]\n", 2, "Supervisor", "twice");
        parse_bad("[Supervisor a]\nParent=root\n\n[Supervisor a]\nParent=root\n", 4, "Supervisor", "twice");
        parse_bad("Strategy=one-for-one\n", 1, "Strategy", "before any section");
}

static void test_bad_parents(void **state) {
        parse_bad("[Supervisor]\n[Supervisor w]\nStrategy=one-for-all\n", 2, "Parent", "needs Parent=");
        parse_bad("[Supervisor w]\nParent=nobody\n", 2, "Parent", "nobody");
        parse_bad("[Supervisor]\nParent=root\n", 2, "Parent", "root supervisor has no Parent");
        parse_bad("[Supervisor a]\nParent=b\n[Supervisor b]\nParent=a\n", 2, "Parent", "cycle");
        parse_bad("[Supervisor ok]\nParent=root\n[Supervisor self]\n\nParent=self\n", 5, "Parent", "cycle");
        parse_bad("[Supervisor a]\nParent=c\n[Supervisor b]\nParent=a\n[Supervisor c]\nParent=b\n", 2, "Parent",
                  "cycle");
}

/* OnEscalation=freeze on the root and on nested supervisors, each its own
 * (not inherited). */
static void test_on_escalation_freeze(void **state) {
        DaemonConfig *c = parse_ok("[Supervisor]\n"
                                   "OnEscalation=freeze\n"
                                   "[Supervisor w]\n"
                                   "Parent=root\n"
                                   "OnEscalation=freeze\n"
                                   "[Supervisor plain]\n"
                                   "Parent=root\n");

        assert_int_equal(sup(c, "root")->on_escalation, ON_ESCALATION_FREEZE);
        assert_int_equal(sup(c, "w")->on_escalation, ON_ESCALATION_FREEZE);
        assert_int_equal(sup(c, "plain")->on_escalation, ON_ESCALATION_STOP);
        daemon_config_free(c);
}

static void test_bad_root_only_keys(void **state) {
        parse_bad("[Supervisor w]\nParent=root\nOnEscalation=exit\n", 3, "OnEscalation", "root supervisor only");
        parse_bad("[Supervisor]\nRestart=transient\n", 2, "Restart", "nested supervisors only");
}

static void test_bad_values(void **state) {
        parse_bad("[Supervisor]\nStrategy=one-for-some\n", 2, "Strategy", "one-for-some");
        parse_bad("[Supervisor]\nMaxRestarts=-1\n", 2, "MaxRestarts", "invalid");
        parse_bad("[Supervisor]\nMaxRestarts=99999999999\n", 2, "MaxRestarts", "out of range");
        parse_bad("[Supervisor]\nRestartWindowSec=0\n", 2, "RestartWindowSec", "out of range");
        parse_bad("[Supervisor]\nRestartWindowSec=soon\n", 2, "RestartWindowSec", "invalid");
        parse_bad("[Supervisor]\nMaxChildren=0\n", 2, "MaxChildren", "out of range");
        parse_bad("[Supervisor]\nAgentTimeoutSec=5 parsecs\n", 2, "AgentTimeoutSec", "invalid");
        parse_bad("[Supervisor]\nHealthCheckIntervalSec=x\n", 2, "HealthCheckIntervalSec", "invalid");
        parse_bad("[Supervisor]\nRestartDelaySec=infinity\n", 2, "RestartDelaySec", "out of range");
        parse_bad("[Supervisor]\nRestartMaxDelaySec=-1\n", 2, "RestartMaxDelaySec", "invalid");
        parse_bad("[Supervisor]\nOnEscalation=panic\n", 2, "OnEscalation", "stop, exit or freeze");
        parse_bad("[Supervisor w]\nParent=root\nOnEscalation=panic\n", 3, "OnEscalation", "stop or freeze");
        parse_bad("[Supervisor w]\nParent=root\nRestart=always\n", 3, "Restart", "permanent, transient");
        parse_bad("[Daemon]\nControlGroup=a/b\n", 2, "ControlGroup", "not a valid name");
        parse_bad("[Daemon]\nControlGroup=\n", 2, "ControlGroup", "not a valid name");
        parse_bad("[Daemon]\nAdminGroup=bad group\n", 2, "AdminGroup", "not a valid group");
        parse_bad("[Daemon]\nDefaultUser=\n", 2, "DefaultUser", "not a valid user");
        parse_bad("[Daemon]\nLogDirectory=\n", 2, "LogDirectory", "needs a directory");
        parse_bad("[Daemon]\nRuntimeDirectory=run\n", 2, "RuntimeDirectory", "not an absolute path");
        parse_bad("[Daemon]\nRuntimeDirectory=\n", 2, "RuntimeDirectory", "not an absolute path");
}

static uint64_t ram(void) {
        return (uint64_t) sysconf(_SC_PHYS_PAGES) * (uint64_t) sysconf(_SC_PAGESIZE);
}

/* Agents without limits get DefaultTasksMax=4096 and DefaultMemoryMax=50% of
 * RAM; supervisors have no limits of their own unless set. */
static void test_limit_defaults(void **state) {
        DaemonConfig *c = NULL;
        Diagnostic d = {};
        Limits l = LIMITS_NONE;

        assert_int_equal(config_load(NULL, &c, &d), 0);
        assert_true(c->default_tasks_max == 4096);
        assert_true(c->default_memory_max == ram() / 2);
        assert_true(sup(c, "root")->limits.tasks_max == UINT64_MAX);
        assert_true(sup(c, "root")->limits.memory_max == UINT64_MAX);
        assert_true(sup(c, "root")->limits.cpu_quota_per_sec_usec == UINT64_MAX);
        daemon_config_default_limits(c, &l);
        assert_true(l.tasks_max == 4096 && l.memory_max == ram() / 2);
        /* The rest stays as it was. */
        assert_true(l.cpu_quota_per_sec_usec == UINT64_MAX && l.runtime_max_usec == USEC_INFINITY);
        daemon_config_free(c);

        c = parse_ok("[Daemon]\nControlGroup=x\n");
        assert_true(c->default_tasks_max == 4096 && c->default_memory_max == ram() / 2);
        daemon_config_free(c);
}

static void test_limit_keys(void **state) {
        DaemonConfig *c = parse_ok("[Daemon]\n"
                                   "DefaultTasksMax=100\n"
                                   "DefaultMemoryMax=25%\n"
                                   "[Supervisor]\n"
                                   "TasksMax=1000\n"
                                   "MemoryMax=2G\n"
                                   "CPUQuota=150%\n"
                                   "[Supervisor w]\n"
                                   "Parent=root\n"
                                   "TasksMax=64\n"
                                   "MemoryMax=infinity\n"
                                   "[Supervisor x]\n"
                                   "Parent=w\n");
        const SupervisorConfig *root = sup(c, "root"), *w = sup(c, "w"), *x = sup(c, "x");

        assert_true(c->default_tasks_max == 100);
        assert_true(c->default_memory_max == ram() / 4);
        assert_true(root->limits.tasks_max == 1000);
        assert_true(root->limits.memory_max == 2ULL << 30);
        assert_true(root->limits.cpu_quota_per_sec_usec == 1500000);
        assert_true(w->limits.tasks_max == 64);
        assert_true(w->limits.memory_max == UINT64_MAX);
        assert_true(w->limits.cpu_quota_per_sec_usec == UINT64_MAX);
        /* Not inherited: the cgroup tree already bounds x by w and root. */
        assert_true(x->limits.tasks_max == UINT64_MAX);
        assert_true(x->limits.memory_max == UINT64_MAX);
        daemon_config_free(c);

        c = parse_ok("[Daemon]\nDefaultTasksMax=infinity\nDefaultMemoryMax=infinity\n"
                     "[Supervisor]\nCPUQuota=infinity\n");
        assert_true(c->default_tasks_max == UINT64_MAX && c->default_memory_max == UINT64_MAX);
        assert_true(sup(c, "root")->limits.cpu_quota_per_sec_usec == UINT64_MAX);
        daemon_config_free(c);

        c = parse_ok("[Daemon]\nDefaultMemoryMax=512M\n");
        assert_true(c->default_memory_max == 512ULL << 20);
        daemon_config_free(c);
}

static void test_bad_limits(void **state) {
        parse_bad("[Daemon]\nDefaultTasksMax=0\n", 2, "DefaultTasksMax", "out of range");
        parse_bad("[Daemon]\nDefaultTasksMax=lots\n", 2, "DefaultTasksMax", "a number of tasks");
        parse_bad("[Daemon]\nDefaultTasksMax=18446744073709551616\n", 2, "DefaultTasksMax", "out of range");
        parse_bad("[Daemon]\nDefaultMemoryMax=0\n", 2, "DefaultMemoryMax", "out of range");
        parse_bad("[Daemon]\nDefaultMemoryMax=101%\n", 2, "DefaultMemoryMax", "1% to 100%");
        parse_bad("[Daemon]\nDefaultMemoryMax=half\n", 2, "DefaultMemoryMax", "invalid");
        parse_bad("[Daemon]\nTasksMax=5\n", 2, "TasksMax", "unknown key");
        parse_bad("[Supervisor]\nTasksMax=-3\n", 2, "TasksMax", "invalid");
        parse_bad("[Supervisor]\nMemoryMax=0%\n", 2, "MemoryMax", "out of range");
        parse_bad("[Supervisor w]\nParent=root\nCPUQuota=0%\n", 3, "CPUQuota", "out of range");
        parse_bad("[Supervisor]\nCPUQuota=50\n", 2, "CPUQuota", "such as 50%");
        parse_bad("[Supervisor]\nDefaultTasksMax=5\n", 2, "DefaultTasksMax", "unknown key");
}

static void test_backoff(void **state) {
        DaemonConfig *c;

        /* MaxRestarts=3, delay 1s growing to 4s: restarts 2..4 wait 2+4+4 = 10s. */
        c = parse_ok("[Supervisor]\nMaxRestarts=3\nRestartWindowSec=11\nRestartDelaySec=1\nRestartMaxDelaySec=4\n");
        daemon_config_free(c);
        parse_bad("[Supervisor]\nMaxRestarts=3\nRestartWindowSec=10\nRestartDelaySec=1\nRestartMaxDelaySec=4\n", 1,
                  "RestartDelaySec", "MaxRestarts=3 can never be reached inside RestartWindowSec=10s");
        parse_bad("\n[Supervisor]\nMaxRestarts=3\nRestartWindowSec=10\nRestartDelaySec=1\nRestartMaxDelaySec=4\n",
                  2, "RestartDelaySec", "add up to 10s");

        /* No cap above the delay: every delay is the first one (3 x 2s = 6s). */
        c = parse_ok("[Supervisor]\nMaxRestarts=3\nRestartWindowSec=7\nRestartDelaySec=2\n");
        daemon_config_free(c);
        parse_bad("[Supervisor]\nMaxRestarts=3\nRestartWindowSec=6\nRestartDelaySec=2\n", 1, "RestartDelaySec",
                  "6s");

        /* MaxRestarts=0 escalates on the first crash: no delay sum at all. */
        c = parse_ok("[Supervisor]\nMaxRestarts=0\nRestartWindowSec=1\nRestartDelaySec=1h\n");
        daemon_config_free(c);

        /* Huge MaxRestarts saturates instead of looping or overflowing. */
        parse_bad("[Supervisor]\nMaxRestarts=4294967295\nRestartWindowSec=1w\nRestartDelaySec=1us\n"
                  "RestartMaxDelaySec=1w\n", 1, "RestartDelaySec", "can never be reached");

        /* An inherited backoff is checked against the nested supervisor's own window. */
        parse_bad("[Supervisor]\nMaxRestarts=2\nRestartWindowSec=60\nRestartDelaySec=1\nRestartMaxDelaySec=8\n"
                  "[Supervisor w]\nParent=root\nRestartWindowSec=5\n", 6, "RestartDelaySec", "[Supervisor w]");
}

static void test_enum_strings(void **state) {
        for (Strategy s = 0; s < _STRATEGY_MAX; s++)
                assert_int_equal(strategy_from_string(strategy_to_string(s)), s);
        for (RestartType t = 0; t < _RESTART_MAX; t++)
                assert_int_equal(restart_type_from_string(restart_type_to_string(t)), t);
        for (OnEscalation e = 0; e < _ON_ESCALATION_MAX; e++)
                assert_int_equal(on_escalation_from_string(on_escalation_to_string(e)), e);
        for (ServiceType t = 0; t < _SERVICE_MAX; t++)
                assert_int_equal(service_type_from_string(service_type_to_string(t)), t);

        assert_string_equal(strategy_to_string(STRATEGY_REST_FOR_ONE), "rest-for-one");
        assert_string_equal(restart_type_to_string(RESTART_TRANSIENT), "transient");
        assert_string_equal(on_escalation_to_string(ON_ESCALATION_EXIT), "exit");
        assert_string_equal(service_type_to_string(SERVICE_NOTIFY), "notify");
        assert_int_equal(strategy_from_string("One-For-One"), _STRATEGY_INVALID);
        assert_int_equal(restart_type_from_string(NULL), _RESTART_INVALID);
        assert_null(strategy_to_string(_STRATEGY_MAX));
        assert_null(service_type_to_string(_SERVICE_INVALID));
}

static void test_load_file(void **state) {
        char dir[] = "/tmp/test-config-XXXXXX", path[128];
        DaemonConfig *c = NULL;
        Diagnostic d = {};
        FILE *f;

        assert_non_null(mkdtemp(dir));
        (void) snprintf(path, sizeof(path), "%s/agentvisor.conf", dir);

        assert_int_equal(config_load(path, &c, &d), -ENOENT);
        assert_string_equal(d.file, path);
        assert_non_null(strstr(d.message, "cannot read"));

        f = fopen(path, "we");
        assert_non_null(f);
        fputs("[Daemon]\nAgentsDirectory=types\n", f);
        fclose(f);
        assert_int_equal(config_load(path, &c, &d), 0);
        assert_string_equal(c->path, path);
        assert_true(strncmp(c->agents_directory, dir, strlen(dir)) == 0);
        assert_string_equal(c->agents_directory + strlen(dir), "/types");
        daemon_config_free(c);

        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

/* A DefaultUser in AdminGroup could drive the API from inside an agent:
 * refused at load, naming the line. Uses the host's user database (nobody
 * has the group of gid 65534 as its primary group on every distribution). */
static void test_default_user_in_admin_group(void **state) {
        struct passwd *pw = getpwnam("nobody");
        struct group *gr = pw ? getgrgid(pw->pw_gid) : NULL;
        char text[512];
        DaemonConfig *c;

        if (!gr)
                skip();
        snprintf(text, sizeof text, "[Daemon]\nAdminGroup=%s\nDefaultUser=nobody\n", gr->gr_name);
        parse_bad(text, 3, "DefaultUser", "AdminGroup");
        /* The built-in default user is dynamic: uids in no group. */
        snprintf(text, sizeof text, "[Daemon]\nAdminGroup=%s\n", gr->gr_name);
        daemon_config_free(parse_ok(text));
        /* root is allowed (User=root agents are, by the SPEC). */
        snprintf(text, sizeof text, "[Daemon]\nAdminGroup=%s\nDefaultUser=root\n", gr->gr_name);
        c = parse_ok(text);
        assert_int_equal(config_user_in_admin_group(c, "nobody"), 1);
        assert_int_equal(config_user_in_admin_group(c, "root"), 0);
        assert_int_equal(config_user_in_admin_group(c, "agentvisor-no-such-user"), 0);
        daemon_config_free(c);
}

/* [Daemon] keys of the SPEC's Isolation section. DynamicUserRange= is kept
 * as written with its line: the daemon parses it (dynamic-user.h). */
static void test_isolation_keys(void **state) {
        DaemonConfig *c;

        c = parse_ok("[Daemon]\nDefaultUser=nobody\nDefaultSandbox=strict\nDynamicUserRange=70000-70999\n"
                     "StateDirectory=/srv/state\nRuntimeDirectory=/run/av2\n");
        assert_string_equal(c->default_user, "nobody");
        assert_int_equal(c->default_sandbox, SANDBOX_STRICT);
        assert_string_equal(c->dynamic_user_range, "70000-70999");
        assert_int_equal(c->dynamic_user_range_line, 4);
        assert_string_equal(c->state_directory, "/srv/state");
        assert_string_equal(c->runtime_directory, "/run/av2");
        daemon_config_free(c);
        c = parse_ok("[Daemon]\nDefaultSandbox=none\n");
        assert_int_equal(c->default_sandbox, SANDBOX_NONE);
        daemon_config_free(c);

        parse_bad("[Daemon]\nDefaultSandbox=paranoid\n", 2, "DefaultSandbox",
                  "DefaultSandbox=paranoid is invalid: expected none, standard or strict");
        parse_bad("[Daemon]\nStateDirectory=state\n", 2, "StateDirectory", "expected an absolute path");
        parse_bad("[Daemon]\nRuntimeDirectory=\n", 2, "RuntimeDirectory", "is not an absolute path");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_builtin_defaults),
                cmocka_unit_test(test_empty_file_defaults),
                cmocka_unit_test(test_spec_example),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_empty_values),
                cmocka_unit_test(test_relative_file_name),
                cmocka_unit_test(test_inheritance),
                cmocka_unit_test(test_parent_ordering),
                cmocka_unit_test(test_named_root_section),
                cmocka_unit_test(test_bad_structure),
                cmocka_unit_test(test_bad_parents),
                cmocka_unit_test(test_on_escalation_freeze),
                cmocka_unit_test(test_bad_root_only_keys),
                cmocka_unit_test(test_bad_values),
                cmocka_unit_test(test_limit_defaults),
                cmocka_unit_test(test_limit_keys),
                cmocka_unit_test(test_bad_limits),
                cmocka_unit_test(test_backoff),
                cmocka_unit_test(test_enum_strings),
                cmocka_unit_test(test_load_file),
                cmocka_unit_test(test_default_user_in_admin_group),
                cmocka_unit_test(test_isolation_keys),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
