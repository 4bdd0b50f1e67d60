/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole-file reads for configuration text. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

#define READ_FULL_FILE_MAX (16U * 1024U * 1024U)

int read_full_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        for (;;) {
                ssize_t n;

                if (allocated - size < 4096) {
                        size_t want = allocated == 0 ? 8192 : allocated * 2;
                        char *p;

                        if (want > READ_FULL_FILE_MAX + 1)
                                want = READ_FULL_FILE_MAX + 1;
                        if (want <= size + 1)
                                return -EFBIG;
                        p = realloc(buf, want);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = want;
                }

                n = read(fd, buf + size, allocated - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }

        buf[size] = '\0';
        if (memchr(buf, '\0', size))
                return -EBADMSG;

        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}
