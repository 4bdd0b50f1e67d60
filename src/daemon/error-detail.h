/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the manager's operations (manager-ops.h) say when they refuse: a
 * negative errno as their return value, and an ErrorDetail with the kind of
 * refusal and the message for the caller.
 *
 * The kind is what the errno alone cannot tell (-ENOENT is NoSuchAgent,
 * NoSuchType or NoSuchSupervisor): one kind per error name of the SPEC, and
 * dbus-common.c holds the one table from kind to bus error name
 * (bus_error_name_from_kind()). ERROR_KIND_NONE (nothing set) means "an
 * internal failure, the errno says it all": the bus side returns the errno
 * as sd-bus maps it.
 *
 * The errno that goes with each kind, as the operations use them:
 *   FAILED             -ESHUTDOWN   the daemon is shutting down
 *   INVALID_ARGS       -EINVAL      a malformed argument, or nothing to reset
 *   NO_SUCH_AGENT      -ENOENT
 *   NO_SUCH_TYPE       -ENOENT
 *   NO_SUCH_SUPERVISOR -ENOENT
 *   ALREADY_EXISTS     -EEXIST
 *   INVALID_SPEC       -EINVAL      also a failed Reload
 *   POLICY             -EINVAL      a policy that does not compile
 *   ESCALATED          -EBUSY
 *   TOO_MANY_AGENTS    -E2BIG
 *   NOT_RUNNING        -ESRCH
 *   NOT_STOPPED        -EBUSY */
#pragma once

#include <errno.h>

#include "macro.h"

typedef enum ErrorKind {
        ERROR_KIND_NONE,
        ERROR_KIND_FAILED,
        ERROR_KIND_INVALID_ARGS,
        ERROR_KIND_NO_SUCH_AGENT,
        ERROR_KIND_NO_SUCH_TYPE,
        ERROR_KIND_NO_SUCH_SUPERVISOR,
        ERROR_KIND_ALREADY_EXISTS,
        ERROR_KIND_INVALID_SPEC,
        ERROR_KIND_POLICY,
        ERROR_KIND_ESCALATED,
        ERROR_KIND_TOO_MANY_AGENTS,
        ERROR_KIND_NOT_RUNNING,
        ERROR_KIND_NOT_STOPPED,
        _ERROR_KIND_MAX,
        _ERROR_KIND_INVALID = -EINVAL,
} ErrorKind;

typedef struct ErrorDetail {
        ErrorKind kind;
        char *message;          /* NULL while kind is ERROR_KIND_NONE */
} ErrorDetail;

#define ERROR_DETAIL_NULL ((ErrorDetail) { .kind = ERROR_KIND_NONE })

/* Sets kind and message (printf-style) and returns r, a negative errno, so
 * that an operation can `return error_detail_set(err, -ENOENT, ...)`. When
 * the message cannot be allocated, err stays unset and -ENOMEM is returned.
 * err may be NULL. */
_printf_(4, 5) int error_detail_set(ErrorDetail *err, int r, ErrorKind kind, const char *format, ...);
void error_detail_done(ErrorDetail *err);
