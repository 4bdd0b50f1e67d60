/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Joining file system paths. */
#pragma once

/* a and b with exactly the separator they need: one '/' between them unless
 * a ends or b starts with one. An empty or NULL b gives a copy of a, an empty
 * a a copy of b. NULL when out of memory. */
char *path_join(const char *a, const char *b);

/* path if it is absolute, else path beneath dir: how a file name in a
 * configuration file is read relative to that file's directory. */
char *path_make_absolute(const char *path, const char *dir);
