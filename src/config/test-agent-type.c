/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for agents.d/NAME.agent: every key, defaults, bad values with
 * their file/line/key, and loading a directory of types. */
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "strv.h"

#define FILE_NAME "/etc/agentvisor/agents.d/worker.agent"

static DaemonConfig *test_config(void) {
        DaemonConfig *c = NULL;
        Diagnostic d = {};

        assert_int_equal(config_parse_string("[Supervisor workers]\nParent=root\n", "/etc/agentvisor/agentvisor.conf",
                                             &c, &d),
                         0);
        return c;
}

static AgentType *parse_ok(const char *text) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = test_config();
        AgentType *t = NULL;
        Diagnostic d = {};
        int r;

        r = agent_type_parse_string(text, FILE_NAME, c, &t, &d);
        if (r != 0)
                fail_msg("agent type rejected (%d): %s:%u [%s] %s\ninput:\n%s", r, d.file, d.line, d.key, d.message,
                         text);
        return t;
}

static void parse_bad(const char *text, unsigned line, const char *key, const char *needle) {
        _cleanup_(daemon_config_freep) DaemonConfig *c = test_config();
        AgentType *t = NULL;
        Diagnostic d = {};
        int r;

        r = agent_type_parse_string(text, FILE_NAME, c, &t, &d);
        if (r != -EINVAL)
                fail_msg("expected -EINVAL, got %d for:\n%s", r, text);
        assert_null(t);
        if (strcmp(d.file, FILE_NAME) != 0 || d.line != line || strcmp(d.key, key) != 0)
                fail_msg("diagnostic is %s:%u key \"%s\" (%s), expected %s:%u key \"%s\" for:\n%s", d.file, d.line,
                         d.key, d.message, FILE_NAME, line, key, text);
        if (d.message[0] == '\0' || !strstr(d.message, needle))
                fail_msg("message \"%s\" does not mention \"%s\" for:\n%s", d.message, needle, text);
}

static void test_minimal_defaults(void **state) {
        AgentType *t = parse_ok("[Agent]\nExec=/usr/bin/worker\n");
        const AgentSpec *s = &t->spec;

        assert_string_equal(t->name, "worker");
        assert_string_equal(t->path, FILE_NAME);
        assert_int_equal(strv_length(s->exec), 1);
        assert_string_equal(s->exec[0], "/usr/bin/worker");
        assert_string_equal(s->supervisor, "root");
        assert_int_equal(s->restart, RESTART_PERMANENT);
        assert_string_equal(s->policy, "default");
        assert_null(s->user);
        assert_null(s->environment);
        assert_string_equal(s->working_directory, "/");
        assert_int_equal(s->type, SERVICE_SIMPLE);
        assert_int_equal(s->standard_output, STANDARD_OUTPUT_JOURNAL);
        assert_true(s->timeout_start_usec == 10 * USEC_PER_SEC);
        /* The daemon's DefaultMemoryMax= (50% of RAM) and DefaultTasksMax= (4096). */
        assert_true(s->limits.memory_max ==
                    (uint64_t) sysconf(_SC_PHYS_PAGES) * (uint64_t) sysconf(_SC_PAGESIZE) / 2);
        assert_true(s->limits.tasks_max == DEFAULT_TASKS_MAX);
        assert_true(s->limits.cpu_quota_per_sec_usec == UINT64_MAX);
        assert_true(s->limits.runtime_max_usec == USEC_INFINITY);
        assert_true(s->limits.cpu_time_max_usec == USEC_INFINITY);
        assert_true(s->watchdog_usec == 0);
        assert_null(s->health_check);
        assert_int_equal(s->health_check_failures, 3);
        assert_true(s->health_check_interval_usec == 0);
        assert_true(s->health_check_timeout_usec == 10 * USEC_PER_SEC);
        assert_true(s->rlimits.nofile == RLIM_UNSET);
        assert_true(s->rlimits.core == 0);
        assert_true(s->rlimits.nproc == RLIM_UNSET);
        assert_int_equal(s->umask, 0077);
        assert_false(s->oom_score_adj_set);
        agent_type_free(t);
}

