/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pins what the daemon asks of the kernel for a spec: the refusals of keys
 * the kernel cannot honour (each naming the key and what is missing), and
 * the Landlock rules that mirror the mount sandbox (strict: the tree
 * read-only, the private /tmp and /dev writable on the child's own mounts,
 * home directories inaccessible, the agent's lists and StateDirectory). No
 * kernel object is made. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent-sandbox.h"
#include "strv.h"

static const KernelFeatures everything = {
        .landlock_abi = 7, .userns = true, .netns = true, .pidns = true, .pidns_init = true, .ipcns = true, .mount_setattr = true,
};

static void refused(const AgentSpec *s, const KernelFeatures *f, const char *needle) {
        _cleanup_free_ char *m = NULL;

        assert_int_equal(sandbox_check_honourable(s, f, &m), -EOPNOTSUPP);
        if (!m || !strstr(m, needle))
                fail_msg("message \"%s\" does not say \"%s\"", m ?: "(null)", needle);
}

static void test_honourable(void **state) {
        _cleanup_free_ char *m = NULL;
        KernelFeatures f = everything;
        AgentSpec s;

        agent_spec_init(&s);
        s.sandbox.preset = SANDBOX_STRICT;
        assert_int_equal(sandbox_check_honourable(&s, &f, &m), 0);

        f.landlock_abi = 0;
        refused(&s, &f, "Landlock=yes needs Landlock, which this kernel does not offer");
        /* Without Landlock=yes, no Landlock is needed... */
        s.sandbox.keys[SANDBOX_KEY_LANDLOCK] = 0;
        assert_int_equal(sandbox_check_honourable(&s, &f, &m), 0);
        /* ...but a port list needs ABI 4. */
        assert_int_equal(strv_extend(&s.allow_tcp_connect, "443"), 0);
        refused(&s, &f, "AllowTCPConnect= needs Landlock ABI 4 (TCP port rules); this kernel has no Landlock");
        f.landlock_abi = 3;
        refused(&s, &f, "this kernel has ABI 3");
        f = everything;

        f.netns = false;
        refused(&s, &f, "PrivateNetwork=yes needs network namespaces");
        f = everything;
        f.pidns = false;
        refused(&s, &f, "PrivatePIDs=yes needs PID namespaces");
        f.pidns = true;
        f.pidns_init = false;
        refused(&s, &f, "PrivatePIDs=yes needs agentvisor-nsinit");
        f = everything;
        f.mount_setattr = false;
        refused(&s, &f, "Sandbox=strict needs mount_setattr()");
        f = everything;

        /* PrivateUsers= matters for User=root only. */
        f.userns = false;
        assert_int_equal(sandbox_check_honourable(&s, &f, &m), 0);
        s.user = strdup("root");
        refused(&s, &f, "PrivateUsers=yes (User=root) needs user namespaces");
        s.sandbox.keys[SANDBOX_KEY_PRIVATE_USERS] = 0;
        assert_int_equal(sandbox_check_honourable(&s, &f, &m), 0);

        /* Sandbox=none asks nothing of the kernel. */
        agent_spec_done(&s);
        agent_spec_init(&s);
        s.sandbox.preset = SANDBOX_NONE;
        assert_int_equal(sandbox_check_honourable(&s, &(KernelFeatures) {}, &m), 0);
        agent_spec_done(&s);
}

static const LandlockPath *find(const LandlockSpec *ls, const char *path) {
        for (size_t i = 0; i < ls->n_paths; i++)
                if (strcmp(ls->paths[i].path, path) == 0)
                        return &ls->paths[i];
        return NULL;
}

static void expect(const LandlockSpec *ls, const char *path, LandlockPathAccess access, bool child_mount) {
        const LandlockPath *p = find(ls, path);

        if (!p)
                fail_msg("no Landlock rule for %s", path);
        if (p->access != access || p->child_mount != child_mount)
                fail_msg("%s: access %d child_mount %d, expected %d %d", path, p->access, p->child_mount, access,
                         child_mount);
}

static void test_landlock_strict(void **state) {
        _cleanup_strv_free_ char **strings = NULL;
        _cleanup_free_ LandlockPath *paths = NULL;
        _cleanup_free_ uint16_t *ports = NULL;
        SandboxSettings st;
        LandlockSpec ls;
        AgentSpec s;

        agent_spec_init(&s);
        s.sandbox.preset = SANDBOX_STRICT;
        assert_int_equal(strv_extend(&s.read_write_paths, "-/srv/rw"), 0);
        assert_int_equal(strv_extend(&s.inaccessible_paths, "/srv/rw/secret"), 0);
        assert_int_equal(strv_extend(&s.bind_paths, "/tmp/in:/data"), 0);
        assert_int_equal(strv_extend(&s.allow_tcp_bind, "8080"), 0);
        sandbox_options_resolve(&s.sandbox, SANDBOX_NONE, &st);
        assert_int_equal(agent_sandbox_landlock_spec(&s, &st, "/var/lib/agentvisor/x", &ls, &paths, &strings, &ports),
                         0);
        assert_true(ls.filesystem);
        expect(&ls, "/", LANDLOCK_PATH_READ_ONLY, false);
        expect(&ls, "/tmp", LANDLOCK_PATH_READ_WRITE, true);
        expect(&ls, "/var/tmp", LANDLOCK_PATH_READ_WRITE, true);
        expect(&ls, "/dev", LANDLOCK_PATH_READ_WRITE, true);
        /* ProcSubset=pid: the child mounts its own procfs. */
        expect(&ls, "/proc", LANDLOCK_PATH_READ_WRITE, true);
        expect(&ls, "/home", LANDLOCK_PATH_INACCESSIBLE, false);
        expect(&ls, "/root", LANDLOCK_PATH_INACCESSIBLE, false);
        expect(&ls, "/srv/rw", LANDLOCK_PATH_READ_WRITE, false);
        assert_true(find(&ls, "/srv/rw")->optional);
        expect(&ls, "/srv/rw/secret", LANDLOCK_PATH_INACCESSIBLE, false);
        /* A bind's rule is on its source. */
        expect(&ls, "/tmp/in", LANDLOCK_PATH_READ_WRITE, false);
        assert_true(find(&ls, "/tmp/in")->bind_source);
        assert_false(find(&ls, "/srv/rw")->bind_source);
        assert_null(find(&ls, "/data"));
        expect(&ls, "/var/lib/agentvisor/x", LANDLOCK_PATH_READ_WRITE, false);
        assert_null(find(&ls, "/usr"));
        assert_false(ls.tcp_connect);
        assert_true(ls.tcp_bind);
        assert_int_equal(ls.n_tcp_bind_ports, 1);
        assert_int_equal(ls.tcp_bind_ports[0], 8080);
        agent_spec_done(&s);
}

/* ProtectSystem=full with Landlock=yes: the tree writable, the system
 * directories read-only, as the mounts make them; no Landlock=: no rules. */
static void test_landlock_full_and_none(void **state) {
        _cleanup_strv_free_ char **strings = NULL;
        _cleanup_free_ LandlockPath *paths = NULL;
        _cleanup_free_ uint16_t *ports = NULL;
        SandboxSettings st;
        LandlockSpec ls;
        AgentSpec s;

        agent_spec_init(&s);
        s.sandbox.keys[SANDBOX_KEY_LANDLOCK] = 1;
        sandbox_options_resolve(&s.sandbox, SANDBOX_STANDARD, &st);
        assert_int_equal(agent_sandbox_landlock_spec(&s, &st, NULL, &ls, &paths, &strings, &ports), 0);
        expect(&ls, "/", LANDLOCK_PATH_READ_WRITE, false);
        expect(&ls, "/usr", LANDLOCK_PATH_READ_ONLY, false);
        expect(&ls, "/etc", LANDLOCK_PATH_READ_ONLY, false);
        expect(&ls, "/home", LANDLOCK_PATH_READ_ONLY, false);
        assert_null(find(&ls, "/sys"));
        paths = mfree(paths);
        strings = strv_free(strings);
        ports = mfree(ports);

        s.sandbox.keys[SANDBOX_KEY_LANDLOCK] = SANDBOX_UNSET;
        sandbox_options_resolve(&s.sandbox, SANDBOX_STANDARD, &st);
        assert_int_equal(agent_sandbox_landlock_spec(&s, &st, NULL, &ls, &paths, &strings, &ports), 0);
        assert_false(ls.filesystem);
        assert_int_equal(ls.n_paths, 0);
        assert_false(ls.tcp_connect || ls.tcp_bind);
        agent_spec_done(&s);
}

/* A health check joins its agent's mount namespace: its sandbox has no
 * mount plan (nothing built, no source opened), only the note that there
 * is a namespace to join; the agent's own spawn builds and opens it. */
static void test_check_joins_mounts(void **state) {
        _cleanup_free_ char *m = NULL;
        AgentSandbox sb;
        AgentSpec s;

        agent_spec_init(&s);
        s.sandbox.keys[SANDBOX_KEY_PRIVATE_TMP] = 1;
        assert_int_equal(strv_extend(&s.bind_paths, "/nonexistent/agentvisor-test:/data"), 0);

        assert_int_equal(agent_sandbox_prepare(&s, SANDBOX_NONE, &everything, NULL, 0, /* join= */ true, &sb, &m), 0);
        assert_null(sb.mounts);
        assert_true(sb.mount_ns);
        agent_sandbox_done(&sb);

        /* The invocation opens the missing source, and says which key. */
        assert_int_equal(agent_sandbox_prepare(&s, SANDBOX_NONE, &everything, NULL, 0, false, &sb, &m), -ENOENT);
        if (!m || !strstr(m, "BindPaths") || !strstr(m, "/nonexistent/agentvisor-test"))
                fail_msg("message \"%s\" does not name the key and source", m ?: "(null)");
        m = mfree(m);

        strv_free(s.bind_paths);
        s.bind_paths = NULL;
        assert_int_equal(agent_sandbox_prepare(&s, SANDBOX_NONE, &everything, NULL, 0, false, &sb, &m), 0);
        assert_non_null(sb.mounts);
        assert_true(sb.mount_ns);
        agent_sandbox_done(&sb);

        /* No key needing one: nothing to join either. */
        s.sandbox.keys[SANDBOX_KEY_PRIVATE_TMP] = 0;
        assert_int_equal(agent_sandbox_prepare(&s, SANDBOX_NONE, &everything, NULL, 0, true, &sb, &m), 0);
        assert_false(sb.mount_ns);
        agent_sandbox_done(&sb);
        agent_spec_done(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_honourable),
                cmocka_unit_test(test_landlock_strict),
                cmocka_unit_test(test_landlock_full_and_none),
                cmocka_unit_test(test_check_joins_mounts),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
