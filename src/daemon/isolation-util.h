/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by the isolation modules (dynamic users, state
 * directories): the daemon's own directories and error messages. */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* mkdir -p: path and its missing parents are created with mode (owned by
 * us); existing ones are left as they are. path must be absolute. */
int mkdir_p(const char *path, mode_t mode);

/* Replaces *ret_message (if ret_message is not NULL) with the formatted
 * text; on ENOMEM it becomes NULL. */
void message_set(char **ret_message, const char *format, ...) _printf_(2, 3);
