/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Paging long output on a terminal, the way systemctl does. */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "ctl-verbs.h"

static pid_t pager_pid;

void pager_open(void) {
        const char *pager;
        int fds[2];
        pid_t pid;

        if (pager_pid > 0 || !isatty(STDOUT_FILENO))
                return;

        pager = getenv("AGENTCTL_PAGER");
        if (!pager)
                pager = getenv("PAGER");
        if (pager && (!*pager || strcmp(pager, "cat") == 0))
                return;

        fflush(stdout);
        if (pipe2(fds, O_CLOEXEC) < 0)
                return;

        pid = fork();
        if (pid < 0) {
                safe_close(fds[0]);
                safe_close(fds[1]);
                return;
        }
        if (pid == 0) {
                if (dup2(fds[0], STDIN_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                /* Quit at one screen, keep colors, no init/deinit noise. */
                setenv("LESS", "FRSXMK", 0);
                if (pager)
                        execl("/bin/sh", "sh", "-c", pager, (char *) NULL);
                else
                        execlp("less", "less", (char *) NULL);
                /* No pager to be had: pass the output through unchanged. */
                execlp("cat", "cat", (char *) NULL);
                _exit(EXIT_FAILURE);
        }

        if (dup2(fds[1], STDOUT_FILENO) < 0) {
                safe_close(fds[0]);
                safe_close(fds[1]);
                return;
        }
        safe_close(fds[0]);
        safe_close(fds[1]);
        pager_pid = pid;

        /* The pager owns the terminal's ^C; agentctl just ends with it. */
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_DFL);
}

void pager_close(void) {
        if (pager_pid <= 0)
                return;

        fflush(stdout);
        fclose(stdout);
        (void) waitpid(pager_pid, NULL, 0);
        pager_pid = 0;
}
