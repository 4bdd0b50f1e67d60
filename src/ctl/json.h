/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small streaming JSON emitter for agentctl's --json output: compact
 * documents written straight to a FILE, commas and nesting tracked here so
 * the callers only say what comes next. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 16

typedef struct JsonWriter {
        FILE *f;
        unsigned depth;
        bool first[JSON_DEPTH_MAX];   /* nothing written yet at this level */
        bool after_key;               /* a key was written, its value is next */
} JsonWriter;

void json_writer_init(JsonWriter *w, FILE *f);

/* Writes s as a JSON string literal, quotes included. Control characters are
 * escaped, and bytes that are not valid UTF-8 become U+FFFD, so text read
 * from /proc cannot break the document. */
void json_escape(FILE *f, const char *s);

void json_begin_object(JsonWriter *w);
void json_end_object(JsonWriter *w);
void json_begin_array(JsonWriter *w);
void json_end_array(JsonWriter *w);
void json_key(JsonWriter *w, const char *key);
void json_string(JsonWriter *w, const char *s);   /* NULL writes null */
void json_uint(JsonWriter *w, uint64_t u);
void json_int(JsonWriter *w, int64_t i);
void json_bool(JsonWriter *w, bool b);
void json_null(JsonWriter *w);
/* A key and its value in one call. */
void json_field_string(JsonWriter *w, const char *key, const char *s);
void json_field_uint(JsonWriter *w, const char *key, uint64_t u);
void json_field_int(JsonWriter *w, const char *key, int64_t i);
void json_field_bool(JsonWriter *w, const char *key, bool b);

/* "InvocationID" -> "invocation_id", "CPUUsageNSec" -> "cpu_usage_nsec":
 * D-Bus property names as the snake_case keys of the JSON output. */
int json_key_from_property(const char *property, char *buf, size_t size);
