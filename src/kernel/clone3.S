/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* av_clone3(args, size, fn, arg): the raw clone3 system call. With CLONE_VM
 * the child must not return into the caller's frames (they live on the
 * parent's stack), so it calls fn(arg) on the new stack the kernel gave it
 * and ends with exit_group(fn's result). The parent gets the raw result:
 * the child's pid or a negative errno. */

#if defined(__x86_64__)

        .text
        .globl  av_clone3
        .hidden av_clone3
        .type   av_clone3, @function
av_clone3:
        .cfi_startproc
        /* syscall clobbers rcx and r11; keep fn and arg where it does not. */
        movq    %rdx, %r8
        movq    %rcx, %r9
        movl    $435, %eax                  /* __NR_clone3 */
        syscall
        testq   %rax, %rax
        jz      1f
        ret
1:
        .cfi_undefined rip
        xorl    %ebp, %ebp
        movq    %r9, %rdi
        call    *%r8
        movl    %eax, %edi
        movl    $231, %eax                  /* __NR_exit_group */
        syscall
        hlt
        .cfi_endproc
        .size   av_clone3, .-av_clone3

/* av_syscall4(nr, a1, a2, a3, a4): a raw system call that returns the
 * kernel's result (-errno on failure) and leaves errno alone: the spawn
 * parent uses it while its child, which shares its memory and so its
 * errno, runs (spawn-listener.c). */
        .globl  av_syscall4
        .hidden av_syscall4
        .type   av_syscall4, @function
av_syscall4:
        .cfi_startproc
        movq    %rdi, %rax
        movq    %rsi, %rdi
        movq    %rdx, %rsi
        movq    %rcx, %rdx
        movq    %r8, %r10
        syscall
        ret
        .cfi_endproc
        .size   av_syscall4, .-av_syscall4

/* av_syscall5(nr, a1, a2, a3, a4, a5): the same with a fifth argument. */
        .globl  av_syscall5
        .hidden av_syscall5
        .type   av_syscall5, @function
av_syscall5:
        .cfi_startproc
        movq    %rdi, %rax
        movq    %rsi, %rdi
        movq    %rdx, %rsi
        movq    %rcx, %rdx
        movq    %r8, %r10
        movq    %r9, %r8
        syscall
        ret
        .cfi_endproc
        .size   av_syscall5, .-av_syscall5

#elif defined(__aarch64__)

        .text
        .globl  av_clone3
        .hidden av_clone3
        .type   av_clone3, %function
av_clone3:
        .cfi_startproc
        /* svc preserves every register but x0. */
        mov     x8, #435                    /* __NR_clone3 */
        svc     #0
        cbz     x0, 1f
        ret
1:
        .cfi_undefined x30
        mov     x29, #0
        mov     x30, #0
        mov     x0, x3
        blr     x2
        mov     x8, #94                     /* __NR_exit_group */
        svc     #0
        brk     #0
        .cfi_endproc
        .size   av_clone3, .-av_clone3

/* av_syscall4(nr, a1, a2, a3, a4): see the x86_64 version. */
        .globl  av_syscall4
        .hidden av_syscall4
        .type   av_syscall4, %function
av_syscall4:
        .cfi_startproc
        mov     x8, x0
        mov     x0, x1
        mov     x1, x2
        mov     x2, x3
        mov     x3, x4
        svc     #0
        ret
        .cfi_endproc
        .size   av_syscall4, .-av_syscall4

/* av_syscall5(nr, a1, a2, a3, a4, a5): see the x86_64 version. */
        .globl  av_syscall5
        .hidden av_syscall5
        .type   av_syscall5, %function
av_syscall5:
        .cfi_startproc
        mov     x8, x0
        mov     x0, x1
        mov     x1, x2
        mov     x2, x3
        mov     x3, x4
        mov     x4, x5
        svc     #0
        ret
        .cfi_endproc
        .size   av_syscall5, .-av_syscall5

#else
#error "clone3.S is only built for x86_64 and aarch64 (HAVE_CLONE3_ASM)"
#endif

        .section .note.GNU-stack, "", %progbits
