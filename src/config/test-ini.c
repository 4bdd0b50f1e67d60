/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the INI reader: sections with arguments, comments (whole
 * line and trailing), continuation lines and syntax errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ini.h"
#include "macro.h"

/* Every callback appends one "LINE|section|arg|key|value" record. */
typedef struct Record {
        char text[4096];
} Record;

static int record_section(const char *file, unsigned line, const char *section, const char *arg,
                          void *userdata, Diagnostic *diag) {
        Record *rec = userdata;
        size_t n = strlen(rec->text);

        (void) snprintf(rec->text + n, sizeof(rec->text) - n, "%u[%s|%s]\n", line, section, arg ?: "-");
        return 0;
}

static int record_key(const char *file, unsigned line, const char *section, const char *arg,
                      const char *key, const char *value, void *userdata, Diagnostic *diag) {
        Record *rec = userdata;
        size_t n = strlen(rec->text);

        (void) snprintf(rec->text + n, sizeof(rec->text) - n, "%u %s|%s|%s=<%s>\n", line, section, arg ?: "-",
                        key, value);
        return 0;
}

static void expect_parse(const char *text, const char *want) {
        Record rec = { .text = "" };
        Diagnostic d = {};
        int r;

        r = ini_parse_string(text, "t.conf", record_section, record_key, &rec, &d);
        if (r != 0)
                fail_msg("parse failed (%d): line %u: %s\ninput:\n%s", r, d.line, d.message, text);
        if (strcmp(rec.text, want) != 0)
                fail_msg("input:\n%s\nparsed as:\n%s\nexpected:\n%s", text, rec.text, want);
}

static void expect_error(const char *text, unsigned line, const char *key) {
        Diagnostic d = {};
        int r;

        r = ini_parse_string(text, "t.conf", NULL, NULL, NULL, &d);
        if (r != -EINVAL)
                fail_msg("expected -EINVAL for:\n%s\ngot %d", text, r);
        if (d.line != line || strcmp(d.key, key) != 0 || strcmp(d.file, "t.conf") != 0)
                fail_msg("diagnostic for:\n%s\nis %s:%u key \"%s\", expected t.conf:%u key \"%s\"", text, d.file,
                         d.line, d.key, line, key);
        if (d.message[0] == '\0')
                fail_msg("diagnostic for:\n%s\nhas no message", text);
}

static void test_sections_and_keys(void **state) {
        expect_parse("[Daemon]\nA=1\n  B = two words  \n[Supervisor workers]\nC=\n",
                     "1[Daemon|-]\n2 Daemon|-|A=<1>\n3 Daemon|-|B=<two words>\n"
                     "4[Supervisor|workers]\n5 Supervisor|workers|C=<>\n");
        expect_parse("[ Supervisor   w ]\r\nK=v=w\r\n", "1[Supervisor|w]\n2 Supervisor|w|K=<v=w>\n");
        expect_parse("", "");
}

static void test_comments(void **state) {
        expect_parse("# top\n; also\n[Agent]   # the section\n"
                     "Exec=/bin/x \"a # b\" # comment\n"
                     "Tag=v#1\n"
                     "Semi=a ; b\n"
                     "   # indented comment\n"
                     "Empty=   # nothing\n",
                     "3[Agent|-]\n4 Agent|-|Exec=</bin/x \"a # b\">\n5 Agent|-|Tag=<v#1>\n"
                     "6 Agent|-|Semi=<a ; b>\n8 Agent|-|Empty=<>\n");
}

static void test_continuation(void **state) {
        expect_parse("[A]\nExec=/bin/x \\\n   --one \\\n# skipped\n   --two\nNext=1\n",
                     "1[A|-]\n2 A|-|Exec=</bin/x --one --two>\n6 A|-|Next=<1>\n");
        /* A backslash on the last line has nothing to join. */
        expect_parse("[A]\nK=x\\", "1[A|-]\n2 A|-|K=<x\\>\n");
}

static void test_errors(void **state) {
        expect_error("Key=1\n", 1, "Key");
        expect_error("[A]\n\nnot a key\n", 3, "");
        expect_error("[A]\n=value\n", 2, "");
        expect_error("[A\n", 1, "");
        expect_error("[A] x\n", 1, "");
        expect_error("[]\n", 1, "");
        expect_error("[A b c]\n", 1, "A");
}

static int stop_at_b(const char *file, unsigned line, const char *section, const char *arg, const char *key,
                     const char *value, void *userdata, Diagnostic *diag) {
        if (strcmp(key, "B") == 0) {
                diag_set(diag, file, line, 0, key, "no B");
                return -EINVAL;
        }
        return 0;
}

static void test_callback_error_stops(void **state) {
        Diagnostic d = {};

        assert_int_equal(ini_parse_string("[A]\nA=1\nB=2\nC=3\n", "t.conf", NULL, stop_at_b, NULL, &d), -EINVAL);
        assert_int_equal(d.line, 3);
        assert_string_equal(d.key, "B");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sections_and_keys),
                cmocka_unit_test(test_comments),
                cmocka_unit_test(test_continuation),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_callback_error_stops),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
