/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A property bag: D-Bus properties (a{sv}) held as plain C values, so the
 * same list feeds the human output, the --json output and (for `run`) the
 * a{sv} sent to the daemon, and the formatting is testable without a bus. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "macro.h"

typedef enum PropType {
        PROP_STRING,          /* s, o, g */
        PROP_BOOL,            /* b */
        PROP_INT32,           /* i */
        PROP_UINT32,          /* u */
        PROP_UINT64,          /* t: UINT64_MAX means "not set"/"unknown" */
        PROP_STRV,            /* as */
        PROP_BYTES,           /* ay */
        PROP_UINT64_ARRAY,    /* at */
        _PROP_TYPE_MAX,
        _PROP_TYPE_INVALID = -EINVAL,
} PropType;

typedef struct Prop {
        char *name;
        PropType type;
        union {
                char *str;
                bool b;
                int32_t i32;
                uint32_t u32;
                uint64_t u64;
                char **strv;
                struct {
                        void *data;   /* uint8_t[] for BYTES, uint64_t[] for UINT64_ARRAY */
                        size_t n;
                } array;
        };
} Prop;

typedef struct PropList {
        Prop *items;
        size_t n;
} PropList;

void prop_list_done(PropList *l);

/* Each add copies its arguments; -ENOMEM on failure. */
int prop_list_add_string(PropList *l, const char *name, const char *value);
int prop_list_add_bool(PropList *l, const char *name, bool value);
int prop_list_add_int32(PropList *l, const char *name, int32_t value);
int prop_list_add_uint32(PropList *l, const char *name, uint32_t value);
int prop_list_add_uint64(PropList *l, const char *name, uint64_t value);
int prop_list_add_strv(PropList *l, const char *name, char * const *value);
int prop_list_add_bytes(PropList *l, const char *name, const uint8_t *value, size_t n);
int prop_list_add_uint64_array(PropList *l, const char *name, const uint64_t *value, size_t n);
/* Appends to an existing `as` property, creating it when missing. */
int prop_list_append_strv(PropList *l, const char *name, const char *value);

const Prop *prop_list_get(const PropList *l, const char *name);
/* Drops the property of that name, if there is one. */
void prop_list_remove(PropList *l, const char *name);
/* Typed lookups with a fallback for a missing or differently typed property.
 * Integer getters accept any of the integer types. */
const char *prop_list_get_string(const PropList *l, const char *name, const char *def);
uint64_t prop_list_get_uint64(const PropList *l, const char *name, uint64_t def);
int64_t prop_list_get_int(const PropList *l, const char *name, int64_t def);
bool prop_list_get_bool(const PropList *l, const char *name, bool def);

/* Writes every property as `"snake_key": value` into the open JSON object;
 * UINT64_MAX `t` values become null, `ay` becomes a hex string. */
void prop_list_json(const PropList *l, JsonWriter *w);
