/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Open-addressing hash maps keyed by string or by unsigned integer. Keys are
 * not copied: the value owns them. O(1) lookups for 10,000+ entries. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Hashmap Hashmap;

Hashmap *hashmap_new_string(void);    /* keys are const char * */
Hashmap *hashmap_new_uint(void);      /* keys are uint64_t, passed by value via HASHMAP_UINT() */
Hashmap *hashmap_free(Hashmap *h);    /* frees the map, not keys or values */
int hashmap_put(Hashmap *h, const void *key, void *value);  /* -EEXIST if present, -ENOMEM */
void *hashmap_get(const Hashmap *h, const void *key);
void *hashmap_remove(Hashmap *h, const void *key);          /* returns the value or NULL */
size_t hashmap_size(const Hashmap *h);
/* Iteration: `void *v; size_t i = 0; while (hashmap_iterate(h, &i, &v, NULL)) ...`.
 * Removing the current entry during iteration is allowed. */
bool hashmap_iterate(const Hashmap *h, size_t *state, void **ret_value, const void **ret_key);
/* Values sorted by key (strcmp order for string maps, numeric for uint maps)
 * into a new NULL-terminated array; NULL on ENOMEM. */
void **hashmap_sorted_values(const Hashmap *h);

#define HASHMAP_UINT(u) ((const void *) (uintptr_t) (u))
#define HASHMAP_FOREACH(v, h) \
        for (size_t _i_ = 0; hashmap_iterate((h), &_i_, (void **) &(v), NULL);)
