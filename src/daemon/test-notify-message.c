/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pins the sd_notify datagram parser: every field, and datagrams that are
 * oversized, malformed or hostile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify-message.h"

static int parse(const char *s, NotifyMessage *m) {
        return notify_message_parse(s, strlen(s), m);
}

static void test_every_field(void **state) {
        NotifyMessage m;
        assert_int_equal(parse("READY=1\nSTATUS=serving 3 clients\nWATCHDOG=1\nERRNO=42\nSTOPPING=1", &m), 0);
        assert_true(m.ready);
        assert_true(m.watchdog_ping);
        assert_true(m.stopping);
        assert_false(m.watchdog_trigger);
        assert_true(m.has_status);
        assert_string_equal(m.status, "serving 3 clients");
        assert_true(m.has_errno);
        assert_int_equal(m.errno_value, 42);
        assert_int_equal(parse("WATCHDOG=trigger\n", &m), 0);
        assert_true(m.watchdog_trigger);
        assert_false(m.watchdog_ping);
}

static void test_values_must_match_exactly(void **state) {
        NotifyMessage m;
        /* READY=0 or READY=yes are not READY=1. */
        assert_int_equal(parse("READY=0\nREADY=yes\nSTATUS=x", &m), 0);
        assert_false(m.ready);
        assert_int_equal(parse("ERRNO=abc\nSTATUS=x", &m), 0);
        assert_false(m.has_errno);
        assert_int_equal(parse("ERRNO=99999\nSTATUS=x", &m), 0);
        assert_false(m.has_errno);
}

static void test_unknown_keys_accepted(void **state) {
        NotifyMessage m;
        assert_int_equal(parse("MAINPID=5\nEXTEND_TIMEOUT_USEC=10", &m), 0);
        assert_false(m.ready);
        assert_int_equal(m.n_ignored, 0u);
}

static void test_malformed(void **state) {
        NotifyMessage m;
        assert_int_equal(parse("", &m), -EBADMSG);
        assert_int_equal(parse("\n\n", &m), -EBADMSG);
        assert_int_equal(parse("hello world", &m), -EBADMSG);
        assert_int_equal(parse("=1\nlower=case", &m), -EBADMSG);
        assert_int_equal(notify_message_parse("READY=1\0STATUS=x", 16, &m), -EBADMSG);
        /* Malformed lines beside good ones are counted, the good ones kept. */
        assert_int_equal(parse("junk\nREADY=1", &m), 0);
        assert_true(m.ready);
        assert_int_equal(m.n_ignored, 1u);
}

static void test_oversized(void **state) {
        NotifyMessage m;
        size_t n = NOTIFY_DATAGRAM_MAX + 1;
        char *big = malloc(n);
        assert_non_null(big);
        memset(big, 'A', n);
        memcpy(big, "STATUS=", 7);
        assert_int_equal(notify_message_parse(big, n, &m), -EMSGSIZE);
        /* The largest allowed datagram: STATUS is cut to its cap. */
        assert_int_equal(notify_message_parse(big, NOTIFY_DATAGRAM_MAX, &m), 0);
        assert_true(m.has_status);
        assert_int_equal(strlen(m.status), NOTIFY_STATUS_MAX);
        free(big);
}

static void test_status_cut_on_utf8_boundary(void **state) {
        char buf[7 + NOTIFY_STATUS_MAX + 8];
        NotifyMessage m;
        memcpy(buf, "STATUS=", 7);
        memset(buf + 7, 'a', NOTIFY_STATUS_MAX - 1);
        /* A 2-byte character straddles the cap. */
        memcpy(buf + 7 + NOTIFY_STATUS_MAX - 1, "\xc3\xa9zz", 4);
        assert_int_equal(notify_message_parse(buf, 7 + NOTIFY_STATUS_MAX + 3, &m), 0);
        assert_int_equal(strlen(m.status), NOTIFY_STATUS_MAX - 1);
}

static void test_last_status_wins(void **state) {
        NotifyMessage m;
        assert_int_equal(parse("STATUS=one\nSTATUS=two", &m), 0);
        assert_string_equal(m.status, "two");
        assert_int_equal(parse("STATUS=", &m), 0);
        assert_true(m.has_status);
        assert_string_equal(m.status, "");
}

