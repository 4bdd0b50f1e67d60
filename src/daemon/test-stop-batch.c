/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pins the stop window (stop-batch.h): never more than `limit` stops in
 * flight, the rest in request order, a slot back for every end, places
 * given up by agents that end while they wait, and a slow window released. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stop-batch.h"

#define N 200

static StopBatchNode nodes[N];
static int ids[N];

static void reset(void) {
        for (int i = 0; i < N; i++) {
                nodes[i] = (StopBatchNode) {};
                ids[i] = i;
        }
}

static void test_window(void **state) {
        StopBatch b;
        unsigned go = 0;

        reset();
        stop_batch_init(&b, 64);
        for (int i = 0; i < N; i++)
                if (stop_batch_request(&b, &nodes[i], 7, &ids[i]))
                        go++;
        assert_int_equal(go, 64);
        assert_int_equal(b.in_flight, 64);
        assert_int_equal(b.queued, N - 64);
        assert_true(stop_batch_pending(&b));
        /* Full window: nothing more goes. */
        assert_null(stop_batch_next(&b));
        /* A second request changes nothing. */
        assert_false(stop_batch_request(&b, &nodes[0], 8, &ids[0]));
        assert_false(stop_batch_request(&b, &nodes[100], 8, &ids[100]));
        assert_int_equal(nodes[100].reason, 7);

        /* Ends give slots back; the queue goes in request order. */
        unsigned ended = 0, next = 64;
        for (int i = 0; i < 64; i++) {
                stop_batch_drop(&b, &nodes[i]);
                ended++;
        }
        assert_int_equal(b.in_flight, 0);
        while (b.in_flight < 64 || ended < N) {
                StopBatchNode *n = stop_batch_next(&b);

                if (n) {
                        assert_ptr_equal(n, &nodes[next]);
                        assert_int_equal(*(int *) n->userdata, (int) next);
                        assert_int_equal(n->reason, 7);
                        next++;
                        assert_true(b.in_flight <= 64);
                        continue;
                }
                if (b.in_flight == 0)
                        break;
                /* Ends in any order: the newest first. */
                stop_batch_drop(&b, b.flight);
                ended++;
        }
        assert_int_equal(next, N);
        assert_int_equal(ended, N);
        assert_int_equal(b.max_in_flight, 64);
        assert_int_equal(b.n_started, N);
        assert_int_equal(b.n_deferred, N - 64);
        assert_false(stop_batch_pending(&b));
        for (int i = 0; i < N; i++)
                assert_int_equal(nodes[i].state, STOP_BATCH_NONE);
}

static void test_queued_end(void **state) {
        StopBatch b;

        reset();
        stop_batch_init(&b, 2);
        for (int i = 0; i < 6; i++)
                (void) stop_batch_request(&b, &nodes[i], 1, &ids[i]);
        /* 3 and the tail (5) end on their own while waiting. */
        stop_batch_drop(&b, &nodes[3]);
        stop_batch_drop(&b, &nodes[5]);
        assert_int_equal(b.queued, 2);
        assert_int_equal(nodes[3].state, STOP_BATCH_NONE);
        /* Dropping twice, or a node never queued, is harmless. */
        stop_batch_drop(&b, &nodes[3]);
        stop_batch_drop(&b, &nodes[9]);
        stop_batch_drop(&b, &nodes[0]);
        assert_ptr_equal(stop_batch_next(&b), &nodes[2]);
        assert_null(stop_batch_next(&b));
        stop_batch_drop(&b, &nodes[1]);
        assert_ptr_equal(stop_batch_next(&b), &nodes[4]);
        assert_false(stop_batch_pending(&b));
        /* A new request joins the tail again once the queue emptied. */
        assert_false(stop_batch_request(&b, &nodes[7], 1, &ids[7]));
        assert_int_equal(b.queued, 1);
}

static void test_fifo_while_waiting(void **state) {
        StopBatch b;

        reset();
        stop_batch_init(&b, 1);
        assert_true(stop_batch_request(&b, &nodes[0], 1, &ids[0]));
        assert_false(stop_batch_request(&b, &nodes[1], 1, &ids[1]));
        stop_batch_drop(&b, &nodes[0]);
        /* A slot is free but 1 waits: 2 may not overtake it. */
        assert_false(stop_batch_request(&b, &nodes[2], 1, &ids[2]));
        assert_ptr_equal(stop_batch_next(&b), &nodes[1]);
}

static void test_slow(void **state) {
        StopBatch b;

        reset();
        stop_batch_init(&b, 4);
        for (int i = 0; i < 10; i++)
                (void) stop_batch_request(&b, &nodes[i], 1, &ids[i]);
        assert_int_equal(stop_batch_release_slow(&b), 4);
        assert_int_equal(b.in_flight, 0);
        assert_int_equal(nodes[0].state, STOP_BATCH_NONE);
        /* Released nodes that end later count for nothing. */
        stop_batch_drop(&b, &nodes[0]);
        for (int i = 4; i < 8; i++)
                assert_ptr_equal(stop_batch_next(&b), &nodes[i]);
        assert_null(stop_batch_next(&b));
        assert_int_equal(b.n_released_slow, 4);
        assert_int_equal(b.max_in_flight, 4);
}

static void test_parse(void **state) {
        unsigned v = 0;

        assert_int_equal(stop_batch_parse_limit("8", &v), 0);
        assert_int_equal(v, 8);
        assert_int_equal(stop_batch_parse_limit("0", &v), -EINVAL);
        assert_int_equal(stop_batch_parse_limit("-1", &v), -EINVAL);
        assert_int_equal(stop_batch_parse_limit("64x", &v), -EINVAL);
        assert_int_equal(stop_batch_parse_limit("", &v), -EINVAL);
        assert_int_equal(stop_batch_parse_limit(NULL, &v), -EINVAL);
        assert_int_equal(stop_batch_parse_limit("100001", &v), -EINVAL);
        assert_int_equal(v, 8);

        StopBatch b;
        stop_batch_init(&b, 0);
        assert_int_equal(b.limit, STOP_BATCH_DEFAULT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_window),
                cmocka_unit_test(test_queued_end),
                cmocka_unit_test(test_fifo_while_waiting),
                cmocka_unit_test(test_slow),
                cmocka_unit_test(test_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
