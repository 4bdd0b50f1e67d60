/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Generates the classic BPF program for a parsed policy.
 *
 * Layout: arch check, "above the highest known number" check (ENOSYS, or a
 * kill for real x32 numbers on x86-64), a binary search over syscall-number
 * ranges, per-syscall condition blocks, return instructions. The program is
 * written back to front: every BPF jump goes forward, so each jump's target
 * already exists when the jump is written and its distance is known. A
 * conditional jump reaches at most 255 instructions; a farther target gets a
 * trampoline right behind the jump (a copy of the target when it is a
 * return, else an unconditional `ja`).
 *
 * libseccomp is not used for this because it drops a syscall's conditional
 * rules when an unconditional one exists and cannot compare only the low 32
 * (or 16) bits of an argument. */
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "policy-internal.h"

#define X32_SYSCALL_BIT 0x40000000U
/* x32 syscall numbers are X32_SYSCALL_BIT + n with n below this. */
#define X32_SYSCALL_MAX 1024U
#define JUMP_MAX 255U

/* A jump target: an emitted instruction (by its index from the end of the
 * program) or a return value, materialised near the jump on demand. */
typedef struct Target {
        bool ret;
        uint32_t value;         /* index from the end, or the return value */
} Target;

#define TARGET_LABEL(l) ((Target) { .ret = false, .value = (l) })
#define TARGET_RET(v) ((Target) { .ret = true, .value = (v) })

typedef struct RetCopy {
        uint32_t value;
        uint32_t index;         /* the copy nearest to the front so far */
} RetCopy;

typedef struct Emitter {
        struct sock_filter *insns;      /* in reverse: insns[0] is the last instruction */
        size_t n, allocated;
        RetCopy rets[16];
        size_t n_rets;
        int error;
        PolicyFilterKind kind;          /* how the policy's actions are mapped */
} Emitter;

/* The syscalls the spawn child makes after the notify filter is loaded
 * (futex while the daemon takes the listener, seccomp loads the enforce
 * filter, execve, exit_group on failure; see spawn-listener.c). The daemon
 * waits for the exec and cannot read the listener then, so the notify and
 * learn filters never send these to it: they keep their action in the
 * enforce filter, unreported. */
