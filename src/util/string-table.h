/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enum <-> name tables. A table is an array of names indexed by the enum,
 * `static const char *const NAME_table[_X_MAX] = { [X_A] = "a", ... };`;
 * DEFINE_STRING_TABLE_LOOKUP(NAME, Type) then defines
 *   const char *NAME_to_string(Type v);       NULL when out of range
 *   Type NAME_from_string(const char *s);     -EINVAL when unknown or NULL
 * so no module writes its own loop. Holes (NULL entries) never match. The
 * enum should end with `_X_MAX, _X_INVALID = -EINVAL` so that it is signed
 * and -EINVAL is one of its values. */
#pragma once

#include <stddef.h>

#include "macro.h"

/* Index of s in table[0..n), or -EINVAL. */
ssize_t string_table_lookup(const char *const *table, size_t n, const char *s);

#define _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, scope)                \
        scope const char *name##_to_string(type v) {                           \
                /* a negative v converts to a huge index */                  \
                if ((size_t) v >= ELEMENTSOF(name##_table))                    \
                        return NULL;                                           \
                return name##_table[v];                                        \
        }

#define _DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, scope)               \
        scope type name##_from_string(const char *s) {                          \
                return (type) string_table_lookup(name##_table,                 \
                                                  ELEMENTSOF(name##_table), s); \
        }

#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type) \
        _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, )
#define DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type) \
        _DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, )
#define DEFINE_STRING_TABLE_LOOKUP(name, type)                \
        DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type)      \
        DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type)

/* The same, with file scope, for tables a module keeps to itself. */
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(name, type) \
        _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, static _unused_)
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP_FROM_STRING(name, type) \
        _DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, static _unused_)
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP(name, type)                \
        DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(name, type)      \
        DEFINE_PRIVATE_STRING_TABLE_LOOKUP_FROM_STRING(name, type)
