/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interprets the subset of classic BPF that seccomp accepts. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "bpf-interp.h"

static int load_word(const struct seccomp_data *data, uint32_t offset, uint32_t *ret) {
        uint32_t v;

        if (offset % 4 != 0 || offset > sizeof(*data) - sizeof(uint32_t))
                return -EINVAL;
        memcpy(&v, (const uint8_t *) data + offset, sizeof(v));
        *ret = v;
        return 0;
}

int bpf_run(const struct sock_fprog *prog, const struct seccomp_data *data, uint32_t *ret) {
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
        size_t pc = 0;

        if (!prog || prog->len == 0 || prog->len > BPF_MAXINSNS)
                return -EINVAL;

        while (pc < prog->len) {
                const struct sock_filter *in = &prog->filter[pc];
                uint32_t k = in->k, src;
                int r;

                switch (BPF_CLASS(in->code)) {
                case BPF_LD:
                        if (in->code == (BPF_LD | BPF_W | BPF_ABS)) {
                                r = load_word(data, k, &a);
                                if (r < 0)
                                        return r;
                        } else if (in->code == (BPF_LD | BPF_W | BPF_LEN))
                                a = sizeof(*data);
                        else if (in->code == (BPF_LD | BPF_IMM))
                                a = k;
                        else if (in->code == (BPF_LD | BPF_MEM) && k < BPF_MEMWORDS)
                                a = mem[k];
                        else
                                return -EINVAL;
                        pc++;
                        break;
                case BPF_LDX:
                        if (in->code == (BPF_LDX | BPF_W | BPF_LEN))
                                x = sizeof(*data);
                        else if (in->code == (BPF_LDX | BPF_IMM))
                                x = k;
                        else if (in->code == (BPF_LDX | BPF_MEM) && k < BPF_MEMWORDS)
                                x = mem[k];
                        else
                                return -EINVAL;
                        pc++;
                        break;
                case BPF_ST:
                case BPF_STX:
                        if (k >= BPF_MEMWORDS)
                                return -EINVAL;
                        mem[k] = BPF_CLASS(in->code) == BPF_ST ? a : x;
                        pc++;
                        break;
                case BPF_ALU:
                        src = BPF_SRC(in->code) == BPF_X ? x : k;
                        switch (BPF_OP(in->code)) {
                        case BPF_ADD: a += src; break;
                        case BPF_SUB: a -= src; break;
                        case BPF_MUL: a *= src; break;
                        case BPF_DIV:
                                if (src == 0)
                                        return -EINVAL;
                                a /= src;
                                break;
                        case BPF_MOD:
                                if (src == 0)
                                        return -EINVAL;
                                a %= src;
                                break;
                        case BPF_AND: a &= src; break;
                        case BPF_OR: a |= src; break;
                        case BPF_XOR: a ^= src; break;
                        case BPF_LSH: a = src < 32 ? a << src : 0; break;
                        case BPF_RSH: a = src < 32 ? a >> src : 0; break;
                        case BPF_NEG: a = 0 - a; break;
                        default:
                                return -EINVAL;
                        }
                        pc++;
                        break;
                case BPF_JMP: {
                        size_t next = pc + 1;
                        bool cond;

                        if (BPF_OP(in->code) == BPF_JA) {
                                if (k >= prog->len - next)
                                        return -EINVAL;
                                pc = next + k;
                                break;
                        }
                        src = BPF_SRC(in->code) == BPF_X ? x : k;
                        switch (BPF_OP(in->code)) {
                        case BPF_JEQ: cond = a == src; break;
                        case BPF_JGT: cond = a > src; break;
                        case BPF_JGE: cond = a >= src; break;
                        case BPF_JSET: cond = (a & src) != 0; break;
                        default:
                                return -EINVAL;
                        }
                        if (next + in->jt >= prog->len || next + in->jf >= prog->len)
                                return -EINVAL;
                        pc = next + (cond ? in->jt : in->jf);
                        break;
                }
                case BPF_RET:
                        if (BPF_RVAL(in->code) == BPF_K)
                                *ret = k;
                        else if (BPF_RVAL(in->code) == BPF_A)
                                *ret = a;
                        else
                                return -EINVAL;
                        return 0;
                case BPF_MISC:
                        if (BPF_MISCOP(in->code) == BPF_TAX)
                                x = a;
                        else
                                a = x;
                        pc++;
                        break;
                default:
                        return -EINVAL;
                }
        }
        return -EINVAL;
}
