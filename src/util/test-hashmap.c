/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the hash maps: many entries, removal during iteration,
 * sorted output, uint keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hashmap.h"
#include "macro.h"

#define N 20000

static char keys[N][16];

static void make_keys(void) {
        for (size_t i = 0; i < N; i++)
                (void) snprintf(keys[i], sizeof(keys[i]), "key-%05zu", i);
}

static void test_string_many(void **state) {
        Hashmap *h = hashmap_new_string();

        assert_non_null(h);
        make_keys();
        for (size_t i = 0; i < N; i++)
                assert_int_equal(hashmap_put(h, keys[i], keys[i]), 0);
        assert_int_equal(hashmap_size(h), N);
        assert_int_equal(hashmap_put(h, "key-00042", NULL), -EEXIST);

        for (size_t i = 0; i < N; i++)
                if (hashmap_get(h, keys[i]) != keys[i])
                        fail_msg("lookup of %s after inserting %d keys failed", keys[i], N);
        assert_null(hashmap_get(h, "key-20000"));

        /* Remove every other key, then check both halves. */
        for (size_t i = 0; i < N; i += 2)
                assert_ptr_equal(hashmap_remove(h, keys[i]), keys[i]);
        assert_int_equal(hashmap_size(h), N / 2);
        for (size_t i = 0; i < N; i++)
                if ((hashmap_get(h, keys[i]) != NULL) != (i % 2 == 1))
                        fail_msg("after removing even keys, %s is %s", keys[i],
                                 i % 2 ? "missing" : "still present");
        assert_null(hashmap_remove(h, keys[0]));

        /* Reinsert over the tombstones, then remove everything. */
        for (size_t i = 0; i < N; i += 2)
                assert_int_equal(hashmap_put(h, keys[i], keys[i]), 0);
        assert_int_equal(hashmap_size(h), N);
        for (size_t i = 0; i < N; i++)
                assert_ptr_equal(hashmap_remove(h, keys[i]), keys[i]);
        assert_int_equal(hashmap_size(h), 0);

        hashmap_free(h);
}

static void test_churn(void **state) {
        Hashmap *h = hashmap_new_string();

        /* Many put/remove cycles on a small live set must not fill the table
         * with tombstones (lookups would then never find a free slot). */
        make_keys();
        for (size_t round = 0; round < 10; round++) {
                for (size_t i = 0; i < N; i++) {
                        assert_int_equal(hashmap_put(h, keys[i], keys[i]), 0);
                        if (i >= 8)
                                assert_ptr_equal(hashmap_remove(h, keys[i - 8]), keys[i - 8]);
                }
                assert_int_equal(hashmap_size(h), 8);
                for (size_t i = N - 8; i < N; i++)
                        assert_ptr_equal(hashmap_remove(h, keys[i]), keys[i]);
        }
        assert_int_equal(hashmap_size(h), 0);
        hashmap_free(h);
}

static void test_iterate_while_removing(void **state) {
        Hashmap *h = hashmap_new_string();
        static bool seen[N];
        size_t i = 0, count = 0;
        const void *key;
        void *v;

        make_keys();
        for (size_t k = 0; k < N; k++)
                assert_int_equal(hashmap_put(h, keys[k], keys[k]), 0);

        memset(seen, 0, sizeof(seen));
        while (hashmap_iterate(h, &i, &v, &key)) {
                size_t k = (size_t) ((char (*)[16]) v - keys);

                assert_ptr_equal(key, v);
                if (seen[k])
                        fail_msg("%s visited twice while removing during iteration", keys[k]);
                seen[k] = true;
                count++;
                if (k % 3 != 0)
                        assert_ptr_equal(hashmap_remove(h, key), v);
        }
        if (count != N)
                fail_msg("iteration while removing visited %zu of %d entries", count, N);
        assert_int_equal(hashmap_size(h), (N + 2) / 3);

        count = 0;
        HASHMAP_FOREACH(v, h) {
                size_t k = (size_t) ((char (*)[16]) v - keys);

                assert_int_equal(k % 3, 0);
                count++;
        }
        assert_int_equal(count, (N + 2) / 3);
        hashmap_free(h);
}

static void test_sorted_values(void **state) {
        static const char *const names[] = { "pear", "apple", "zucchini", "fig", "banana" };
        static const char *const sorted[] = { "apple", "banana", "fig", "pear", "zucchini" };
        Hashmap *h = hashmap_new_string();
        void **values;

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                assert_int_equal(hashmap_put(h, names[i], (void *) names[i]), 0);
        values = hashmap_sorted_values(h);
        assert_non_null(values);
        for (size_t i = 0; i < ELEMENTSOF(sorted); i++)
                assert_string_equal(values[i], sorted[i]);
        assert_null(values[ELEMENTSOF(sorted)]);
        free(values);
        hashmap_free(h);

        h = hashmap_new_string();
        values = hashmap_sorted_values(h);
        assert_non_null(values);
        assert_null(values[0]);
        free(values);
        hashmap_free(h);
}

static void test_uint_keys(void **state) {
        Hashmap *h = hashmap_new_uint();
        static int dummy[N];
        void **values;

        for (uint64_t i = 0; i < N; i++)
                assert_int_equal(hashmap_put(h, HASHMAP_UINT(i * 7 + 1), &dummy[i]), 0);
        assert_int_equal(hashmap_put(h, HASHMAP_UINT(1), NULL), -EEXIST);
        for (uint64_t i = 0; i < N; i++)
                assert_ptr_equal(hashmap_get(h, HASHMAP_UINT(i * 7 + 1)), &dummy[i]);
        assert_null(hashmap_get(h, HASHMAP_UINT(0)));
        assert_ptr_equal(hashmap_remove(h, HASHMAP_UINT(8)), &dummy[1]);

        values = hashmap_sorted_values(h);
        assert_non_null(values);
        assert_ptr_equal(values[0], &dummy[0]);
        assert_ptr_equal(values[1], &dummy[2]);
        assert_ptr_equal(values[N - 2], &dummy[N - 1]);
        assert_null(values[N - 1]);
        free(values);
        hashmap_free(h);
}

static void test_null_map(void **state) {
        size_t i = 0;
        void *v;

        assert_int_equal(hashmap_size(NULL), 0);
        assert_null(hashmap_get(NULL, "x"));
        assert_false(hashmap_iterate(NULL, &i, &v, NULL));
        assert_null(hashmap_free(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_string_many),
                cmocka_unit_test(test_churn),
                cmocka_unit_test(test_iterate_while_removing),
                cmocka_unit_test(test_sorted_values),
                cmocka_unit_test(test_uint_keys),
                cmocka_unit_test(test_null_map),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
