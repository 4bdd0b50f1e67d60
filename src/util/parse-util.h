/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure parsers for values with units and for names. All return 0 or
 * -EINVAL/-ERANGE and leave *ret untouched on failure. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

/* "512", "512K", "1.5M", "2G", "1T" (base 1024; B suffix and "KiB" forms ok), "infinity" -> UINT64_MAX. */
int parse_size(const char *s, uint64_t *ret);
/* "10" (seconds), "500ms", "2s", "1min", "1h", "100us", "1min 30s", "infinity" -> USEC_INFINITY. */
int parse_time_usec(const char *s, usec_t *ret);
/* "50%" -> 50; "150%" ok (>100 allowed for multi-core); 0 < n <= 10000. */
int parse_percent(const char *s, unsigned *ret);
int parse_uint(const char *s, unsigned *ret);
int parse_uint64(const char *s, uint64_t *ret);
int parse_int(const char *s, int *ret);
int parse_boolean(const char *s);   /* 1, 0 or -EINVAL: yes/no/true/false/on/off/1/0 */
/* [A-Za-z0-9][A-Za-z0-9_.@-]{0,63} */
bool name_is_valid(const char *s);
/* A user or group name as useradd accepts it, or a numeric id:
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,31} with an optional trailing '$'. */
bool user_name_is_valid(const char *s);
/* Formats like "1min 30s", "500ms", "infinity" into buf. */
const char *format_timespan(char *buf, size_t size, usec_t t);
const char *format_size(char *buf, size_t size, uint64_t bytes);  /* "512.0M", "infinity" */
