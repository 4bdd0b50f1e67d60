/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading small text files (configuration) whole. */
#pragma once

#include <stddef.h>

/* Reads the file into a NUL-terminated buffer. -EFBIG above 16 MiB, -EBADMSG
 * if it contains a NUL byte, otherwise the errno of open/read. */
int read_full_file(const char *path, char **ret, size_t *ret_size);
