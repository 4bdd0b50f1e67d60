/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for string vectors: building, joining, environment blocks and
 * the quoted command-line splitter used for Exec=. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "strv.h"

static void expect_split(const char *input, const char *const *want) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;
        int r;

        r = strv_split_quoted(input, &l);
        if (r != 0)
                fail_msg("strv_split_quoted(\"%s\") failed with %d", input, r);
        while (want[n])
                n++;
        if (strv_length(l) != n)
                fail_msg("strv_split_quoted(\"%s\") gave %zu words, expected %zu", input, strv_length(l), n);
        for (size_t i = 0; i < n; i++)
                if (strcmp(l[i], want[i]) != 0)
                        fail_msg("strv_split_quoted(\"%s\") word %zu is \"%s\", expected \"%s\"", input, i, l[i],
                                 want[i]);
}

static void test_split_plain(void **state) {
        expect_split("/usr/bin/worker --flag", (const char *const[]) { "/usr/bin/worker", "--flag", NULL });
        expect_split("  a \t b  ", (const char *const[]) { "a", "b", NULL });
        expect_split("", (const char *const[]) { NULL });
        expect_split("   ", (const char *const[]) { NULL });
}

static void test_split_quotes(void **state) {
        expect_split("/usr/bin/worker --flag \"quoted arg\"",
                     (const char *const[]) { "/usr/bin/worker", "--flag", "quoted arg", NULL });
        expect_split("'single $HOME \\n'", (const char *const[]) { "single $HOME \\n", NULL });
        expect_split("a\"b c\"d", (const char *const[]) { "ab cd", NULL });
        expect_split("\"\" ''", (const char *const[]) { "", "", NULL });
        expect_split("\"say \\\"hi\\\"\"", (const char *const[]) { "say \"hi\"", NULL });
        expect_split("\"it's\"", (const char *const[]) { "it's", NULL });
        expect_split("'a \"b\"'", (const char *const[]) { "a \"b\"", NULL });
}

static void test_split_escapes(void **state) {
        expect_split("a\\ b", (const char *const[]) { "a b", NULL });
        expect_split("tab\\there", (const char *const[]) { "tab\there", NULL });
        expect_split("back\\\\slash", (const char *const[]) { "back\\slash", NULL });
}

static void test_split_errors(void **state) {
        char **l = (char **) 0x1;

        assert_int_equal(strv_split_quoted("\"unterminated", &l), -EINVAL);
        assert_int_equal(strv_split_quoted("'unterminated", &l), -EINVAL);
        assert_int_equal(strv_split_quoted("a \"b\" 'c", &l), -EINVAL);
        assert_int_equal(strv_split_quoted("trailing\\", &l), -EINVAL);
        if (l != (char **) 0x1)
                fail_msg("strv_split_quoted touched *ret on failure");
}

static void test_build_and_join(void **state) {
        _cleanup_strv_free_ char **l = NULL, **c = NULL;
        _cleanup_free_ char *j = NULL, *e = NULL;
        char *owned;

        assert_int_equal(strv_length(NULL), 0);
        assert_int_equal(strv_extend(&l, "one"), 0);
        owned = strdup("two");
        assert_non_null(owned);
        assert_int_equal(strv_push(&l, owned), 0);
        assert_int_equal(strv_extend_strv(&l, (char *[]) { (char *) "three", (char *) "", NULL }), 0);
        assert_int_equal(strv_length(l), 4);
        assert_true(strv_contains(l, "two"));
        assert_false(strv_contains(l, "four"));

        j = strv_join(l, ", ");
        assert_non_null(j);
        assert_string_equal(j, "one, two, three, ");

        c = strv_copy(l);
        assert_non_null(c);
        assert_int_equal(strv_length(c), 4);
        assert_true(c[0] != l[0]);
        assert_string_equal(c[2], "three");

        e = strv_join(NULL, " ");
        assert_non_null(e);
        assert_string_equal(e, "");
}

static void test_env(void **state) {
        _cleanup_strv_free_ char **env = NULL;

        assert_int_equal(strv_env_set(&env, "A=1"), 0);
        assert_int_equal(strv_env_set(&env, "AB=2"), 0);
        assert_int_equal(strv_env_set(&env, "A=3"), 0);
        assert_int_equal(strv_env_set(&env, "EMPTY="), 0);
        assert_int_equal(strv_length(env), 3);
        assert_string_equal(env[0], "A=3");
        assert_string_equal(strv_env_get(env, "A"), "3");
        assert_string_equal(strv_env_get(env, "AB"), "2");
        assert_string_equal(strv_env_get(env, "EMPTY"), "");
        assert_null(strv_env_get(env, "B"));
        assert_null(strv_env_get(env, "ABC"));

        assert_int_equal(strv_env_set(&env, "NOEQUALS"), -EINVAL);
        assert_int_equal(strv_env_set(&env, "=value"), -EINVAL);
        assert_int_equal(strv_length(env), 3);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_split_plain),
                cmocka_unit_test(test_split_quotes),
                cmocka_unit_test(test_split_escapes),
                cmocka_unit_test(test_split_errors),
                cmocka_unit_test(test_build_and_join),
                cmocka_unit_test(test_env),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
