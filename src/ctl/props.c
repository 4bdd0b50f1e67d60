/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The property bag behind agentctl's views and `run` requests. */

#include <string.h>

#include "props.h"
#include "strv.h"

static void prop_done(Prop *p) {
        free(p->name);
        switch (p->type) {
        case PROP_STRING:
                free(p->str);
                break;
        case PROP_STRV:
                strv_free(p->strv);
                break;
        case PROP_BYTES:
        case PROP_UINT64_ARRAY:
                free(p->array.data);
                break;
        default:
                break;
        }
}

void prop_list_done(PropList *l) {
        for (size_t i = 0; i < l->n; i++)
                prop_done(&l->items[i]);
        l->items = mfree(l->items);
        l->n = 0;
}

/* Takes ownership of p's contents, also on failure. */
static int prop_list_push(PropList *l, Prop *p) {
        Prop *items;

        items = reallocarray(l->items, l->n + 1, sizeof(Prop));
        if (!items) {
                prop_done(p);
                return -ENOMEM;
        }
        l->items = items;
        l->items[l->n++] = *p;
        return 0;
}

static int prop_list_add_scalar(PropList *l, Prop *p, const char *name) {
        p->name = strdup(name);
        if (!p->name)
                return -ENOMEM;
        return prop_list_push(l, p);
}

int prop_list_add_string(PropList *l, const char *name, const char *value) {
        Prop p = { .type = PROP_STRING };

        p.str = strdup(value);
        if (!p.str)
                return -ENOMEM;
        p.name = strdup(name);
        if (!p.name) {
                free(p.str);
                return -ENOMEM;
        }
        return prop_list_push(l, &p);
}

int prop_list_add_bool(PropList *l, const char *name, bool value) {
        Prop p = { .type = PROP_BOOL, .b = value };
        return prop_list_add_scalar(l, &p, name);
}

int prop_list_add_int32(PropList *l, const char *name, int32_t value) {
        Prop p = { .type = PROP_INT32, .i32 = value };
        return prop_list_add_scalar(l, &p, name);
}

int prop_list_add_uint32(PropList *l, const char *name, uint32_t value) {
        Prop p = { .type = PROP_UINT32, .u32 = value };
        return prop_list_add_scalar(l, &p, name);
}

int prop_list_add_uint64(PropList *l, const char *name, uint64_t value) {
        Prop p = { .type = PROP_UINT64, .u64 = value };
        return prop_list_add_scalar(l, &p, name);
}

int prop_list_add_strv(PropList *l, const char *name, char * const *value) {
        Prop p = { .type = PROP_STRV };

        p.strv = value ? strv_copy(value) : calloc(1, sizeof(char *));
        if (!p.strv)
                return -ENOMEM;
        p.name = strdup(name);
        if (!p.name) {
                strv_free(p.strv);
                return -ENOMEM;
        }
        return prop_list_push(l, &p);
}

static int prop_list_add_array(PropList *l, const char *name, PropType type, const void *value,
                               size_t n, size_t element_size) {
        Prop p = { .type = type, .array.n = n };

        /* One spare element so an empty array still has a buffer to own. */
        p.array.data = calloc(n + 1, element_size);
        if (!p.array.data)
                return -ENOMEM;
        if (n > 0)
                memcpy(p.array.data, value, n * element_size);
        p.name = strdup(name);
        if (!p.name) {
                free(p.array.data);
                return -ENOMEM;
        }
        return prop_list_push(l, &p);
}

int prop_list_add_bytes(PropList *l, const char *name, const uint8_t *value, size_t n) {
        return prop_list_add_array(l, name, PROP_BYTES, value, n, sizeof(uint8_t));
}

int prop_list_add_uint64_array(PropList *l, const char *name, const uint64_t *value, size_t n) {
        return prop_list_add_array(l, name, PROP_UINT64_ARRAY, value, n, sizeof(uint64_t));
}