static bool never_notified(int nr) {
        static const char * const names[] = { "futex", "seccomp", "execve", "exit_group" };

        if (nr < 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (syscall_resolve(names[i]) == nr)
                        return true;
        return false;
}

uint32_t policy_filter_action(PolicyFilterKind kind, int nr, uint32_t action) {
        bool report = action & POLICY_ACTION_REPORT;
        uint32_t real = action & ~POLICY_ACTION_REPORT;

        switch (kind) {
        case POLICY_FILTER_ENFORCE:
                return report && !never_notified(nr) ? SECCOMP_RET_ALLOW : real;
        case POLICY_FILTER_NOTIFY:
                return report && !never_notified(nr) ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_ALLOW;
        case POLICY_FILTER_LEARN:
                return real == SECCOMP_RET_ALLOW || never_notified(nr) ? SECCOMP_RET_ALLOW
                                                                      : SECCOMP_RET_USER_NOTIF;
        default:
                return real;
        }
}

static uint32_t emit(Emitter *e, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
        if (e->error < 0)
                return 0;
        if (e->n >= BPF_MAXINSNS) {
                e->error = -E2BIG;
                return 0;
        }
        if (e->n == e->allocated) {
                size_t n = e->allocated ? e->allocated * 2 : 256;
                struct sock_filter *p = reallocarray(e->insns, n, sizeof(struct sock_filter));
                if (!p) {
                        e->error = -ENOMEM;
                        return 0;
                }
                e->insns = p;
                e->allocated = n;
        }
        e->insns[e->n] = (struct sock_filter) { .code = code, .jt = jt, .jf = jf, .k = k };
        return (uint32_t) e->n++;
}

static RetCopy *ret_copy_find(Emitter *e, uint32_t value) {
        for (size_t i = 0; i < e->n_rets; i++)
                if (e->rets[i].value == value)
                        return &e->rets[i];
        return NULL;
}

static uint32_t emit_ret(Emitter *e, uint32_t value) {
        uint32_t index = emit(e, BPF_RET | BPF_K, 0, 0, value);
        RetCopy *c = ret_copy_find(e, value);

        if (e->error < 0)
                return 0;
        if (c)
                c->index = index;
        else if (e->n_rets < ELEMENTSOF(e->rets))
                e->rets[e->n_rets++] = (RetCopy) { .value = value, .index = index };
        return index;
}

/* Distance from an instruction about to be written at index `at` to `t`;
 * UINT32_MAX when t is a return with no copy yet. */
static uint32_t distance(Emitter *e, Target t, size_t at) {
        uint32_t index = t.value;

        if (t.ret) {
                RetCopy *c = ret_copy_find(e, t.value);
                if (!c)
                        return UINT32_MAX;
                index = c->index;
        }
        return (uint32_t) (at - index - 1);
}

/* Writes what makes `t` reachable as the very next instruction. */
static void emit_trampoline(Emitter *e, Target t) {
        if (t.ret)
                (void) emit_ret(e, t.value);
        else
                (void) emit(e, BPF_JMP | BPF_JA, 0, 0, (uint32_t) (e->n - t.value - 1));
}

/* The index of an instruction that continues at `t`, writing an
 * unconditional jump (or return) only when `t` is not the next one. */
static uint32_t emit_goto(Emitter *e, Target t) {
        if (!t.ret && t.value + 1 == e->n)
                return t.value;
        if (t.ret) {
                RetCopy *c = ret_copy_find(e, t.value);
                if (c && c->index + 1 == e->n)
                        return c->index;
        }
        emit_trampoline(e, t);
        return (uint32_t) e->n - 1;
}

static bool target_eq(Target a, Target b) {
        return a.ret == b.ret && a.value == b.value;
}

static uint32_t emit_jump(Emitter *e, uint16_t op, uint32_t k, Target jt, Target jf) {
        bool same = target_eq(jt, jf), far_t = false, far_f = false;
        uint32_t dt, df;
        size_t at;

        /* Trampolines move the jump back, which may push the other target
         * out of reach too; two rounds settle it. */
        for (int round = 0; round < 2; round++) {
                at = e->n + far_t + (far_f && !same);
                far_t = far_t || distance(e, jt, at) > JUMP_MAX;
                far_f = same ? far_t : far_f || distance(e, jf, at) > JUMP_MAX;
        }

        if (far_f && !same)
                emit_trampoline(e, jf);
        if (far_t)
                emit_trampoline(e, jt);
        if (e->error < 0)
                return 0;

        at = e->n;
        dt = far_t ? 0 : distance(e, jt, at);
        if (far_f)
                df = same || !far_t ? 0 : 1;
        else
                df = distance(e, jf, at);
        return emit(e, BPF_JMP | op | BPF_K, (uint8_t) dt, (uint8_t) df, k);
}

static uint32_t emit_load(Emitter *e, uint32_t offset) {
        return emit(e, BPF_LD | BPF_W | BPF_ABS, 0, 0, offset);
}

static uint32_t arg_offset(unsigned arg, bool high) {
        uint32_t base = (uint32_t) offsetof(struct seccomp_data, args) + arg * (uint32_t) sizeof(uint64_t);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return base + (high ? 4 : 0);
#else
        return base + (high ? 0 : 4);
#endif
}

/* Compares A (already loaded and masked) with k, going to t or f. */
static Target emit_compare(Emitter *e, PolicyOp op, uint32_t k, Target t, Target f) {
        switch (op) {
        case POLICY_OP_EQ:
                return TARGET_LABEL(emit_jump(e, BPF_JEQ, k, t, f));
        case POLICY_OP_NE:
                return TARGET_LABEL(emit_jump(e, BPF_JEQ, k, f, t));
        case POLICY_OP_GT:
                return TARGET_LABEL(emit_jump(e, BPF_JGT, k, t, f));
        case POLICY_OP_GE:
                return TARGET_LABEL(emit_jump(e, BPF_JGE, k, t, f));
        case POLICY_OP_LT:
                return TARGET_LABEL(emit_jump(e, BPF_JGE, k, f, t));
        case POLICY_OP_LE:
                return TARGET_LABEL(emit_jump(e, BPF_JGT, k, f, t));
        default:
                e->error = -EINVAL;
                return t;
        }
}

/* Loads one 32-bit half, masks it and compares it. */
static Target emit_half(Emitter *e, unsigned arg, bool high, bool masked, uint32_t mask, PolicyOp op,
                        uint32_t value, Target t, Target f) {
        (void) emit_compare(e, op, value, t, f);
        if (masked)
                (void) emit(e, BPF_ALU | BPF_AND | BPF_K, 0, 0, mask);
        return TARGET_LABEL(emit_load(e, arg_offset(arg, high)));
}

static bool compare_static(PolicyOp op, uint64_t a, uint64_t b) {
        switch (op) {
        case POLICY_OP_EQ: return a == b;
        case POLICY_OP_NE: return a != b;
        case POLICY_OP_LT: return a < b;
        case POLICY_OP_LE: return a <= b;
        case POLICY_OP_GT: return a > b;
        case POLICY_OP_GE: return a >= b;
        default: return false;
        }
}

static Target emit_condition(Emitter *e, const PolicyCondition *c, unsigned width, Target t, Target f) {
        uint32_t vl = (uint32_t) c->value, vh = (uint32_t) (c->value >> 32);
        uint32_t ml = (uint32_t) c->mask, mh = (uint32_t) (c->mask >> 32);
        Target lo_entry;

        /* The kernel ignores the bits above a narrow argument; so do we. A
         * 16-bit one (umode_t) sits in the low half with its upper 16 bits
         * masked off, whether the rule has a mask or not. */
        if (width == 16)
                return emit_half(e, c->arg, false, true, (c->masked ? ml : UINT32_MAX) & 0xffffU, c->op, vl,
                                 t, f);
        if (width == 32)
                return emit_half(e, c->arg, false, c->masked, ml, c->op, vl, t, f);

        /* A mask without upper bits makes the upper half 0: the outcome of
         * the upper comparison is known now. */
        if (c->masked && mh == 0) {
                if (vh == 0)
                        return emit_half(e, c->arg, false, true, ml, c->op, vl, t, f);
                return compare_static(c->op, 0, c->value) ? t : f;
        }

        switch (c->op) {
        case POLICY_OP_EQ:
        case POLICY_OP_NE: {
                bool eq = c->op == POLICY_OP_EQ;
                lo_entry = emit_half(e, c->arg, false, c->masked, ml, POLICY_OP_EQ, vl, eq ? t : f, eq ? f : t);
                return emit_half(e, c->arg, true, c->masked, mh, POLICY_OP_EQ, vh, lo_entry, eq ? f : t);
        }
        case POLICY_OP_GT:
        case POLICY_OP_GE:
        case POLICY_OP_LT:
        case POLICY_OP_LE: {
                bool greater = c->op == POLICY_OP_GT || c->op == POLICY_OP_GE;
                Target above = greater ? t : f, below = greater ? f : t;
                Target eq_hi;

                /* Upper halves decide unless equal; then the lower halves,
                 * compared with the same operator, decide. */
                lo_entry = emit_half(e, c->arg, false, c->masked, ml, c->op, vl, t, f);
                eq_hi = TARGET_LABEL(emit_jump(e, BPF_JEQ, vh, lo_entry, below));
                (void) emit_jump(e, BPF_JGT, vh, above, eq_hi);
                if (c->masked)
                        (void) emit(e, BPF_ALU | BPF_AND | BPF_K, 0, 0, mh);
                return TARGET_LABEL(emit_load(e, arg_offset(c->arg, true)));
        }
        default:
                e->error = -EINVAL;
                return f;
        }
}

/* All conditions must hold: each one's success leads to the next. */
static Target emit_rule(Emitter *e, int nr, const PolicyRule *rule, uint8_t arg32, uint8_t arg16,
                        Target no_match) {
        Target next = TARGET_RET(policy_filter_action(e->kind, nr, rule->action));

        for (unsigned j = rule->conditions->n_conditions; j > 0; j--) {
                const PolicyCondition *c = &rule->conditions->conditions[j - 1];
                unsigned width = arg16 & (1U << c->arg) ? 16 : arg32 & (1U << c->arg) ? 32 : 64;

                next = emit_condition(e, c, width, next, no_match);
        }
        return next;
}

/* Rules are checked from the last written to the first; the first that
 * matches decides, and when none does the default (or the syscall's
 * unconditional rule, which is always rules[0]) applies. */
static Target emit_syscall(Emitter *e, int nr, const PolicyRuleList *l, uint8_t arg32, uint8_t arg16,
                           uint32_t default_action) {
        Target next = TARGET_RET(policy_filter_action(e->kind, nr, default_action));
        unsigned first = 0;

        if (l->n_rules > 0 && !l->rules[0].conditions) {
                next = TARGET_RET(policy_filter_action(e->kind, nr, l->rules[0].action));
                first = 1;
        }
        for (unsigned i = first; i < l->n_rules; i++)
                next = emit_rule(e, nr, &l->rules[i], arg32, arg16, next);
        return next;
}

typedef struct Range {
        uint32_t first;         /* lowest syscall number of the range */
        Target target;
} Range;

static Target emit_search(Emitter *e, const Range *ranges, size_t lo, size_t hi) {
        size_t mid;
        Target left, right;

        if (lo == hi)
                return ranges[lo].target;
        mid = lo + (hi - lo + 1) / 2;
        right = emit_search(e, ranges, mid, hi);
        left = emit_search(e, ranges, lo, mid - 1);
        return TARGET_LABEL(emit_jump(e, BPF_JGE, ranges[mid].first, right, left));
}

/* The search over syscall numbers: the behaviour of each number, merged
 * into ranges of equal behaviour, found by a binary search. */
static int emit_numbers(Emitter *e, const Policy *p, const SyscallTable *t, Target *ret) {
        _cleanup_free_ Range *ranges = NULL;
        size_t n_ranges = 0;

        ranges = calloc((size_t) t->max_nr + 2, sizeof(Range));
        if (!ranges)
                return -ENOMEM;

        for (int nr = 0; nr <= t->max_nr; nr++) {
                const PolicyRuleList *l = &p->syscalls[nr];
                Target target;

                if (!t->names[nr])
                        target = TARGET_RET(SECCOMP_RET_ERRNO | ENOSYS);
                else if (l->n_rules == 0)
                        target = TARGET_RET(policy_filter_action(e->kind, nr, p->default_action));
                else if (l->n_rules == 1 && !l->rules[0].conditions)
                        target = TARGET_RET(policy_filter_action(e->kind, nr, l->rules[0].action));
                else
                        target = emit_syscall(e, nr, l, t->arg32[nr], t->arg16[nr], p->default_action);

                if (n_ranges > 0 && target_eq(ranges[n_ranges - 1].target, target))
                        continue;
                ranges[n_ranges++] = (Range) { .first = (uint32_t) nr, .target = target };
        }

        *ret = n_ranges > 0 ? emit_search(e, ranges, 0, n_ranges - 1) : TARGET_RET(SECCOMP_RET_ERRNO | ENOSYS);
        return 0;
}

/* Above the highest known number: ENOSYS, as the kernel answers
 * (-1, which libc probes with, and every other bogus or negative
 * number), except real x32 syscalls on x86-64, which kill.
 *
 * The kernel runs an x32 syscall for 0x40000000 + n only when n is
 * below its x32 table size (do_syscall_x32(): nr - __X32_SYSCALL_BIT
 * < X32_NR_syscalls, about 550), and answers ENOSYS for any other
 * number with bit 30 set, such as 0x7fffffff or 0xc0000000. So the
 * kill covers [0x40000000, 0x40000000 + 1024): every x32 number
 * there is, with room for the x32 table to grow (1024 is also our
 * native table's bound); only that margin kills for numbers the
 * kernel would merely refuse. Testing "bit 30 set, bit 31 clear"
 * instead would kill for about a billion such numbers. Only numbers above the table
 * get here, which keeps these checks off the path of every known
 * syscall. */
static Target emit_above_table(Emitter *e) {
        Target above = TARGET_RET(SECCOMP_RET_ERRNO | ENOSYS);
#if defined(__x86_64__) && !defined(__ILP32__)
        above = TARGET_LABEL(emit_jump(e, BPF_JGE, X32_SYSCALL_BIT, TARGET_RET(SECCOMP_RET_KILL_PROCESS),
                                       above));
        above = TARGET_LABEL(emit_jump(e, BPF_JGE, X32_SYSCALL_BIT + X32_SYSCALL_MAX,
                                       TARGET_RET(SECCOMP_RET_ERRNO | ENOSYS), above));
#endif
        return above;
}

int policy_compile_kind(const Policy *p, PolicyFilterKind kind, struct sock_fprog *ret, Diagnostic *diag) {
        const SyscallTable *t = syscall_table_get();
        Emitter e = { .kind = kind };
        Target entry, above;
        struct sock_filter *prog;
        int r;

        /* Return instructions first, so the common ones sit at the end. */
        (void) emit_ret(&e, SECCOMP_RET_KILL_PROCESS);
        (void) emit_ret(&e, SECCOMP_RET_ERRNO | ENOSYS);
        (void) emit_ret(&e, policy_filter_action(kind, -1, p->default_action));

        r = emit_numbers(&e, p, t, &entry);
        if (r < 0) {
                free(e.insns);
                return r;
        }
        entry = TARGET_LABEL(emit_goto(&e, entry));

        above = emit_above_table(&e);
        entry = TARGET_LABEL(emit_jump(&e, BPF_JGT, (uint32_t) t->max_nr, above, entry));
        entry = TARGET_LABEL(emit_load(&e, (uint32_t) offsetof(struct seccomp_data, nr)));
        (void) emit_jump(&e, BPF_JEQ, t->audit_arch, entry, TARGET_RET(SECCOMP_RET_KILL_PROCESS));
        (void) emit_load(&e, (uint32_t) offsetof(struct seccomp_data, arch));

        if (e.error < 0) {
                free(e.insns);
                if (e.error == -E2BIG)
                        diag_set(diag, p->name, 0, 0, "",
                                 "the compiled filter is larger than %u instructions", BPF_MAXINSNS);
                return e.error;
        }

        prog = malloc(e.n * sizeof(struct sock_filter));
        if (!prog) {
                free(e.insns);
                return -ENOMEM;
        }
        for (size_t i = 0; i < e.n; i++)
                prog[i] = e.insns[e.n - 1 - i];
        free(e.insns);

        *ret = (struct sock_fprog) { .len = (unsigned short) e.n, .filter = prog };
        return 0;
}

static bool policy_reports(const Policy *p) {
        if (p->default_action & POLICY_ACTION_REPORT)
                return true;
        for (unsigned nr = 0; nr < p->n_syscalls; nr++)
                for (unsigned i = 0; i < p->syscalls[nr].n_rules; i++)
                        if (p->syscalls[nr].rules[i].action & POLICY_ACTION_REPORT)
                                return true;
        return false;
}

int policy_compile(Policy *p, Diagnostic *diag) {
        struct sock_fprog real = {}, enforce = {}, notify = {};
        int r;

        r = policy_compile_kind(p, POLICY_FILTER_REAL, &real, diag);
        if (r < 0)
                return r;
        if (policy_reports(p)) {
                r = policy_compile_kind(p, POLICY_FILTER_ENFORCE, &enforce, diag);
                if (r >= 0)
                        r = policy_compile_kind(p, POLICY_FILTER_NOTIFY, &notify, diag);
                if (r < 0) {
                        free(real.filter);
                        free(enforce.filter);
                        return r;
                }
        }

        free(p->filter.filter);
        free(p->enforce_filter.filter);
        free(p->notify_filter.filter);
        p->filter = real;
        p->enforce_filter = enforce;
        p->notify_filter = notify;
        return 0;
}
