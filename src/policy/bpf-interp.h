/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A classic-BPF interpreter for seccomp programs, so tests can check what a
 * compiled policy answers for a given syscall and arguments without loading
 * it into the kernel. */
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>

/* Runs `prog` on `data`. Returns 0 and the program's return value, or
 * -EINVAL for a program the kernel would reject (bad opcode, a jump out of
 * the program, a load outside struct seccomp_data or unaligned, falling off
 * the end). */
int bpf_run(const struct sock_fprog *prog, const struct seccomp_data *data, uint32_t *ret);