static void test_every_key(void **state) {
        AgentType *t = parse_ok(
                "# a full agent type\n"
                "[Agent]\n"
                "Exec=/usr/bin/worker --flag \"quoted arg\"   # trailing comment\n"
                "Supervisor=workers\n"
                "Restart=transient\n"
                "Policy=strict\n"
                "User=nobody\n"
                "Environment=A=1 \"B=two words\"\n"
                "Environment=C=3 A=overridden\n"
                "WorkingDirectory=/var/lib/worker\n"
                "Type=notify\n"
                "StandardOutput=null\n"
                "TimeoutStartSec=1min 30s\n"
                "RuntimeMaxSec=1h\n"
                "CPUTimeMaxSec=500ms\n"
                "MemoryMax=512M\n"
                "TasksMax=64\n"
                "CPUQuota=50%\n"
                "WatchdogSec=10s\n"
                "HealthCheck=/usr/bin/probe --quick\n"
                "HealthCheckFailures=5\n"
                "HealthCheckIntervalSec=15\n"
                "HealthCheckTimeoutSec=2s\n"
                "LimitNOFILE=1K\n"
                "LimitCORE=infinity\n"
                "LimitNPROC=100\n"
                "UMask=0027\n"
                "OOMScoreAdjust=-500\n");
        const AgentSpec *s = &t->spec;

        assert_int_equal(strv_length(s->exec), 3);
        assert_string_equal(s->exec[2], "quoted arg");
        assert_string_equal(s->supervisor, "workers");
        assert_int_equal(s->restart, RESTART_TRANSIENT);
        assert_string_equal(s->policy, "strict");
        assert_string_equal(s->user, "nobody");
        assert_int_equal(strv_length(s->environment), 3);
        assert_string_equal(strv_env_get(s->environment, "A"), "overridden");
        assert_string_equal(strv_env_get(s->environment, "B"), "two words");
        assert_string_equal(strv_env_get(s->environment, "C"), "3");
        assert_string_equal(s->working_directory, "/var/lib/worker");
        assert_int_equal(s->type, SERVICE_NOTIFY);
        assert_int_equal(s->standard_output, STANDARD_OUTPUT_NULL);
        assert_true(s->timeout_start_usec == 90 * USEC_PER_SEC);
        assert_true(s->limits.runtime_max_usec == 3600 * USEC_PER_SEC);
        assert_true(s->limits.cpu_time_max_usec == 500 * USEC_PER_MSEC);
        assert_true(s->limits.memory_max == 512ULL << 20);
        assert_true(s->limits.tasks_max == 64);
        assert_true(s->limits.cpu_quota_per_sec_usec == 500000);
        assert_true(s->watchdog_usec == 10 * USEC_PER_SEC);
        assert_int_equal(strv_length(s->health_check), 2);
        assert_string_equal(s->health_check[0], "/usr/bin/probe");
        assert_int_equal(s->health_check_failures, 5);
        assert_true(s->health_check_interval_usec == 15 * USEC_PER_SEC);
        assert_true(s->health_check_timeout_usec == 2 * USEC_PER_SEC);
        assert_true(s->rlimits.nofile == 1024);
        assert_true(s->rlimits.core == UINT64_MAX); /* infinity, not "unset" */
        assert_true(s->rlimits.core != RLIM_UNSET);
        assert_true(s->rlimits.nproc == 100);
        assert_int_equal(s->umask, 0027);
        assert_int_equal(s->oom_score_adj, -500);
        assert_true(s->oom_score_adj_set);
        agent_type_free(t);
}

static void test_resets_and_none(void **state) {
        AgentType *t = parse_ok("[Agent]\nExec=/bin/true\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\n"
                                "RuntimeMaxSec=0\nCPUTimeMaxSec=infinity\nTimeoutStartSec=0\nMemoryMax=infinity\n"
                                "TasksMax=infinity\nCPUQuota=200%\nCPUQuota=\nHealthCheck=/bin/x\nHealthCheck=\n"
                                "User=root\nUser=\nWatchdogSec=0\n");
        const AgentSpec *s = &t->spec;

        assert_int_equal(strv_length(s->environment), 1);
        assert_string_equal(s->environment[0], "B=2");
        assert_true(s->limits.runtime_max_usec == USEC_INFINITY);
        assert_true(s->limits.cpu_time_max_usec == USEC_INFINITY);
        assert_true(s->timeout_start_usec == USEC_INFINITY);
        assert_true(s->limits.memory_max == UINT64_MAX);
        assert_true(s->limits.tasks_max == UINT64_MAX);
        assert_true(s->limits.cpu_quota_per_sec_usec == UINT64_MAX);
        assert_null(s->health_check);
        assert_null(s->user);
        assert_true(s->watchdog_usec == 0);
        agent_type_free(t);
}

