/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for agentctl's pure parts: JSON output, argument parsing (run
 * options into RunAgent properties), signal names, formatting, the process
 * tree and the exit codes of failed calls. */

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent-schema.h"
#include "ctl-args.h"
#include "ctl-format.h"
#include "ctl-table.h"
#include "json.h"
#include "monitor-event.h"
#include "props.h"

/* Captures what fn writes to a FILE into a string the caller frees. */
#define CAPTURE(var, f, ...)                                           \
        do {                                                           \
                size_t _size;                                          \
                FILE *f = open_memstream(&(var), &_size);              \
                assert_non_null(f);                                    \
                __VA_ARGS__;                                           \
                assert_int_equal(fclose(f), 0);                        \
        } while (0)

static void check_escape(const char *in, const char *expected) {
        char *out = NULL;

        CAPTURE(out, f, json_escape(f, in));
        if (strcmp(out, expected) != 0)
                fail_msg("json_escape(\"%s\") gave %s, expected %s", in, out, expected);
        free(out);
}

static void test_json_escape(void **state) {
        check_escape("plain", "\"plain\"");
        check_escape("a\"b\\c", "\"a\\\"b\\\\c\"");
        check_escape("l1\nl2\tx\r\b\f", "\"l1\\nl2\\tx\\r\\b\\f\"");
        check_escape("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
        /* Valid UTF-8 passes through unchanged. */
        check_escape("grüße € 😀", "\"grüße € 😀\"");
        /* Bytes from /proc that are not UTF-8 must not break the document. */
        check_escape("a\xff" "b", "\"a\\ufffdb\"");
        check_escape("\xc0\x80", "\"\\ufffd\\ufffd\"");           /* overlong NUL */
        check_escape("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
        check_escape("\xe2\x82", "\"\\ufffd\\ufffd\"");           /* truncated */
        check_escape("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
}

static void test_json_writer(void **state) {
        char *out = NULL;

        CAPTURE(out, f, {
                JsonWriter w;
                json_writer_init(&w, f);
                json_begin_object(&w);
                json_key(&w, "name");
                json_string(&w, "a");
                json_key(&w, "list");
                json_begin_array(&w);
                json_uint(&w, 1);
                json_int(&w, -2);
                json_begin_object(&w);
                json_end_object(&w);
                json_begin_array(&w);
                json_end_array(&w);
                json_end_array(&w);
                json_key(&w, "ok");
                json_bool(&w, true);
                json_key(&w, "none");
                json_null(&w);
                json_key(&w, "nullstr");
                json_string(&w, NULL);
                json_end_object(&w);
        });
        assert_string_equal(out, "{\"name\":\"a\",\"list\":[1,-2,{},[]],\"ok\":true,\"none\":null,\"nullstr\":null}");
        free(out);
}

static void test_json_key_from_property(void **state) {
        static const struct {
                const char *property, *key;
        } cases[] = {
                { "Name", "name" },
                { "MainPID", "main_pid" },
                { "InvocationID", "invocation_id" },
                { "CPUUsageNSec", "cpu_usage_nsec" },
                { "ExitCPUUsageNSec", "exit_cpu_usage_nsec" },
                { "RestartWindowUSec", "restart_window_usec" },
                { "CPUQuotaPerSecUSec", "cpu_quota_per_sec_usec" },
                { "NAgents", "n_agents" },
                { "OOMKills", "oom_kills" },
                { "ExitKilledBy", "exit_killed_by" },
                { "RestartTimesUSec", "restart_times_usec" },
                { "HealthCheckFailures", "health_check_failures" },
                { "ControlGroup", "control_group" },
                { "MemoryMax", "memory_max" },
        };
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(json_key_from_property(cases[i].property, buf, sizeof(buf)), 0);
                if (strcmp(buf, cases[i].key) != 0)
                        fail_msg("%s became key '%s', expected '%s'", cases[i].property, buf, cases[i].key);
        }
        assert_int_equal(json_key_from_property("VeryLongPropertyName", buf, 8), -ENOBUFS);
}

static void test_prop_list_json(void **state) {
        _cleanup_(prop_list_done) PropList l = {};
        static const uint8_t id[4] = { 0x01, 0xab, 0x00, 0xff };
        static const uint64_t times[2] = { 5, 7 };
        char *strv[] = { (char *) "a", (char *) "b", NULL };
        char *out = NULL;

        assert_int_equal(prop_list_add_string(&l, "State", "running"), 0);
        assert_int_equal(prop_list_add_uint64(&l, "MemoryMax", UINT64_MAX), 0);
        assert_int_equal(prop_list_add_uint64(&l, "TasksMax", 64), 0);
        assert_int_equal(prop_list_add_uint32(&l, "MainPID", 42), 0);
        assert_int_equal(prop_list_add_int32(&l, "ExitStatus", -1), 0);
        assert_int_equal(prop_list_add_bool(&l, "Escalated", false), 0);
        assert_int_equal(prop_list_add_bytes(&l, "InvocationID", id, sizeof(id)), 0);
        assert_int_equal(prop_list_add_strv(&l, "ExecStart", strv), 0);
        assert_int_equal(prop_list_add_uint64_array(&l, "RestartTimesUSec", times, 2), 0);
        assert_int_equal(prop_list_add_uint32(&l, "UID", UINT32_MAX), 0);

        CAPTURE(out, f, {
                JsonWriter w;
                json_writer_init(&w, f);
                json_begin_object(&w);
                prop_list_json(&l, &w);
                json_end_object(&w);
        });
        assert_string_equal(out, "{\"state\":\"running\",\"memory_max\":null,\"tasks_max\":64,\"main_pid\":42,"
                                 "\"exit_status\":-1,\"escalated\":false,\"invocation_id\":\"01ab00ff\","
                                 "\"exec_start\":[\"a\",\"b\"],\"restart_times_usec\":[5,7],\"uid\":null}");
        free(out);

        /* The typed getters fall back on a missing or mistyped property. */
        assert_int_equal(prop_list_get_uint64(&l, "MainPID", 0), 42);
        assert_int_equal(prop_list_get_uint64(&l, "State", 9), 9);
        assert_int_equal(prop_list_get_int(&l, "ExitStatus", 0), -1);
        assert_string_equal(prop_list_get_string(&l, "Nope", "dflt"), "dflt");
}

static void test_signal_from_string(void **state) {
        assert_int_equal(signal_from_string("TERM"), SIGTERM);
        assert_int_equal(signal_from_string("SIGTERM"), SIGTERM);
        assert_int_equal(signal_from_string("sigkill"), SIGKILL);
        assert_int_equal(signal_from_string("hup"), SIGHUP);
        assert_int_equal(signal_from_string("9"), SIGKILL);
        assert_int_equal(signal_from_string("USR1"), SIGUSR1);
        assert_int_equal(signal_from_string("0"), -EINVAL);
        assert_int_equal(signal_from_string("65"), -EINVAL);
        assert_int_equal(signal_from_string("-1"), -EINVAL);
        assert_int_equal(signal_from_string("FOO"), -EINVAL);
        assert_int_equal(signal_from_string("SIG"), -EINVAL);
        assert_int_equal(signal_from_string(""), -EINVAL);
}

/* Parses a NULL-terminated argv, failing the test with the parser's message
 * when the result differs from `expected`. */
static int parse(CtlArgs *a, char *err, int expected, const char *first, ...) {
        char *argv[64];
        int argc = 0, r;
        va_list ap;

        argv[argc++] = (char *) "agentctl";
        va_start(ap, first);
        for (const char *s = first; s && argc < 63; s = va_arg(ap, const char *))
                argv[argc++] = (char *) s;
        va_end(ap);
        argv[argc] = NULL;

        err[0] = '\0';
        r = ctl_args_parse(argc, argv, a, err, 256);
        if ((r < 0) != (expected < 0))
                fail_msg("parsing '%s ...' returned %d (%s), expected %d", first, r, err, expected);
        return r;
}

static void test_parse_run(void **state) {
        CtlArgs a;
        char err[256];
        const Prop *p;

        parse(&a, err, 0, "run", "--name", "job1", "--policy", "strict", "--memory-max", "64M", "--tasks-max", "10",
              "--runtime-max", "1min 30s", "--cpu-quota", "50%", "-E", "A=1", "--setenv", "B=x=y", "--user",
              "nobody", "--supervisor", "workers", "--restart", "permanent", "--service-type", "notify",
              "--watchdog", "500ms", "--", "/bin/sleep", "--flag", "10", NULL);
        assert_int_equal(a.verb, VERB_RUN);
        assert_int_equal(a.bus_kind, BUS_DEFAULT);
        assert_string_equal(a.name, "job1");
        assert_int_equal(strv_length(a.command), 3);
        assert_string_equal(a.command[1], "--flag");

        assert_string_equal(prop_list_get_string(&a.properties, "Policy", ""), "strict");
        p = prop_list_get(&a.properties, "MemoryMax");
        assert_non_null(p);
        assert_int_equal(p->type, PROP_UINT64);
        assert_int_equal(p->u64, 64ULL << 20);
        assert_int_equal(prop_list_get(&a.properties, "TasksMax")->type, PROP_UINT64);
        assert_int_equal(prop_list_get_uint64(&a.properties, "TasksMax", 0), 10);
        assert_int_equal(prop_list_get_uint64(&a.properties, "RuntimeMaxUSec", 0), 90 * USEC_PER_SEC);
        assert_int_equal(prop_list_get_uint64(&a.properties, "CPUQuotaPerSecUSec", 0), 500 * USEC_PER_MSEC);
        assert_int_equal(prop_list_get_uint64(&a.properties, "WatchdogUSec", 0), 500 * USEC_PER_MSEC);
        assert_string_equal(prop_list_get_string(&a.properties, "User", ""), "nobody");
        assert_string_equal(prop_list_get_string(&a.properties, "Supervisor", ""), "workers");
        assert_string_equal(prop_list_get_string(&a.properties, "Restart", ""), "permanent");
        assert_string_equal(prop_list_get_string(&a.properties, "Type", ""), "notify");
        p = prop_list_get(&a.properties, "Environment");
        assert_non_null(p);
        assert_int_equal(p->type, PROP_STRV);
        assert_int_equal(strv_length(p->strv), 2);
        assert_string_equal(p->strv[0], "A=1");
        assert_string_equal(p->strv[1], "B=x=y");
        ctl_args_done(&a);

        /* Before the verb --user is the bus; after `run` it is the agent's user. */
        parse(&a, err, 0, "--user", "run", "--user", "daemon", "--", "true", NULL);
        assert_int_equal(a.bus_kind, BUS_USER);
        assert_string_equal(prop_list_get_string(&a.properties, "User", ""), "daemon");
        assert_null(a.name);
        ctl_args_done(&a);

        /* "infinity" limits are sent as UINT64_MAX. */
        parse(&a, err, 0, "run", "--memory-max", "infinity", "--tasks-max", "infinity", "--", "true", NULL);
        assert_true(prop_list_get_uint64(&a.properties, "MemoryMax", 0) == UINT64_MAX);
        assert_true(prop_list_get_uint64(&a.properties, "TasksMax", 0) == UINT64_MAX);
        ctl_args_done(&a);

        /* Without "--" the words after the verb are the command. */
        parse(&a, err, 0, "run", "--name", "x", "/bin/true", NULL);
        assert_int_equal(strv_length(a.command), 1);
        assert_string_equal(a.command[0], "/bin/true");
        ctl_args_done(&a);
}

static void test_parse_run_errors(void **state) {
        CtlArgs a;
        char err[256];

        parse(&a, err, -EINVAL, "run", "--memory-max", "lots", "--", "true", NULL);
        assert_non_null(strstr(err, "--memory-max"));
        parse(&a, err, -EINVAL, "run", "--tasks-max", "0", "--", "true", NULL);
        parse(&a, err, -EINVAL, "run", "--runtime-max", "soon", "--", "true", NULL);
        parse(&a, err, -EINVAL, "run", "--restart", "sometimes", "--", "true", NULL);
        assert_non_null(strstr(err, "sometimes"));
        parse(&a, err, -EINVAL, "run", "--setenv", "NOEQUALS", "--", "true", NULL);
        parse(&a, err, -EINVAL, "run", "--setenv", "=v", "--", "true", NULL);
        parse(&a, err, -EINVAL, "run", "--name", "bad/name", "--", "true", NULL);
        parse(&a, err, -EINVAL, "run", "--working-directory", "relative", "--", "true", NULL);
        parse(&a, err, -EINVAL, "run", "--name", "x", NULL);
        assert_non_null(strstr(err, "usage"));
        parse(&a, err, -EINVAL, "run", "--bogus", "--", "true", NULL);
        assert_non_null(strstr(err, "--bogus"));
        parse(&a, err, -EINVAL, "run", "--name", NULL);
        assert_non_null(strstr(err, "needs an argument"));
}

/* -p KEY=VALUE: any RunAgent property, found in the daemon's schema by its
 * RunAgent or agents.d name and parsed as agents.d parses it. */
static void test_parse_run_properties(void **state) {
        CtlArgs a;
        char err[256];
        const Prop *p;

        parse(&a, err, 0, "run", "-p", "MemoryMax=512M", "--property", "RuntimeMaxSec=10s", "-p",
              "RuntimeMaxUSec=1min", "-p", "CPUQuota=25%", "-p", "WatchdogSec=0", "-p", "Restart=transient",
              "-p", "Environment=A=1 \"B=2 3\"", "-E", "C=4", "-p", "Type=notify", "--sandbox", "strict",
              "--", "/bin/true", NULL);
        p = prop_list_get(&a.properties, "MemoryMax");
        assert_non_null(p);
        assert_int_equal(p->type, PROP_UINT64);
        assert_int_equal(p->u64, 512ULL << 20);
        /* Both names are one property; the last -p wins. */
        assert_int_equal(prop_list_get_uint64(&a.properties, "RuntimeMaxUSec", 0), 60 * USEC_PER_SEC);
        assert_null(prop_list_get(&a.properties, "RuntimeMaxSec"));
        size_t runtime = 0;
        for (size_t i = 0; i < a.properties.n; i++)
                runtime += strcmp(a.properties.items[i].name, "RuntimeMaxUSec") == 0;
        assert_int_equal(runtime, 1);
        assert_int_equal(prop_list_get_uint64(&a.properties, "CPUQuotaPerSecUSec", 0), 250 * USEC_PER_MSEC);
        /* WatchdogSec=0 is none: UINT64_MAX on the bus, which the daemon takes. */
        assert_true(prop_list_get_uint64(&a.properties, "WatchdogUSec", 0) == UINT64_MAX);
        assert_string_equal(prop_list_get_string(&a.properties, "Restart", ""), "transient");
        assert_string_equal(prop_list_get_string(&a.properties, "Type", ""), "notify");
        assert_string_equal(prop_list_get_string(&a.properties, "Sandbox", ""), "strict");
        p = prop_list_get(&a.properties, "Environment");
        assert_non_null(p);
        assert_int_equal(p->type, PROP_STRV);
        assert_int_equal(strv_length(p->strv), 3);
        assert_string_equal(p->strv[0], "A=1");
        assert_string_equal(p->strv[1], "B=2 3");
        assert_string_equal(p->strv[2], "C=4");
        ctl_args_done(&a);

        /* An empty list value starts the list afresh. */
        parse(&a, err, 0, "run", "-E", "A=1", "-p", "Environment=", "-p", "Environment=B=2", "--", "/bin/true", NULL);
        p = prop_list_get(&a.properties, "Environment");
        assert_non_null(p);
        assert_int_equal(strv_length(p->strv), 1);
        assert_string_equal(p->strv[0], "B=2");
        ctl_args_done(&a);

        /* An option and -p of one property are one property, in either order. */
        parse(&a, err, 0, "run", "-p", "MemoryMax=1G", "--memory-max", "2G", "--runtime-max", "1s", "-p",
              "RuntimeMaxSec=2s", "--", "/bin/true", NULL);
        assert_int_equal(a.properties.n, 2);
        assert_int_equal(prop_list_get_uint64(&a.properties, "MemoryMax", 0), 2ULL << 30);
        assert_int_equal(prop_list_get_uint64(&a.properties, "RuntimeMaxUSec", 0), 2 * USEC_PER_SEC);
        ctl_args_done(&a);

        /* --sandbox and -p Sandbox= are one property. */
        parse(&a, err, 0, "run", "--sandbox", "none", "--sandbox", "standard", "--", "/bin/true", NULL);
        assert_string_equal(prop_list_get_string(&a.properties, "Sandbox", ""), "standard");
        assert_int_equal(a.properties.n, 1);
        ctl_args_done(&a);
}

/* The isolation keys of the schema (once the daemon has them): yes/no keys
 * are sent as b, word keys as s, path lists as as. */
static void test_parse_run_isolation_properties(void **state) {
        CtlArgs a;
        char err[256];

        if (!agent_key_from_option("PrivateNetwork") || !agent_key_from_option("ReadOnlyPaths"))
                skip();

        parse(&a, err, 0, "run", "-p", "PrivateNetwork=yes", "-p", "PrivateTmp=0", "-p", "ProtectSystem=strict",
              "-p", "ReadOnlyPaths=/etc /usr", "-p", "ReadOnlyPaths=/opt", "--", "/bin/true", NULL);
        assert_int_equal(prop_list_get(&a.properties, "PrivateNetwork")->type, PROP_BOOL);
        assert_true(prop_list_get_bool(&a.properties, "PrivateNetwork", false));
        assert_false(prop_list_get_bool(&a.properties, "PrivateTmp", true));
        assert_string_equal(prop_list_get_string(&a.properties, "ProtectSystem", ""), "strict");
        assert_int_equal(strv_length(prop_list_get(&a.properties, "ReadOnlyPaths")->strv), 3);
        ctl_args_done(&a);

        parse(&a, err, -EINVAL, "run", "-p", "PrivateNetwork=maybe", "--", "/bin/true", NULL);
        assert_non_null(strstr(err, "PrivateNetwork=maybe"));
}

static void test_parse_run_property_errors(void **state) {
        CtlArgs a;
        char err[256];

        parse(&a, err, -EINVAL, "run", "-p", "NoSuchKey=1", "--", "/bin/true", NULL);
        assert_non_null(strstr(err, "unknown property 'NoSuchKey'"));
        /* The error lists what -p takes, from the schema. */
        assert_non_null(strstr(err, "MemoryMax"));
        parse(&a, err, -EINVAL, "run", "-p", "HealthCheck=/bin/true", "--", "/bin/true", NULL);
        assert_non_null(strstr(err, "not a RunAgent property"));
        parse(&a, err, -EINVAL, "run", "-p", "Arguments=x", "--", "/bin/true", NULL);
        assert_non_null(strstr(err, "not a RunAgent property"));
        parse(&a, err, -EINVAL, "run", "-p", "MemoryMax", "--", "/bin/true", NULL);
        assert_non_null(strstr(err, "expected KEY=VALUE"));
        parse(&a, err, -EINVAL, "run", "-p", "=1", "--", "/bin/true", NULL);
        assert_non_null(strstr(err, "expected KEY=VALUE"));
        parse(&a, err, -EINVAL, "run", "-p", "MemoryMax=lots", "--", "/bin/true", NULL);
        assert_string_equal(err, "-p MemoryMax=lots is invalid: expected a size of 4M or more such as 512M, or infinity");
        /* Under its RunAgent name, the error says what was written too. */
        parse(&a, err, -EINVAL, "run", "-p", "RuntimeMaxUSec=soon", "--", "/bin/true", NULL);
        assert_non_null(strstr(err, "-p RuntimeMaxUSec=soon: RuntimeMaxSec=soon is invalid"));
        parse(&a, err, -EINVAL, "run", "-p", "Restart=sometimes", "--", "/bin/true", NULL);
        assert_non_null(strstr(err, "permanent, transient or temporary"));
        parse(&a, err, -EINVAL, "run", "-p", "User=", "--", "/bin/true", NULL);
        assert_non_null(strstr(err, "needs a value"));
        parse(&a, err, -EINVAL, "run", "-p", "Environment=NOEQUALS", "--", "/bin/true", NULL);
        assert_non_null(strstr(err, "NOEQUALS"));
        parse(&a, err, -EINVAL, "run", "--sandbox", "paranoid", "--", "/bin/true", NULL);
        assert_non_null(strstr(err, "none, standard or strict"));
        /* -p is run's alone. */
        parse(&a, err, -EINVAL, "status", "-p", "MemoryMax=1G", NULL);
}

static void test_parse_verbs(void **state) {
        CtlArgs a;
        char err[256];

        parse(&a, err, 0, NULL);
        assert_int_equal(a.verb, _VERB_INVALID);
        ctl_args_done(&a);

        parse(&a, err, 0, "--address", "unix:path=/x", "--json", "list", NULL);
        assert_int_equal(a.bus_kind, BUS_ADDRESS);
        assert_string_equal(a.address, "unix:path=/x");
        assert_true(a.json);
        assert_int_equal(a.verb, VERB_LIST);
        ctl_args_done(&a);

        /* Output options work after the verb too. */
        parse(&a, err, 0, "status", "web", "--json", "--no-pager", NULL);
        assert_int_equal(a.verb, VERB_STATUS);
        assert_true(a.json);
        assert_true(a.no_pager);
        assert_string_equal(a.positional[0], "web");
        ctl_args_done(&a);

        parse(&a, err, 0, "kill", "-s", "KILL", "a", "b", NULL);
        assert_int_equal(a.signal, SIGKILL);
        assert_int_equal(strv_length(a.positional), 2);
        ctl_args_done(&a);

        parse(&a, err, 0, "kill", "web", NULL);
        assert_int_equal(a.signal, SIGTERM);
        ctl_args_done(&a);

        parse(&a, err, 0, "start", "worker", "w1", "--", "--extra", "arg", NULL);
        assert_int_equal(a.verb, VERB_START);
        assert_int_equal(strv_length(a.positional), 2);
        assert_int_equal(strv_length(a.command), 2);
        assert_string_equal(a.command[0], "--extra");
        ctl_args_done(&a);

        /* --help is fine without the verb's arguments. */
        parse(&a, err, 0, "stop", "--help", NULL);
        assert_true(a.help);
        assert_int_equal(a.verb, VERB_STOP);
        ctl_args_done(&a);

        parse(&a, err, 0, "policy", "check", "x.policy", "--policy-path", "/a:/b", NULL);
        assert_string_equal(a.policy_path, "/a:/b");
        ctl_args_done(&a);

        parse(&a, err, -EINVAL, "frobnicate", NULL);
        assert_non_null(strstr(err, "frobnicate"));
        parse(&a, err, -EINVAL, "stop", NULL);
        assert_non_null(strstr(err, "usage: agentctl stop"));
        parse(&a, err, -EINVAL, "stop", "a", "--", "b", NULL);
        parse(&a, err, -EINVAL, "list", "extra", NULL);
        parse(&a, err, -EINVAL, "status", "a", "b", NULL);
        parse(&a, err, -EINVAL, "start", NULL);
        parse(&a, err, -EINVAL, "kill", "-s", "NOPE", "a", NULL);
        assert_non_null(strstr(err, "NOPE"));
        parse(&a, err, -EINVAL, "list", "--memory-max", "1M", NULL);
        parse(&a, err, -EINVAL, "policy", "frob", "x", NULL);
        parse(&a, err, -EINVAL, "__complete", "everything", NULL);
        parse(&a, err, -EINVAL, "--", "x", NULL);
}

static void test_format_uptime(void **state) {
        static const struct {
                usec_t t;
                const char *s;
        } cases[] = {
                { 0, "0" },
                { 999, "0" },
                { 350 * USEC_PER_MSEC, "350ms" },
                { 42 * USEC_PER_SEC + 999, "42s" },
                { 303 * USEC_PER_SEC, "5min 3s" },
                { 3600 * USEC_PER_SEC, "1h" },
                { (2 * 3600 + 5 * 60 + 59) * USEC_PER_SEC, "2h 5min" },
                { (3 * 86400 + 4 * 3600 + 1) * USEC_PER_SEC, "3d 4h" },
                { USEC_INFINITY, "infinity" },
        };
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ctl_format_uptime(buf, sizeof(buf), cases[i].t);
                if (strcmp(buf, cases[i].s) != 0)
                        fail_msg("uptime %llu us shown as '%s', expected '%s'", (unsigned long long) cases[i].t,
                                 buf, cases[i].s);
        }
}

static void test_format_usage_and_exit(void **state) {
        char buf[128];

        assert_string_equal(ctl_format_usage(buf, sizeof(buf), 12ULL << 20, 64ULL << 20, true), "12.0M (max 64.0M)");
        assert_string_equal(ctl_format_usage(buf, sizeof(buf), 1536, UINT64_MAX, true), "1.5K");
        assert_string_equal(ctl_format_usage(buf, sizeof(buf), UINT64_MAX, 64ULL << 20, true), "n/a (max 64.0M)");
        assert_string_equal(ctl_format_usage(buf, sizeof(buf), 3, 64, false), "3 (limit 64)");
        assert_string_equal(ctl_format_usage(buf, sizeof(buf), 3, UINT64_MAX, false), "3");

        assert_string_equal(ctl_format_exit(buf, sizeof(buf), "exited", 1, ""), "exited, status 1");
        assert_string_equal(ctl_format_exit(buf, sizeof(buf), "signal", SIGKILL, "daemon"),
                            "signal SIGKILL (killed by daemon)");
        assert_string_equal(ctl_format_exit(buf, sizeof(buf), "seccomp", SIGSYS, "policy"),
                            "seccomp, signal SIGSYS (killed by policy)");
        assert_string_equal(ctl_format_exit(buf, sizeof(buf), "oom", 0, "kernel"), "oom (killed by kernel)");
        assert_string_equal(ctl_format_exit(buf, sizeof(buf), "spawn-failed", ENOENT, NULL), "spawn-failed, ENOENT");
        assert_string_equal(ctl_format_exit(buf, sizeof(buf), "", 0, NULL), "none");

        {
                static const uint8_t id[16] = { 0xde, 0xad, 0xbe, 0xef, [15] = 0x01 };
                char hex[33];

                assert_string_equal(ctl_format_hex(hex, sizeof(hex), id, 16), "deadbeef000000000000000000000001");
        }
}

/* agentctl status's Sandbox line, from the Agent's properties and the
 * Manager's Features. */
static void check_sandbox(const PropList *l, char * const *features, const char *expected) {
        char buf[512];
        const char *got = ctl_format_sandbox(buf, sizeof(buf), l, features);

        if (!expected) {
                if (got)
                        fail_msg("expected no Sandbox line, got \"%s\"", got);
                return;
        }
        if (!got || strcmp(got, expected) != 0)
                fail_msg("Sandbox line:\n  got      \"%s\"\n  expected \"%s\"", got ?: "(null)", expected);
}

static void test_format_sandbox(void **state) {
        static const char * const keys[] = { "PrivateTmp", "PrivateDevices", "PrivateIPC", "PrivateNetwork",
                                             "PrivatePIDs", "PrivateUsers", "Landlock" };
        char *features[] = { (char *) "cgroup2", (char *) "landlock=7", (char *) "userns", NULL };
        _cleanup_(prop_list_done) PropList l = {};

        /* A daemon without isolation: no line at all. */
        assert_int_equal(prop_list_add_string(&l, "User", "nobody"), 0);
        check_sandbox(&l, features, NULL);
        prop_list_done(&l);

        /* Only the preset exposed: the rest is the SPEC's table, said to be so. */
        assert_int_equal(prop_list_add_string(&l, "Sandbox", "strict"), 0);
        assert_int_equal(prop_list_add_string(&l, "User", "dynamic"), 0);
        assert_int_equal(prop_list_add_uint32(&l, "UID", 61213), 0);
        check_sandbox(&l, features,
                      "strict (dynamic uid 61213; preset: private tmp/dev/net/ipc/pids, ro system, no home, "
                      "proc invisible, proc subset pid, landlock v7)");
        prop_list_done(&l);

        /* none, every key exposed. */
        assert_int_equal(prop_list_add_string(&l, "Sandbox", "none"), 0);
        assert_int_equal(prop_list_add_string(&l, "User", "nobody"), 0);
        assert_int_equal(prop_list_add_uint32(&l, "UID", 65534), 0);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                assert_int_equal(prop_list_add_bool(&l, keys[i], false), 0);
        assert_int_equal(prop_list_add_string(&l, "ProtectSystem", "no"), 0);
        assert_int_equal(prop_list_add_string(&l, "ProtectHome", "no"), 0);
        assert_int_equal(prop_list_add_string(&l, "ProtectProc", "default"), 0);
        assert_int_equal(prop_list_add_string(&l, "ProcSubset", "all"), 0);
        check_sandbox(&l, features, "none (user nobody (uid 65534))");
        prop_list_done(&l);

        /* standard from the table; a dynamic user whose uid is not known yet. */
        assert_int_equal(prop_list_add_string(&l, "Sandbox", "standard"), 0);
        assert_int_equal(prop_list_add_string(&l, "User", "dynamic"), 0);
        check_sandbox(&l, NULL,
                      "standard (dynamic user; preset: private tmp/dev/ipc, ro /usr /boot /etc, ro home, "
                      "proc invisible)");
        prop_list_done(&l);

        /* Overrides as the daemon exposes them win over the preset: strict
         * with the network back and Landlock off, host root kept. */
        assert_int_equal(prop_list_add_string(&l, "Sandbox", "strict"), 0);
        assert_int_equal(prop_list_add_string(&l, "User", "root"), 0);
        assert_int_equal(prop_list_add_uint32(&l, "UID", 0), 0);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                assert_int_equal(prop_list_add_bool(&l, keys[i], !STR_IN_SET(keys[i], "PrivateNetwork", "Landlock",
                                                                              "PrivateUsers")), 0);
        assert_int_equal(prop_list_add_string(&l, "ProtectSystem", "yes"), 0);
        assert_int_equal(prop_list_add_string(&l, "ProtectHome", "tmpfs"), 0);
        assert_int_equal(prop_list_add_string(&l, "ProtectProc", "invisible"), 0);
        assert_int_equal(prop_list_add_string(&l, "ProcSubset", "all"), 0);
        check_sandbox(&l, features,
                      "strict (host root, private tmp/dev/ipc/pids, ro /usr /boot, empty home, proc invisible)");
        prop_list_done(&l);

        /* root in a user namespace, mapped to a dynamic uid; Landlock on a
         * daemon that does not say its ABI. */
        assert_int_equal(prop_list_add_string(&l, "Sandbox", "strict"), 0);
        assert_int_equal(prop_list_add_string(&l, "User", "root"), 0);
        assert_int_equal(prop_list_add_uint32(&l, "UID", 61300), 0);
        assert_int_equal(prop_list_add_bool(&l, "PrivateUsers", true), 0);
        check_sandbox(&l, NULL,
                      "strict (root in a user namespace, host uid 61300; preset: private tmp/dev/net/ipc/pids, "
                      "ro system, no home, proc invisible, proc subset pid, landlock)");
        prop_list_done(&l);

        /* The daemon's SandboxKeys (effective values) win over the preset
         * table: strict with the network and /tmp back, Landlock off; the
         * uid not set yet (UINT32_MAX before the first start) is "-". */
        {
                char *effective[] = { (char *) "PrivateTmp=no", (char *) "ProtectSystem=strict",
                                      (char *) "ProtectHome=yes", (char *) "PrivateDevices=yes",
                                      (char *) "ProtectProc=invisible", (char *) "ProcSubset=pid",
                                      (char *) "PrivateIPC=yes", (char *) "PrivateNetwork=no",
                                      (char *) "PrivatePIDs=yes", (char *) "PrivateUsers=yes",
                                      (char *) "Landlock=no", NULL };

                assert_int_equal(prop_list_add_string(&l, "Sandbox", "strict"), 0);
                assert_int_equal(prop_list_add_string(&l, "User", "dynamic"), 0);
                assert_int_equal(prop_list_add_uint32(&l, "UID", UINT32_MAX), 0);
                assert_int_equal(prop_list_add_strv(&l, "SandboxKeys", effective), 0);
                check_sandbox(&l, features,
                              "strict (dynamic uid -, private dev/ipc/pids, ro system, no home, proc invisible, "
                              "proc subset pid)");
                prop_list_done(&l);
                assert_int_equal(prop_list_add_string(&l, "Sandbox", "none"), 0);
                assert_int_equal(prop_list_add_string(&l, "User", "nobody"), 0);
                assert_int_equal(prop_list_add_uint32(&l, "UID", UINT32_MAX), 0);
                check_sandbox(&l, NULL, "none (user nobody (uid -))");
                prop_list_done(&l);
        }
}

static void test_state_color(void **state) {
        assert_string_equal(ctl_state_color("running", "healthy"), ANSI_GREEN);
        assert_string_equal(ctl_state_color("running", "unhealthy"), ANSI_RED);
        assert_string_equal(ctl_state_color("failed", "unknown"), ANSI_RED);
        assert_string_equal(ctl_state_color("restarting", NULL), ANSI_YELLOW);
        assert_string_equal(ctl_state_color("exited", NULL), ANSI_WHITE);
}

static void test_proc_tree(void **state) {
        /* A shell with a pipeline and a grandchild, plus a process whose
         * parent lives outside the cgroup (a second root). */
        ProcEntry procs[] = {
                { 120, 100, (char *) "sleep 100" },
                { 101, 1, (char *) "/bin/sh -c worker" },
                { 110, 101, (char *) "worker --flag" },
                { 111, 110, (char *) "helper" },
                { 105, 101, (char *) "logger" },
        };
        char *out = NULL;

        CAPTURE(out, f, assert_int_equal(proc_tree_render(procs, ELEMENTSOF(procs), "  ", 0, f), 0));
        assert_string_equal(out,
                            "  ├─101 /bin/sh -c worker\n"
                            "  │ ├─105 logger\n"
                            "  │ └─110 worker --flag\n"
                            "  │   └─111 helper\n"
                            "  └─120 sleep 100\n");
        free(out);

        /* A parent loop in a racy snapshot still shows every process once. */
        ProcEntry loop[] = { { 7, 8, (char *) "a" }, { 8, 7, (char *) "b" } };
        CAPTURE(out, f, assert_int_equal(proc_tree_render(loop, 2, "", 0, f), 0));
        assert_string_equal(out, "├─7 a\n│ └─8 b\n");
        free(out);

        /* Lines are cut to the width, never inside a UTF-8 character. */
        ProcEntry wide[] = { { 5, 1, (char *) "ééééé" } };
        CAPTURE(out, f, assert_int_equal(proc_tree_render(wide, 1, "", 5, f), 0));
        assert_string_equal(out, "└─5 é\n");
        free(out);

        CAPTURE(out, f, assert_int_equal(proc_tree_render(NULL, 0, "", 0, f), 0));
        assert_string_equal(out, "");
        free(out);
}

static void test_exit_codes(void **state) {
        assert_int_equal(ctl_exit_code_for_error("org.agentvisor1.Error.NoSuchAgent", EIO), CTL_EXIT_NOT_FOUND);
        assert_int_equal(ctl_exit_code_for_error("org.agentvisor1.Error.NoSuchType", EIO), CTL_EXIT_NOT_FOUND);
        assert_int_equal(ctl_exit_code_for_error("org.agentvisor1.Error.NoSuchSupervisor", EIO), CTL_EXIT_NOT_FOUND);
        assert_int_equal(ctl_exit_code_for_error("org.agentvisor1.Error.AlreadyExists", EIO), CTL_EXIT_FAILURE);
        assert_int_equal(ctl_exit_code_for_error("org.freedesktop.DBus.Error.AccessDenied", EACCES), CTL_EXIT_FAILURE);
        assert_int_equal(ctl_exit_code_for_error("org.freedesktop.DBus.Error.ServiceUnknown", EHOSTDOWN),
                         CTL_EXIT_UNREACHABLE);
        assert_int_equal(ctl_exit_code_for_error(NULL, ECONNREFUSED), CTL_EXIT_UNREACHABLE);
        assert_int_equal(ctl_exit_code_for_error(NULL, ENOENT), CTL_EXIT_UNREACHABLE);
        assert_int_equal(ctl_exit_code_for_error(NULL, EINVAL), CTL_EXIT_FAILURE);
}

static void test_table(void **state) {
        static const char * const headers[] = { "NAME", "STATE", "PID" };
        Table *t = table_new(3, headers);
        char *out = NULL;

        assert_non_null(t);
        assert_int_equal(table_add(t, "web-long-name", NULL), 0);
        assert_int_equal(table_add(t, "running", ANSI_GREEN), 0);
        assert_int_equal(table_addf(t, NULL, "%d", 42), 0);
        assert_int_equal(table_add(t, "ü", NULL), 0);
        assert_int_equal(table_add(t, "failed", ANSI_RED), 0);
        assert_int_equal(table_add(t, "-", NULL), 0);
        assert_int_equal(table_rows(t), 2);

        CAPTURE(out, f, table_print(t, false, f));
        assert_string_equal(out,
                            "NAME           STATE    PID\n"
                            "web-long-name  running  42\n"
                            "ü              failed   -\n");
        free(out);
        table_free(t);
        assert_null(table_new(TABLE_COLUMNS_MAX + 1, headers));
}

static void test_monitor_json(void **state) {
        MonitorEvent e = {
                .timestamp = 1700000000123456ULL,
                .signal = "AgentExited",
                .name = "crash\"er",
                .agent = "/org/agentvisor1/agent/crasher",
                .reason = "exited",
                .status = 3,
        };
        char *out = NULL;

        CAPTURE(out, f, monitor_event_print_json(&e, f));
        assert_string_equal(out, "{\"timestamp_usec\":1700000000123456,\"timestamp\":\"2023-11-14T22:13:20.123456Z\","
                                 "\"signal\":\"AgentExited\",\"name\":\"crash\\\"er\","
                                 "\"agent\":\"/org/agentvisor1/agent/crasher\",\"reason\":\"exited\",\"status\":3}\n");
        free(out);

        e = (MonitorEvent) { .timestamp = 1700000000000000ULL, .signal = "Escalated", .name = "workers",
                             .reason = "too many restarts" };
        CAPTURE(out, f, monitor_event_print_json(&e, f));
        assert_non_null(strstr(out, "\"supervisor\":\"workers\",\"reason\":\"too many restarts\"}"));
        free(out);

        setenv("TZ", "UTC", 1);
        e = (MonitorEvent) { .timestamp = 1700000000123456ULL, .signal = "AgentStarted", .name = "web",
                             .agent = "/x", .main_pid = 77 };
        CAPTURE(out, f, monitor_event_print(&e, f));
        assert_string_equal(out, "2023-11-14 22:13:20.123 AgentStarted web: started, main PID 77\n");
        free(out);

        static const uint64_t args[6] = { 3, 0x1f2, 0, 0, 0, 0 };
        e = (MonitorEvent) { .timestamp = 1700000000123456ULL, .signal = "PolicyViolation", .name = "web",
                             .agent = "/x", .syscall = "ptrace", .args = args, .n_args = 6,
                             .action = "errno EPERM" };
        CAPTURE(out, f, monitor_event_print(&e, f));
        assert_string_equal(out, "2023-11-14 22:13:20.123 PolicyViolation web: ptrace(0x3, 0x1f2, 0, 0, 0, 0) "
                                 "refused: errno EPERM\n");
        free(out);
        CAPTURE(out, f, monitor_event_print_json(&e, f));
        assert_non_null(strstr(out, "\"syscall\":\"ptrace\",\"args\":[3,498,0,0,0,0],\"action\":\"errno EPERM\"}"));
        free(out);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_escape),
                cmocka_unit_test(test_json_writer),
                cmocka_unit_test(test_json_key_from_property),
                cmocka_unit_test(test_prop_list_json),
                cmocka_unit_test(test_signal_from_string),
                cmocka_unit_test(test_parse_run),
                cmocka_unit_test(test_parse_run_errors),
                cmocka_unit_test(test_parse_run_properties),
                cmocka_unit_test(test_parse_run_isolation_properties),
                cmocka_unit_test(test_parse_run_property_errors),
                cmocka_unit_test(test_parse_verbs),
                cmocka_unit_test(test_format_uptime),
                cmocka_unit_test(test_format_usage_and_exit),
                cmocka_unit_test(test_format_sandbox),
                cmocka_unit_test(test_state_color),
                cmocka_unit_test(test_proc_tree),
                cmocka_unit_test(test_exit_codes),
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_monitor_json),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
