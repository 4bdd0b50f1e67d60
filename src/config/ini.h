/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small systemd-style INI reader: "[Section]" or "[Section ARG]" headers,
 * "Key=Value" lines, "#"/";" comment lines, " # comment" after whitespace
 * (outside quotes), and lines continued by a trailing backslash. Values
 * are trimmed. The reader only splits; callbacks give meaning. */
#pragma once

#include "diag.h"

/* Called at each section header, before its keys. */
typedef int (*IniSectionCallback)(const char *file, unsigned line, const char *section,
                                  const char *section_arg, void *userdata, Diagnostic *diag);
/* Called for each Key=Value; section_arg is NULL when the header had none.
 * A negative return stops parsing and is passed on; the callback fills diag. */
typedef int (*IniKeyCallback)(const char *file, unsigned line, const char *section,
                              const char *section_arg, const char *key, const char *value,
                              void *userdata, Diagnostic *diag);

/* -EINVAL with diag filled on syntax errors (keys outside a section, a
 * missing "=", a malformed header); -ENOMEM. */
int ini_parse_string(const char *text, const char *file, IniSectionCallback on_section,
                     IniKeyCallback on_key, void *userdata, Diagnostic *diag);
