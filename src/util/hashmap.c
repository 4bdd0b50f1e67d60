/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Open addressing with linear probing. Removal leaves a tombstone rather than
 * moving entries, so an iteration in progress never misses or repeats an
 * entry when the current one is removed. Tombstones are dropped when the
 * table is rebuilt, which happens once live entries plus tombstones pass 70%. */
#include <string.h>

#include "hashmap.h"
#include "macro.h"

#define MIN_BUCKETS 16U

typedef enum SlotState {
        SLOT_FREE,
        SLOT_USED,
        SLOT_TOMBSTONE,
} SlotState;

typedef struct Slot {
        const void *key;
        void *value;
        uint64_t hash;
        SlotState state;
} Slot;

struct Hashmap {
        bool string_keys;
        Slot *slots;
        size_t n_buckets;       /* a power of two */
        size_t n_used;
        size_t n_tombstones;
};

static uint64_t hash_string(const char *s) {
        /* FNV-1a, 64 bit. */
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 0x100000001b3ULL;
        }
        return h;
}

static uint64_t hash_uint(uint64_t x) {
        /* A 64-bit finalizer: consecutive ids spread over all buckets. */
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return x;
}

static uint64_t hash_key(const Hashmap *h, const void *key) {
        return h->string_keys ? hash_string(key) : hash_uint((uint64_t) (uintptr_t) key);
}

static bool key_equal(const Hashmap *h, const Slot *slot, const void *key, uint64_t hash) {
        if (slot->hash != hash)
                return false;
        return h->string_keys ? strcmp(slot->key, key) == 0 : slot->key == key;
}

static Hashmap *hashmap_new(bool string_keys) {
        Hashmap *h;

        h = calloc(1, sizeof(Hashmap));
        if (!h)
                return NULL;
        h->slots = calloc(MIN_BUCKETS, sizeof(Slot));
        if (!h->slots)
                return mfree(h);
        h->n_buckets = MIN_BUCKETS;
        h->string_keys = string_keys;
        return h;
}

Hashmap *hashmap_new_string(void) {
        return hashmap_new(true);
}

Hashmap *hashmap_new_uint(void) {
        return hashmap_new(false);
}

Hashmap *hashmap_free(Hashmap *h) {
        if (!h)
                return NULL;
        free(h->slots);
        return mfree(h);
}

/* The slot holding key, or NULL. */
static Slot *find(const Hashmap *h, const void *key, uint64_t hash) {
        size_t mask = h->n_buckets - 1;

        for (size_t i = hash & mask, probes = 0; probes < h->n_buckets; i = (i + 1) & mask, probes++) {
                Slot *s = &h->slots[i];

                if (s->state == SLOT_FREE)
                        return NULL;
                if (s->state == SLOT_USED && key_equal(h, s, key, hash))
                        return s;
        }
        return NULL;
}

static int resize(Hashmap *h, size_t n_buckets) {
        Slot *old = h->slots, *slots;
        size_t old_n = h->n_buckets, mask = n_buckets - 1;

        slots = calloc(n_buckets, sizeof(Slot));
        if (!slots)
                return -ENOMEM;

        for (size_t i = 0; i < old_n; i++) {
                size_t j;

                if (old[i].state != SLOT_USED)
                        continue;
                for (j = old[i].hash & mask; slots[j].state != SLOT_FREE; j = (j + 1) & mask)
                        ;
                slots[j] = old[i];
        }

        free(old);
        h->slots = slots;
        h->n_buckets = n_buckets;
        h->n_tombstones = 0;
        return 0;
}

int hashmap_put(Hashmap *h, const void *key, void *value) {
        uint64_t hash = hash_key(h, key);
        size_t mask, i;
        Slot *tomb = NULL;

        if (find(h, key, hash))
                return -EEXIST;

        if ((h->n_used + h->n_tombstones + 1) * 10 > h->n_buckets * 7) {
                size_t n = h->n_buckets;
                int r;

                /* Grow only if live entries need it; otherwise just sweep tombstones. */
                while ((h->n_used + 1) * 10 > n * 7 / 2)
                        n *= 2;
                r = resize(h, n);
                if (r < 0)
                        return r;
        }

        mask = h->n_buckets - 1;
        for (i = hash & mask; h->slots[i].state != SLOT_FREE; i = (i + 1) & mask)
                if (h->slots[i].state == SLOT_TOMBSTONE && !tomb)
                        tomb = &h->slots[i];

        if (tomb)
                h->n_tombstones--;
        else
                tomb = &h->slots[i];

        *tomb = (Slot) {
                .key = key,
                .value = value,
                .hash = hash,
                .state = SLOT_USED,
        };
        h->n_used++;
        return 0;
}

void *hashmap_get(const Hashmap *h, const void *key) {
        Slot *s;

        if (!h)
                return NULL;
        s = find(h, key, hash_key(h, key));
        return s ? s->value : NULL;
}

void *hashmap_remove(Hashmap *h, const void *key) {
        void *value;
        Slot *s;

        if (!h)
                return NULL;
        s = find(h, key, hash_key(h, key));
        if (!s)
                return NULL;

        value = s->value;
        *s = (Slot) { .state = SLOT_TOMBSTONE };
        h->n_used--;
        h->n_tombstones++;
        return value;
}

size_t hashmap_size(const Hashmap *h) {
        return h ? h->n_used : 0;
}

bool hashmap_iterate(const Hashmap *h, size_t *state, void **ret_value, const void **ret_key) {
        if (!h)
                return false;

        for (size_t i = *state; i < h->n_buckets; i++)
                if (h->slots[i].state == SLOT_USED) {
                        *state = i + 1;
                        if (ret_value)
                                *ret_value = h->slots[i].value;
                        if (ret_key)
                                *ret_key = h->slots[i].key;
                        return true;
                }

        *state = h->n_buckets;
        return false;
}

static int compare_string_slots(const void *a, const void *b) {
        const Slot *x = *(const Slot * const *) a, *y = *(const Slot * const *) b;

        return strcmp(x->key, y->key);
}

static int compare_uint_slots(const void *a, const void *b) {
        uintptr_t x = (uintptr_t) (*(const Slot * const *) a)->key;
        uintptr_t y = (uintptr_t) (*(const Slot * const *) b)->key;

        return x < y ? -1 : x > y ? 1 : 0;
}

void **hashmap_sorted_values(const Hashmap *h) {
        size_t n = hashmap_size(h), k = 0;
        _cleanup_free_ const Slot **sorted = NULL;
        void **values;

        values = calloc(n + 1, sizeof(void *));
        if (!values)
                return NULL;
        if (n == 0)
                return values;

        sorted = calloc(n, sizeof(Slot *));
        if (!sorted)
                return mfree(values);
        for (size_t i = 0; i < h->n_buckets; i++)
                if (h->slots[i].state == SLOT_USED)
                        sorted[k++] = &h->slots[i];

        qsort(sorted, n, sizeof(Slot *), h->string_keys ? compare_string_slots : compare_uint_slots);
        for (size_t i = 0; i < n; i++)
                values[i] = sorted[i]->value;
        return values;
}