/* The text goes out on the bus: anything sd-bus would refuse as a string
 * (invalid UTF-8, overlong forms, surrogates, noncharacters) and control
 * characters arrive escaped, valid characters untouched. */
static void test_status_escaped(void **state) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "STATUS=plain caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "plain caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
                { "STATUS=bad \xff end", "bad \\xff end" },
                { "STATUS=\xc3", "\\xc3" },                          /* truncated sequence */
                { "STATUS=\xc3(", "\\xc3(" },                        /* bad continuation */
                { "STATUS=\xc0\xaf", "\\xc0\\xaf" },              /* overlong '/' */
                { "STATUS=\xe0\x80\xaf", "\\xe0\\x80\\xaf" },  /* overlong, 3 bytes */
                { "STATUS=\xed\xa0\x80", "\\xed\\xa0\\x80" },  /* surrogate U+D800 */
                { "STATUS=\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" }, /* above U+10FFFF */
                { "STATUS=\xef\xbf\xbf", "\\xef\\xbf\\xbf" },  /* noncharacter U+FFFF */
                { "STATUS=\xef\xb7\x90", "\\xef\\xb7\\x90" },  /* noncharacter U+FDD0 */
                { "STATUS=tab\there\x1b[31m\x7f", "tab\\x09here\\x1b[31m\\x7f" },
        };
        NotifyMessage m;

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                assert_int_equal(parse(cases[i].in, &m), 0);
                assert_true(m.has_status);
                assert_string_equal(m.status, cases[i].out);
        }
}

/* Escapes expand the text; the cap holds and no escape is cut in half. */
static void test_status_escaped_within_cap(void **state) {
        char buf[7 + NOTIFY_STATUS_MAX];
        NotifyMessage m;
        size_t len;

        memcpy(buf, "STATUS=", 7);
        memset(buf + 7, 0xff, NOTIFY_STATUS_MAX);
        assert_int_equal(notify_message_parse(buf, sizeof buf, &m), 0);
        len = strlen(m.status);
        assert_true(len <= NOTIFY_STATUS_MAX);
        assert_int_equal(len % 4, 0);
        assert_int_equal(len, NOTIFY_STATUS_MAX / 4 * 4);
        assert_memory_equal(m.status + len - 4, "\\xff", 4);
}

static unsigned take_n(NotifyRateLimit *rl, uint64_t now, unsigned n) {
        unsigned ok = 0;
        for (unsigned i = 0; i < n; i++)
                ok += notify_ratelimit_take(rl, now);
        return ok;
}

/* A burst of NOTIFY_RATE_BURST, then NOTIFY_RATE_PER_SEC a second, however
 * many are sent; a quiet time refills the bucket, never beyond the burst. */
static void test_ratelimit(void **state) {
        NotifyRateLimit rl = {};
        uint64_t t = 5000000;

        assert_int_equal(take_n(&rl, t, 1000), NOTIFY_RATE_BURST);
        assert_false(notify_ratelimit_take(&rl, t));
        /* 10 ms later: one more message (100/s). */
        t += 10000;
        assert_int_equal(take_n(&rl, t, 10), 1);
        /* A flood over 5 s gets 5 s worth, give or take one. */
        unsigned got = 0;
        for (unsigned ms = 1; ms <= 5000; ms++)
                got += take_n(&rl, t + ms * 1000ull, 50);
        assert_true(got >= 5 * NOTIFY_RATE_PER_SEC - 1 && got <= 5 * NOTIFY_RATE_PER_SEC + 1);
        t += 5000 * 1000ull;
        /* An hour of quiet (or a clock far ahead) gives the burst, no more. */
        t += 3600ull * 1000000;
        assert_int_equal(take_n(&rl, t, 1000), NOTIFY_RATE_BURST);
        assert_int_equal(take_n(&rl, UINT64_MAX, 1000), NOTIFY_RATE_BURST);
        /* Time that goes back takes nothing and gives nothing. */
        assert_int_equal(take_n(&rl, 0, 10), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_field),       cmocka_unit_test(test_values_must_match_exactly),
                cmocka_unit_test(test_unknown_keys_accepted), cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_oversized),         cmocka_unit_test(test_status_cut_on_utf8_boundary),
                cmocka_unit_test(test_last_status_wins),
                cmocka_unit_test(test_status_escaped),    cmocka_unit_test(test_status_escaped_within_cap),
                cmocka_unit_test(test_ratelimit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
