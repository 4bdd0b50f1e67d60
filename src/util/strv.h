/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string vectors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)
size_t strv_length(char * const *l);
char **strv_copy(char * const *l);
int strv_extend(char ***l, const char *value);          /* copies value */
int strv_push(char ***l, char *value);                  /* takes value (only on success) */
int strv_extend_strv(char ***a, char * const *b);       /* copies b's entries */
bool strv_contains(char * const *l, const char *s);
char *strv_join(char * const *l, const char *sep);
/* Environment: replace KEY= entry or append. */
int strv_env_set(char ***l, const char *assignment);
const char *strv_env_get(char * const *l, const char *key);
/* Splits a command line with "double" and 'single' quotes and backslash escapes,
 * like systemd's Exec= (no variable expansion). -EINVAL on unbalanced quotes. */
int strv_split_quoted(const char *s, char ***ret);
#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)