const Prop *prop_list_get(const PropList *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i].name, name) == 0)
                        return &l->items[i];
        return NULL;
}

void prop_list_remove(PropList *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i].name, name) == 0) {
                        prop_done(&l->items[i]);
                        memmove(&l->items[i], &l->items[i + 1], (l->n - i - 1) * sizeof(Prop));
                        l->n--;
                        return;
                }
}

int prop_list_append_strv(PropList *l, const char *name, const char *value) {
        Prop *p = (Prop *) prop_list_get(l, name);

        if (!p) {
                char *one[] = { (char *) value, NULL };
                return prop_list_add_strv(l, name, one);
        }
        if (p->type != PROP_STRV)
                return -EINVAL;
        return strv_extend(&p->strv, value);
}

const char *prop_list_get_string(const PropList *l, const char *name, const char *def) {
        const Prop *p = prop_list_get(l, name);
        return p && p->type == PROP_STRING ? p->str : def;
}

uint64_t prop_list_get_uint64(const PropList *l, const char *name, uint64_t def) {
        const Prop *p = prop_list_get(l, name);

        if (!p)
                return def;
        switch (p->type) {
        case PROP_UINT64:
                return p->u64;
        case PROP_UINT32:
                return p->u32;
        case PROP_INT32:
                return p->i32 >= 0 ? (uint64_t) p->i32 : def;
        default:
                return def;
        }
}

int64_t prop_list_get_int(const PropList *l, const char *name, int64_t def) {
        const Prop *p = prop_list_get(l, name);

        if (!p)
                return def;
        switch (p->type) {
        case PROP_INT32:
                return p->i32;
        case PROP_UINT32:
                return p->u32;
        case PROP_UINT64:
                return p->u64 <= INT64_MAX ? (int64_t) p->u64 : def;
        default:
                return def;
        }
}

bool prop_list_get_bool(const PropList *l, const char *name, bool def) {
        const Prop *p = prop_list_get(l, name);
        return p && p->type == PROP_BOOL ? p->b : def;
}

void prop_list_json(const PropList *l, JsonWriter *w) {
        for (size_t i = 0; i < l->n; i++) {
                const Prop *p = &l->items[i];
                char key[128];

                if (json_key_from_property(p->name, key, sizeof(key)) < 0)
                        continue;
                json_key(w, key);

                switch (p->type) {
                case PROP_STRING:
                        json_string(w, p->str);
                        break;
                case PROP_BOOL:
                        json_bool(w, p->b);
                        break;
                case PROP_INT32:
                        json_int(w, p->i32);
                        break;
                case PROP_UINT32:
                        /* UID/GID before the first start: "not set", as a t's UINT64_MAX. */
                        if (p->u32 == UINT32_MAX)
                                json_null(w);
                        else
                                json_uint(w, p->u32);
                        break;
                case PROP_UINT64:
                        if (p->u64 == UINT64_MAX)
                                json_null(w);
                        else
                                json_uint(w, p->u64);
                        break;
                case PROP_STRV:
                        json_begin_array(w);
                        STRV_FOREACH(s, p->strv)
                                json_string(w, *s);
                        json_end_array(w);
                        break;
                case PROP_BYTES: {
                        char hex[2 * 64 + 1] = "";
                        const uint8_t *b = p->array.data;
                        size_t n = MIN(p->array.n, (size_t) 64);

                        for (size_t k = 0; k < n; k++)
                                snprintf(hex + 2 * k, 3, "%02x", b[k]);
                        json_string(w, hex);
                        break;
                }
                case PROP_UINT64_ARRAY: {
                        const uint64_t *v = p->array.data;

                        json_begin_array(w);
                        for (size_t k = 0; k < p->array.n; k++)
                                json_uint(w, v[k]);
                        json_end_array(w);
                        break;
                }
                default:
                        json_null(w);
                        break;
                }
        }
}
