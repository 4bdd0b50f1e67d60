/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentvisor-nsinit: PID 1 of an agent's PID namespace (PrivatePIDs=; see
 * sandbox-ns.h). A program of its own, with no C library: spawn() clones it
 * with CLONE_VM|CLONE_VFORK and it executes this at once, so a start pays
 * for a tiny exec instead of a copy of the daemon's address space and fd
 * table, whose cost grew with the number of agents running.
 *
 * It ignores SIGCHLD (the kernel then reaps the orphans it inherits), makes
 * a session of its own, leaves its working directory for /, closes every
 * fd it came with (none, as spawn() starts it), and sleeps forever with the
 * signals the daemon had blocked still blocked (all of them): only SIGKILL
 * ends it, from the daemon or from the kernel when the cgroup is killed.
 * Never run it by hand: outside a fresh PID namespace it merely sleeps. */

#if defined(__x86_64__)

        .text
        .globl  _start
        .type   _start, @function
_start:
        movl    $13, %eax                   /* rt_sigaction(SIGCHLD, &ignore, NULL, 8) */
        movl    $17, %edi
        leaq    ignore(%rip), %rsi
        xorl    %edx, %edx
        movl    $8, %r10d
        syscall
        movl    $112, %eax                  /* setsid() */
        syscall
        movl    $80, %eax                   /* chdir("/") */
        leaq    root(%rip), %rdi
        syscall
        movl    $436, %eax                  /* close_range(0, ~0U, 0) */
        xorl    %edi, %edi
        movl    $-1, %esi
        xorl    %edx, %edx
        syscall
1:
        movl    $34, %eax                   /* pause() */
        syscall
        jmp     1b
        .size   _start, .-_start

        .section .rodata
        .balign 8
ignore:                                     /* struct sigaction: SIG_IGN, no flags, restorer, mask */
        .quad   1, 0, 0, 0
root:
        .asciz  "/"

#elif defined(__aarch64__)

        .text
        .globl  _start
        .type   _start, %function
_start:
        mov     x0, #17                     /* rt_sigaction(SIGCHLD, &ignore, NULL, 8) */
        adr     x1, ignore
        mov     x2, #0
        mov     x3, #8
        mov     x8, #134
        svc     #0
        mov     x8, #157                    /* setsid() */
        svc     #0
        adr     x0, root                    /* chdir("/") */
        mov     x8, #49
        svc     #0
        mov     x0, #0                      /* close_range(0, ~0U, 0) */
        mov     x1, #0xffffffff
        mov     x2, #0
        mov     x8, #436
        svc     #0
1:
        mov     x0, #0                      /* ppoll(NULL, 0, NULL, NULL, 0): forever */
        mov     x1, #0
        mov     x2, #0
        mov     x3, #0
        mov     x4, #0
        mov     x8, #73
        svc     #0
        b       1b
        .size   _start, .-_start

        .balign 8
ignore:                                     /* struct sigaction: SIG_IGN, no flags, restorer, mask */
        .quad   1, 0, 0, 0
root:
        .asciz  "/"

#else
#error "agentvisor-nsinit: no entry code for this architecture"
#endif

        .section .note.GNU-stack, "", %progbits
