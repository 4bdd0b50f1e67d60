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

typedef struct Machine {
        uint32_t a, x;
        uint32_t mem[BPF_MEMWORDS];
} Machine;

/* BPF_LD and BPF_LDX. */
static int exec_load(Machine *m, const struct sock_filter *in, const struct seccomp_data *data) {
        uint32_t k = in->k;

        if (in->code == (BPF_LD | BPF_W | BPF_ABS))
                return load_word(data, k, &m->a);
        if (in->code == (BPF_LD | BPF_W | BPF_LEN))
                m->a = sizeof(*data);
        else if (in->code == (BPF_LD | BPF_IMM))
                m->a = k;
        else if (in->code == (BPF_LD | BPF_MEM) && k < BPF_MEMWORDS)
                m->a = m->mem[k];
        else if (in->code == (BPF_LDX | BPF_W | BPF_LEN))
                m->x = sizeof(*data);
        else if (in->code == (BPF_LDX | BPF_IMM))
                m->x = k;
        else if (in->code == (BPF_LDX | BPF_MEM) && k < BPF_MEMWORDS)
                m->x = m->mem[k];
        else
                return -EINVAL;
        return 0;
}

static int exec_alu(Machine *m, const struct sock_filter *in) {
        uint32_t src = BPF_SRC(in->code) == BPF_X ? m->x : in->k;

        switch (BPF_OP(in->code)) {
        case BPF_ADD: m->a += src; break;
        case BPF_SUB: m->a -= src; break;
        case BPF_MUL: m->a *= src; break;
        case BPF_DIV:
                if (src == 0)
                        return -EINVAL;
                m->a /= src;
                break;
        case BPF_MOD:
                if (src == 0)
                        return -EINVAL;
                m->a %= src;
                break;
        case BPF_AND: m->a &= src; break;
        case BPF_OR: m->a |= src; break;
        case BPF_XOR: m->a ^= src; break;
        case BPF_LSH: m->a = src < 32 ? m->a << src : 0; break;
        case BPF_RSH: m->a = src < 32 ? m->a >> src : 0; break;
        case BPF_NEG: m->a = 0 - m->a; break;
        default:
                return -EINVAL;
        }
        return 0;
}

/* The instruction after the jump at *pc; -EINVAL for one out of the program. */
static int exec_jump(const Machine *m, const struct sock_filter *in, size_t len, size_t *pc) {
        size_t next = *pc + 1;
        uint32_t src;
        bool cond;

        if (BPF_OP(in->code) == BPF_JA) {
                if (in->k >= len - next)
                        return -EINVAL;
                *pc = next + in->k;
                return 0;
        }
        src = BPF_SRC(in->code) == BPF_X ? m->x : in->k;
        switch (BPF_OP(in->code)) {
        case BPF_JEQ: cond = m->a == src; break;
        case BPF_JGT: cond = m->a > src; break;
        case BPF_JGE: cond = m->a >= src; break;
        case BPF_JSET: cond = (m->a & src) != 0; break;
        default:
                return -EINVAL;
        }
        if (next + in->jt >= len || next + in->jf >= len)
                return -EINVAL;
        *pc = next + (cond ? in->jt : in->jf);
        return 0;
}

int bpf_run(const struct sock_fprog *prog, const struct seccomp_data *data, uint32_t *ret) {
        Machine m = {};
        size_t pc = 0;

        if (!prog || prog->len == 0 || prog->len > BPF_MAXINSNS)
                return -EINVAL;

        while (pc < prog->len) {
                const struct sock_filter *in = &prog->filter[pc];
                int r = 0;

                switch (BPF_CLASS(in->code)) {
                case BPF_LD:
                case BPF_LDX:
                        r = exec_load(&m, in, data);
                        break;
                case BPF_ST:
                case BPF_STX:
                        if (in->k >= BPF_MEMWORDS)
                                return -EINVAL;
                        m.mem[in->k] = BPF_CLASS(in->code) == BPF_ST ? m.a : m.x;
                        break;
                case BPF_ALU:
                        r = exec_alu(&m, in);
                        break;
                case BPF_JMP:
                        r = exec_jump(&m, in, prog->len, &pc);
                        if (r < 0)
                                return r;
                        continue;
                case BPF_RET:
                        if (BPF_RVAL(in->code) == BPF_K)
                                *ret = in->k;
                        else if (BPF_RVAL(in->code) == BPF_A)
                                *ret = m.a;
                        else
                                return -EINVAL;
                        return 0;
                case BPF_MISC:
                        if (BPF_MISCOP(in->code) == BPF_TAX)
                                m.x = m.a;
                        else
                                m.a = m.x;
                        break;
                default:
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
                pc++;
        }
        return -EINVAL;
}