static void test_cpu_quota_multi_core(void **state) {
        AgentType *t = parse_ok("[Agent]\nExec=/bin/true\nCPUQuota=150%\n");

        assert_true(t->spec.limits.cpu_quota_per_sec_usec == 1500000);
        agent_type_free(t);
}

static void test_bad_structure(void **state) {
        parse_bad("[Agent]\nUser=nobody\n", 0, "Exec", "no Exec=");
        parse_bad("", 0, "Exec", "no Exec=");
        parse_bad("[Agent]\nExec=/bin/true\n[Service]\n", 3, "Service", "unknown section");
        parse_bad("[Agent x]\nExec=/bin/true\n", 1, "Agent", "unknown section");
        parse_bad("[Agent]\nExec=/bin/true\nExecStart=/bin/true\n", 3, "ExecStart", "unknown key");
        parse_bad("[Agent]\nExec=/bin/true\nnonsense\n", 3, "", "Key=Value");
}

static void test_bad_values(void **state) {
        parse_bad("[Agent]\nExec=worker\n", 2, "Exec", "absolute path");
        parse_bad("[Agent]\nExec=\n", 2, "Exec", "needs a command");
        parse_bad("[Agent]\nExec=/bin/x \"unbalanced\n", 2, "Exec", "unbalanced");
        parse_bad("[Agent]\nExec=/bin/true\nSupervisor=nope\n", 3, "Supervisor", "no such supervisor");
        parse_bad("[Agent]\nExec=/bin/true\nSupervisor=a/b\n", 3, "Supervisor", "supervisor name");
        parse_bad("[Agent]\nExec=/bin/true\nRestart=always\n", 3, "Restart", "permanent, transient or temporary");
        parse_bad("[Agent]\nExec=/bin/true\nPolicy=../etc/passwd\n", 3, "Policy", "policy name");
        parse_bad("[Agent]\nExec=/bin/true\nUser=bad user\n", 3, "User", "user name");
        parse_bad("[Agent]\nExec=/bin/true\nEnvironment=NOVALUE\n", 3, "Environment", "NOVALUE");
        parse_bad("[Agent]\nExec=/bin/true\nEnvironment=1X=2\n", 3, "Environment", "1X=2");
        parse_bad("[Agent]\nExec=/bin/true\nEnvironment=\"A=1\n", 3, "Environment", "unbalanced");
        parse_bad("[Agent]\nExec=/bin/true\nWorkingDirectory=relative\n", 3, "WorkingDirectory", "absolute");
        parse_bad("[Agent]\nExec=/bin/true\nType=forking\n", 3, "Type", "simple or notify");
        /* systemd's other words (syslog, kmsg, file:...) are not offered;
         * the words are case-sensitive, as systemd's are. */
        parse_bad("[Agent]\nExec=/bin/true\nStandardOutput=syslog\n", 3, "StandardOutput",
                  "StandardOutput=syslog is invalid: expected journal or null");
        parse_bad("[Agent]\nExec=/bin/true\nStandardOutput=Null\n", 3, "StandardOutput", "journal or null");
        parse_bad("[Agent]\nExec=/bin/true\nStandardOutput=\n", 3, "StandardOutput", "journal or null");
        parse_bad("[Agent]\nExec=/bin/true\nTimeoutStartSec=soon\n", 3, "TimeoutStartSec", "invalid");
        parse_bad("[Agent]\nExec=/bin/true\nRuntimeMaxSec=-1\n", 3, "RuntimeMaxSec", "invalid");
        parse_bad("[Agent]\nExec=/bin/true\nCPUTimeMaxSec=1x\n", 3, "CPUTimeMaxSec", "invalid");
        parse_bad("[Agent]\nExec=/bin/true\nMemoryMax=0\n", 3, "MemoryMax", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nMemoryMax=lots\n", 3, "MemoryMax", "invalid");
        parse_bad("[Agent]\nExec=/bin/true\nMemoryMax=16E\n", 3, "MemoryMax", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nTasksMax=0\n", 3, "TasksMax", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nTasksMax=1K\n", 3, "TasksMax", "invalid");
        parse_bad("[Agent]\nExec=/bin/true\nCPUQuota=50\n", 3, "CPUQuota", "percentage");
        parse_bad("[Agent]\nExec=/bin/true\nCPUQuota=0%\n", 3, "CPUQuota", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nType=notify\nWatchdogSec=often\n", 4, "WatchdogSec", "invalid");
        parse_bad("[Agent]\nExec=/bin/true\nHealthCheck=probe\n", 3, "HealthCheck", "absolute path");
        parse_bad("[Agent]\nExec=/bin/true\nHealthCheckFailures=0\n", 3, "HealthCheckFailures", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nHealthCheckIntervalSec=x\n", 3, "HealthCheckIntervalSec", "invalid");
        parse_bad("[Agent]\nExec=/bin/true\nHealthCheckTimeoutSec=0\n", 3, "HealthCheckTimeoutSec", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nLimitNOFILE=many\n", 3, "LimitNOFILE", "invalid");
        parse_bad("[Agent]\nExec=/bin/true\nLimitCORE=-1\n", 3, "LimitCORE", "invalid");
        /* The kernel allows no unlimited open files: refused at load, not at
         * every start. */
        parse_bad("[Agent]\nExec=/bin/true\nLimitNOFILE=infinity\n", 3, "LimitNOFILE", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nLimitNOFILE=3G\n", 3, "LimitNOFILE", "fs.nr_open");
        parse_bad("[Agent]\nExec=/bin/true\nLimitNPROC=1.5\n", 3, "LimitNPROC", "invalid");
        parse_bad("[Agent]\nExec=/bin/true\nUMask=0800\n", 3, "UMask", "octal");
        parse_bad("[Agent]\nExec=/bin/true\nUMask=01777\n", 3, "UMask", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nUMask=-1\n", 3, "UMask", "octal");
        parse_bad("[Agent]\nExec=/bin/true\nOOMScoreAdjust=1001\n", 3, "OOMScoreAdjust", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nOOMScoreAdjust=-1001\n", 3, "OOMScoreAdjust", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nOOMScoreAdjust=low\n", 3, "OOMScoreAdjust", "invalid");
}

/* Values that would wrap or that the kernel refuses are errors with
 * file:line; the largest valid ones load. */
static void test_limits_out_of_range(void **state) {
        AgentType *t;

        parse_bad("[Agent]\nExec=/bin/true\nCPUQuota=4294967346%\n", 3, "CPUQuota", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nCPUQuota=18446744073709551666%\n", 3, "CPUQuota", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nCPUQuota=10001%\n", 3, "CPUQuota", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nTasksMax=4194305\n", 3, "TasksMax", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nTasksMax=18446744073709551615\n", 3, "TasksMax", "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nRuntimeMaxSec=18446744073709551614us\n", 3, "RuntimeMaxSec",
                  "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nCPUTimeMaxSec=9223372036854775808us\n", 3, "CPUTimeMaxSec",
                  "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nTimeoutStartSec=9223372036854775808us\n", 3, "TimeoutStartSec",
                  "out of range");
        parse_bad("[Agent]\nExec=/bin/true\nType=notify\nWatchdogSec=9223372036854775808us\n", 4, "WatchdogSec",
                  "out of range");

        t = parse_ok("[Agent]\nExec=/bin/true\nTasksMax=4194304\nCPUQuota=10000%\n"
                     "RuntimeMaxSec=9223372036854775807us\n");
        assert_true(t->spec.limits.tasks_max == 4194304);
        assert_true(t->spec.limits.cpu_quota_per_sec_usec == 100 * USEC_PER_SEC);
        assert_true(t->spec.limits.runtime_max_usec == (usec_t) INT64_MAX);
        agent_type_free(t);
}

/* A type may set PATH and the loader's variables (root wrote it), but not
 * the variables the daemon sets for each agent. */
static void test_environment_daemon_names(void **state) {
        AgentType *t;

        parse_bad("[Agent]\nExec=/bin/true\nEnvironment=NOTIFY_SOCKET=/x\n", 3, "Environment", "NOTIFY_SOCKET");
        parse_bad("[Agent]\nExec=/bin/true\nEnvironment=A=1 WATCHDOG_PID=\n", 3, "Environment", "WATCHDOG_PID");
        parse_bad("[Agent]\nExec=/bin/true\nEnvironment=WATCHDOG_USEC=1\n", 3, "Environment", "set by agentvisord");
        parse_bad("[Agent]\nExec=/bin/true\nEnvironment=LISTEN_FDS=3\n", 3, "Environment", "LISTEN_FDS");
        parse_bad("[Agent]\nExec=/bin/true\nEnvironment=INVOCATION_ID=x\n", 3, "Environment", "INVOCATION_ID");

        t = parse_ok("[Agent]\nExec=/bin/true\nEnvironment=PATH=/opt/bin HOME=/srv LD_LIBRARY_PATH=/opt/lib "
                     "WATCHDOGS=2\n");
        assert_string_equal(strv_env_get(t->spec.environment, "PATH"), "/opt/bin");
        assert_string_equal(strv_env_get(t->spec.environment, "LD_LIBRARY_PATH"), "/opt/lib");
        assert_string_equal(strv_env_get(t->spec.environment, "WATCHDOGS"), "2");
        agent_type_free(t);
}

/* An agent type whose user is in AdminGroup is refused at load, naming the
 * file, the User= line and the user. */
static void test_user_in_admin_group(void **state) {
        struct passwd *pw = getpwnam("nobody");
        struct group *gr = pw ? getgrgid(pw->pw_gid) : NULL;
        DaemonConfig *c = NULL;
        AgentType *t = NULL;
        Diagnostic d = {};
        char conf[256];

        if (!gr)
                skip();
        snprintf(conf, sizeof conf, "[Daemon]\nAdminGroup=%s\nDefaultUser=root\n", gr->gr_name);
        assert_int_equal(config_parse_string(conf, "/etc/agentvisor/agentvisor.conf", &c, &d), 0);
        assert_int_equal(agent_type_parse_string("[Agent]\nExec=/bin/true\nUser=nobody\n", FILE_NAME, c, &t, &d),
                         -EINVAL);
        assert_null(t);
        assert_string_equal(d.file, FILE_NAME);
        assert_int_equal(d.line, 3);
        assert_non_null(strstr(d.message, "nobody"));
        assert_non_null(strstr(d.message, "AdminGroup"));
        /* root (the DefaultUser here) is allowed. */
        assert_int_equal(agent_type_parse_string("[Agent]\nExec=/bin/true\n", FILE_NAME, c, &t, &d), 0);
        agent_type_free(t);
        daemon_config_free(c);
}

static void test_watchdog_needs_notify(void **state) {
        AgentType *t;

        parse_bad("[Agent]\nExec=/bin/true\nWatchdogSec=10\n", 3, "WatchdogSec", "Type=notify");
        parse_bad("[Agent]\nExec=/bin/true\nWatchdogSec=10\nType=simple\n", 3, "WatchdogSec", "WATCHDOG=1");
        /* Order does not matter: Type= may come after WatchdogSec=. */
        t = parse_ok("[Agent]\nExec=/bin/true\nWatchdogSec=10\nType=notify\n");
        agent_type_free(t);
}

static void test_file_names(void **state) {
        AgentType *t = NULL;
        Diagnostic d = {};

        assert_int_equal(agent_type_parse_string("[Agent]\nExec=/bin/true\n", "dir/x.conf", NULL, &t, &d), -EINVAL);
        assert_string_equal(d.file, "dir/x.conf");
        assert_non_null(strstr(d.message, "NAME.agent"));
        assert_int_equal(agent_type_parse_string("[Agent]\nExec=/bin/true\n", "dir/-x.agent", NULL, &t, &d), -EINVAL);
        assert_int_equal(agent_type_parse_string("[Agent]\nExec=/bin/true\n", ".agent", NULL, &t, &d), -EINVAL);
        assert_null(t);

        /* Without a daemon config any valid supervisor name is accepted. */
        assert_int_equal(agent_type_parse_string("[Agent]\nExec=/bin/true\nSupervisor=later\n", "a.b@c.agent", NULL, &t,
                                                 &d),
                         0);
        assert_string_equal(t->name, "a.b@c");
        assert_string_equal(t->spec.supervisor, "later");
        agent_type_free(t);
}

static void test_spec_copy(void **state) {
        AgentType *t = parse_ok("[Agent]\nExec=/bin/x a\nEnvironment=A=1\nHealthCheck=/bin/p\nUser=u\n");
        AgentSpec copy, empty;

        assert_int_equal(agent_spec_copy(&t->spec, &copy), 0);
        assert_true(copy.exec != t->spec.exec);
        assert_string_equal(copy.exec[1], "a");
        assert_string_equal(copy.environment[0], "A=1");
        assert_string_equal(copy.health_check[0], "/bin/p");
        assert_string_equal(copy.user, "u");
        assert_string_equal(copy.policy, "default");
        agent_type_free(t);
        agent_spec_done(&copy);

        agent_spec_init(&empty);
        assert_null(empty.supervisor);
        assert_int_equal(agent_spec_fill_defaults(&empty), 0);
        assert_string_equal(empty.supervisor, "root");
        assert_string_equal(empty.policy, "default");
        assert_string_equal(empty.working_directory, "/");
        agent_spec_done(&empty);
}

static void write_file(const char *dir, const char *name, const char *text) {
        char path[256];
        FILE *f;

        (void) snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        if (!f)
                fail_msg("cannot create %s", path);
        fputs(text, f);
        fclose(f);
}

static void remove_file(const char *dir, const char *name) {
        char path[256];

        (void) snprintf(path, sizeof(path), "%s/%s", dir, name);
        (void) unlink(path);
}

static void test_load_all(void **state) {
        char dir[] = "/tmp/test-agent-type-XXXXXX", sub[128];
        _cleanup_(daemon_config_freep) DaemonConfig *c = test_config();
        AgentType **types = NULL;
        Diagnostic d = {};
        size_t n = 99;

        assert_non_null(mkdtemp(dir));
        free(c->agents_directory);
        c->agents_directory = strdup(dir);
        assert_non_null(c->agents_directory);

        /* Empty directory: no types. */
        assert_int_equal(agent_types_load_all(c, &types, &n, &d), 0);
        assert_int_equal(n, 0);
        assert_null(types[0]);
        free(types);

        write_file(dir, "zeta.agent", "[Agent]\nExec=/bin/zeta\n");
        write_file(dir, "alpha.agent", "[Agent]\nExec=/bin/alpha\nSupervisor=workers\n");
        write_file(dir, "mid.agent", "[Agent]\nExec=/bin/mid\n");
        write_file(dir, "notes.txt", "not an agent");
        write_file(dir, ".hidden.agent", "garbage");
        (void) snprintf(sub, sizeof(sub), "%s/dir.agent", dir);
        assert_int_equal(mkdir(sub, 0700), 0);

        assert_int_equal(agent_types_load_all(c, &types, &n, &d), 0);
        assert_int_equal(n, 3);
        assert_string_equal(types[0]->name, "alpha");
        assert_string_equal(types[1]->name, "mid");
        assert_string_equal(types[2]->name, "zeta");
        assert_null(types[3]);
        assert_string_equal(types[0]->spec.supervisor, "workers");
        for (size_t i = 0; i < n; i++)
                agent_type_free(types[i]);
        free(types);

        /* One bad file fails the whole load and is named. */
        write_file(dir, "mid.agent", "[Agent]\nExec=/bin/mid\nMemoryMax=lots\n");
        types = NULL;
        assert_int_equal(agent_types_load_all(c, &types, &n, &d), -EINVAL);
        assert_null(types);
        assert_non_null(strstr(d.file, "/mid.agent"));
        assert_int_equal(d.line, 3);
        assert_string_equal(d.key, "MemoryMax");

        remove_file(dir, "zeta.agent");
        remove_file(dir, "alpha.agent");
        remove_file(dir, "mid.agent");
        remove_file(dir, "notes.txt");
        remove_file(dir, ".hidden.agent");
        assert_int_equal(rmdir(sub), 0);
        assert_int_equal(rmdir(dir), 0);

        /* A missing directory is an empty set. */
        assert_int_equal(agent_types_load_all(c, &types, &n, &d), 0);
        assert_int_equal(n, 0);
        free(types);
}

static void test_load_file(void **state) {
        AgentType *t = NULL;
        Diagnostic d = {};

        assert_int_equal(agent_type_load("/nonexistent/x.agent", NULL, &t, &d), -ENOENT);
        assert_string_equal(d.file, "/nonexistent/x.agent");
        assert_non_null(strstr(d.message, "cannot read"));
        assert_null(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_minimal_defaults),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_resets_and_none),
                cmocka_unit_test(test_cpu_quota_multi_core),
                cmocka_unit_test(test_bad_structure),
                cmocka_unit_test(test_bad_values),
                cmocka_unit_test(test_watchdog_needs_notify),
                cmocka_unit_test(test_file_names),
                cmocka_unit_test(test_spec_copy),
                cmocka_unit_test(test_limits_out_of_range),
                cmocka_unit_test(test_environment_daemon_names),
                cmocka_unit_test(test_user_in_admin_group),
                cmocka_unit_test(test_load_all),
                cmocka_unit_test(test_load_file),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
