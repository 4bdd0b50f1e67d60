/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* av_ns_init_idle(bool unmap, unsigned long page_size): the last steps of a PID namespace's init (see
 * sandbox-ns.h). The init is a fork of the daemon: it unmaps every page of
 * its copy but the one(s) holding this code, so that it neither keeps a
 * snapshot of the daemon's memory alive nor looks large to the OOM killer,
 * and then sleeps forever. From the first munmap on it touches no memory:
 * registers only, no stack. unmap false: only sleeps. Never returns. */

#if defined(__x86_64__)

        .text
        .globl  av_ns_init_idle
        .hidden av_ns_init_idle
        .type   av_ns_init_idle, @function
av_ns_init_idle:
        .cfi_startproc
        testb   %dil, %dil
        jz      1f
        movq    %rsi, %r13
        negq    %r13                        /* ~(page_size - 1) */
        leaq    av_ns_init_idle(%rip), %rbx
        andq    %r13, %rbx                  /* first page to keep */
        leaq    3f(%rip), %r12
        leaq    -1(%r12,%rsi), %r12
        andq    %r13, %r12                  /* first page after it */
        xorl    %edi, %edi
        movq    %rbx, %rsi
        movl    $11, %eax                   /* munmap(0, keep) */
        syscall
        movq    %r12, %rdi
        movabsq $0x7ffffffff000, %rsi       /* TASK_SIZE_MAX with 4-level paging */
        subq    %r12, %rsi
        movl    $11, %eax                   /* munmap(end, rest) */
        syscall
1:
        movl    $34, %eax                   /* pause() */
        syscall
        jmp     1b
3:
        .cfi_endproc
        .size   av_ns_init_idle, .-av_ns_init_idle

#elif defined(__aarch64__)

        .text
        .globl  av_ns_init_idle
        .hidden av_ns_init_idle
        .type   av_ns_init_idle, %function
av_ns_init_idle:
        .cfi_startproc
        cbz     w0, 1f
        neg     x21, x1                     /* ~(page_size - 1) */
        adr     x19, av_ns_init_idle
        and     x19, x19, x21               /* first page to keep */
        adr     x20, 3f
        add     x20, x20, x1
        sub     x20, x20, #1
        and     x20, x20, x21               /* first page after it */
        mov     x0, #0
        mov     x1, x19
        mov     x8, #215                    /* munmap(0, keep) */
        svc     #0
        mov     x1, #0x1000000000000        /* 48-bit address space */
        sub     x1, x1, x20
        mov     x0, x20
        mov     x8, #215                    /* munmap(end, rest) */
        svc     #0
        cbz     x0, 1f
        mov     x1, #0x800000000000         /* 47-bit address space (16 KiB pages) */
        sub     x1, x1, x20
        mov     x0, x20
        mov     x8, #215
        svc     #0
        cbz     x0, 1f
        mov     x1, #0x8000000000           /* 39-bit address space */
        sub     x1, x1, x20
        mov     x0, x20
        mov     x8, #215
        svc     #0
1:
        mov     x0, #0
        mov     x1, #0
        mov     x2, #0
        mov     x3, #0
        mov     x4, #0
        mov     x8, #73                     /* ppoll(NULL, 0, NULL, NULL, 0): forever */
        svc     #0
        b       1b
3:
        .cfi_endproc
        .size   av_ns_init_idle, .-av_ns_init_idle

#else
#error "ns-init.S is only built for x86_64 and aarch64 (HAVE_CLONE3_ASM)"
#endif

        .section .note.GNU-stack, "", %progbits
