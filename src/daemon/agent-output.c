/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Agent output. With journald, the child writes straight into a stdout
 * stream whose identifier is the agent's name, at priority info with level
 * prefixes off: a line starting "<0>" is text, not a request to log at emerg.
 * A stream cannot carry a field per line that the sender chooses (journald
 * stamps only what it learns from the peer), so each invocation is tied to
 * its lines twice: the daemon sends a record with the fields AGENT= and
 * AGENT_INVOCATION_ID=, and writes the stream's first line, "agentvisor:
 * invocation ID", so that `journalctl _STREAM_ID=` of that line selects
 * exactly the lines of that invocation (journald processes its sockets in
 * its own order, so the record's position says nothing exact).
 *
 * Without journald, the child writes into a pipe and the daemon appends
 * what it reads to LogDirectory/NAME.log: a file the child held itself
 * could not be capped (RLIMIT_FSIZE would kill it with SIGXFSZ, and a file
 * renamed under it keeps growing). The daemon opens the file with
 * O_NOFOLLOW, writes only to a regular file, and rotates it to NAME.log.1
 * before it passes AGENT_OUTPUT_FILE_MAX. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "agent-output.h"
#include "log.h"

/* One pipe from one child (an invocation or a health check) to the file.
 * It lives as long as anyone holds the pipe's write end, which can be longer
 * than the Agent: it copies what it needs and is owned by the event loop.
 * The pipe's read end is its only fd between writes: the file (and so its
 * directory) is opened for each batch of output read at one wakeup, not held
 * for the agent's life, so that 10,000 quiet agents do not cost the daemon
 * 20,000 more fds. */
typedef struct OutputPipe OutputPipe;
struct OutputPipe {
        char *name;          /* the agent's, for the daemon's own log */
        char *file;          /* NAME.log, for messages */
        char *path;          /* LogDirectory/NAME.log */
        char *rotated;       /* LogDirectory/NAME.log.1 */
        int file_fd;         /* open during one batch only */
        int read_fd;         /* owned by the event source */
        dev_t dev;           /* the pipe's identity (fstat of read_fd), for */
        ino_t ino;           /* a daemon that takes the agent over after a crash */
        bool failed;         /* writing failed once (and was logged): drop the rest */
        sd_event_source *source; /* the loop's, floating: reads read_fd */
        /* The invocation's pipe or its health checks': the agent's
         * a->output_pipe or a->check_pipe points here and is cleared when the
         * pipe goes (the agent may go first: it sets owner to NULL then). */
        OutputPipe **owner;
};

static void output_pipe_free(void *userdata) {
        OutputPipe *p = userdata;

        if (!p)
                return;
        if (p->owner)
                *p->owner = NULL;
        safe_close(p->file_fd);
        free(p->name);
        free(p->file);
        free(p->path);
        free(p->rotated);
        free(p);
}

static void output_pipe_freep(OutputPipe **p) {
        output_pipe_free(*p);
}

static int open_output_file(OutputPipe *p) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        /* O_NONBLOCK: a FIFO planted here must not stall the open. */
        fd = open(p->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK, 0640);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        p->file_fd = TAKE_FD(fd);
        return 0;
}

static const char *open_error(int r) {
        switch (r) {
        case -ELOOP:
                return "it is a symbolic link";
        case -EBADFD:
        case -ENXIO:
                return "it is not a regular file";
        default:
                return strerror(-r);
        }
}

/* Makes file_fd the current NAME.log with room for n more bytes: opens it
 * at the batch's first write, rotates it when it is full. Every batch opens
 * the file by name again, so it always writes to the current NAME.log, also
 * after another pipe of the same agent (its health checks') rotated it. */
static int output_pipe_prepare(OutputPipe *p, size_t n) {
        struct stat st;
        int r;

        if (p->file_fd < 0) {
                r = open_output_file(p);
                if (r < 0)
                        return r;
        }
        if (fstat(p->file_fd, &st) < 0)
                return -errno;
        if (st.st_size == 0 || (uint64_t) st.st_size + n <= AGENT_OUTPUT_FILE_MAX)
                return 0;
        if (rename(p->path, p->rotated) < 0)
                return -errno;
        log_agent_notice(p->name, "output file %s reached %ju bytes: moved to %s.1, replacing older output",
                         p->file, (uintmax_t) st.st_size, p->file);
        p->file_fd = safe_close(p->file_fd);
        return open_output_file(p);
}

static void output_pipe_write(OutputPipe *p, const char *buf, size_t n) {
        int r;

        if (p->failed)
                return;
        r = output_pipe_prepare(p, n);
        while (r >= 0 && n > 0) {
                ssize_t k = write(p->file_fd, buf, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                buf += k;
                n -= (size_t) k;
        }
        if (r < 0) {
                /* The child keeps running; what it writes from now on is read
                 * and dropped, so that it never blocks on a full pipe. */
                p->failed = true;
                log_agent_warning(p->name, "cannot write its output to %s: %s; dropping the rest of it",
                                  p->file, open_error(r));
        }
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        OutputPipe *p = userdata;
        char buf[16384];

        /* A bounded amount per wakeup: a chatty agent must not keep the loop
         * from its timers and callers (the source is level-triggered). The
         * file is open for this batch only. */
        for (int i = 0; i < 4; i++) {
                ssize_t k = read(fd, buf, sizeof buf);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        break;
                if (k <= 0) {
                        /* Every writer is gone: take the source back from the
                         * loop and free it, which closes the pipe and frees p. */
                        sd_event_source_ref(s);
                        (void) sd_event_source_set_floating(s, false);
                        sd_event_source_disable_unref(s);
                        return 0;
                }
                output_pipe_write(p, buf, (size_t) k);
        }
        p->file_fd = safe_close(p->file_fd);
        return 0;
}

static int output_pipe_new(Agent *a, OutputPipe **ret) {
        Manager *m = a->manager;
        _cleanup_(output_pipe_freep) OutputPipe *p = NULL;

        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->file_fd = p->read_fd = -EBADF;
        p->name = strdup(a->name);
        if (!p->name || asprintf(&p->file, "%s.log", a->name) < 0 ||
            asprintf(&p->path, "%s/%s.log", m->config->log_directory, a->name) < 0 ||
            asprintf(&p->rotated, "%s/%s.log.1", m->config->log_directory, a->name) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

static void output_pipe_detach(OutputPipe **owner) {
        if (*owner) {
                (*owner)->owner = NULL;
                *owner = NULL;
        }
}

/* The loop owns p and read_fd from now on, also on failure. */
static int output_pipe_watch(Manager *m, OutputPipe *p, int read_fd, OutputPipe **owner) {
        sd_event_source *s = NULL;
        struct stat st;
        int r;

        if (fstat(read_fd, &st) >= 0) {
                p->dev = st.st_dev;
                p->ino = st.st_ino;
        }
        r = sd_event_add_io(m->event, &s, read_fd, EPOLLIN, on_output, p);
        if (r < 0) {
                safe_close(read_fd);
                output_pipe_free(p);
                return r;
        }
        p->read_fd = read_fd;
        p->source = s;
        (void) sd_event_source_set_io_fd_own(s, true);
        (void) sd_event_source_set_destroy_callback(s, output_pipe_free);
        /* Below the bus and the timers: output waits, the child blocks on a
         * full pipe meanwhile, as it would on a slow journald. */
        (void) sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IDLE);
        r = sd_event_source_set_floating(s, true);
        if (r >= 0 && owner) {
                /* p lives as long as s, which the loop now holds. An earlier
                 * pipe (leftovers of an ended invocation) is let go. */
                output_pipe_detach(owner);
                p->owner = owner;
                *owner = p;
        }
        sd_event_source_unref(s);
        return r;
}

/* Returns the write end of a new pipe to the file; owner: see OutputPipe. */
static int output_pipe_open(Agent *a, OutputPipe **owner) {
        Manager *m = a->manager;
        _cleanup_(output_pipe_freep) OutputPipe *p = NULL;
        _cleanup_close_ int write_fd = -EBADF;
        int pipe_fds[2];
        int r;

        r = output_pipe_new(a, &p);
        if (r < 0)
                return r;
        /* The file is opened (created) at the first output, not here: an
         * agent that says nothing leaves no empty file, and a start does
         * not wait for the file system to make one (on a disk, most of a
         * start's cost). A refused file or a missing LogDirectory is
         * reported then ("cannot write its output to ..."). */
        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return -errno;
        write_fd = pipe_fds[1];
        if (fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK) < 0) {
                safe_close(pipe_fds[0]);
                return -errno;
        }
        r = output_pipe_watch(m, TAKE_PTR(p), pipe_fds[0], owner);
        if (r < 0)
                return r;
        return TAKE_FD(write_fd);
}

int agent_output_adopt(Agent *a, int read_fd) {
        OutputPipe *p = NULL;
        int r;

        if (!a->manager->config->log_directory) {
                safe_close(read_fd);
                return -EBADF;
        }
        r = output_pipe_new(a, &p);
        if (r < 0) {
                safe_close(read_fd);
                return r;
        }
        if (fcntl(read_fd, F_SETFD, FD_CLOEXEC) < 0 || fcntl(read_fd, F_SETFL, O_NONBLOCK) < 0) {
                safe_close(read_fd);
                output_pipe_free(p);
                return -errno;
        }
        return output_pipe_watch(a->manager, p, read_fd, &a->output_pipe);
}

int agent_output_read_fd(const Agent *a, dev_t *ret_dev, ino_t *ret_ino) {
        if (!a->output_pipe)
                return -ENOENT;
        if (ret_dev)
                *ret_dev = a->output_pipe->dev;
        if (ret_ino)
                *ret_ino = a->output_pipe->ino;
        return a->output_pipe->read_fd;
}

/* See the top of the file. The stream is fresh (its buffer is empty), and
 * MSG_DONTWAIT keeps even a stalled journald from blocking the daemon. */
static void journal_announce(Agent *a, int fd) {
        char id[SD_ID128_STRING_MAX], line[128];
        int n;

        (void) sd_id128_to_string(a->invocation_id, id);
        (void) sd_journal_send("MESSAGE=agent %s: invocation %s writes its output under identifier %s",
                               a->name, id, a->name,
                               "PRIORITY=%d", LOG_INFO,
                               "AGENT=%s", a->name,
                               "AGENT_INVOCATION_ID=%s", id,
                               NULL);
        n = snprintf(line, sizeof line, "agentvisor: invocation %s\n", id);
        (void) send(fd, line, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

int agent_output_open(Agent *a, bool invocation) {
        Manager *m = a->manager;
        int fd;

        /* StandardOutput=null: nothing to open; the spawn child points 1
         * and 2 at the /dev/null it opens for stdin. */
        if (a->spec.standard_output == STANDARD_OUTPUT_NULL)
                return -ENOENT;
        if (m->journal) {
                fd = sd_journal_stream_fd(a->name, LOG_INFO, /* level_prefix= */ 0);
                if (fd >= 0) {
                        if (invocation)
                                journal_announce(a, fd);
                        return fd;
                }
        }
        if (!m->config->log_directory)
                return -EBADF;
        /* The invocation's pipe is the Agent's, for Reexecute to pass on. */
        return output_pipe_open(a, invocation ? &a->output_pipe : NULL);
}

/* Another write end of the checks' pipe, which a leftover child of an
 * earlier check still holds open: opening a pipe through /proc gives a new
 * open file on that same pipe. The daemon's own write end went right after
 * that check's spawn (agent_output_check_done()). */
static int output_pipe_reopen(OutputPipe *p) {
        char path[64];
        _cleanup_close_ int fd = -EBADF;

        snprintf(path, sizeof path, "/proc/self/fd/%d", p->read_fd);
        /* O_NONBLOCK for the open only: a pipe's write side opens at once
         * when a reader is there (this read end), and never waits for one.
         * The child gets a blocking fd, as it would from pipe2(). */
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fcntl(fd, F_SETFL, 0) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int agent_output_check_fd(Agent *a) {
        int fd;

        if (a->check_output_fd >= 0)
                return a->check_output_fd;
        /* The checks' output follows the agent's. */
        if (a->spec.standard_output == STANDARD_OUTPUT_NULL)
                return -ENOENT;
        if (a->check_pipe) {
                fd = output_pipe_reopen(a->check_pipe);
                if (fd >= 0) {
                        a->check_output_fd = fd;
                        return fd;
                }
                /* Without /proc: a new pipe, and this one lives on for its
                 * leftovers only. */
                log_agent_full(LOG_DEBUG, a->name, "cannot reopen its health checks' output pipe: %s", strerror(-fd));
                output_pipe_detach(&a->check_pipe);
        }
        if (a->manager->journal) {
                fd = sd_journal_stream_fd(a->name, LOG_INFO, /* level_prefix= */ 0);
                if (fd >= 0) {
                        a->check_output_fd = fd;
                        return fd;
                }
        }
        if (!a->manager->config->log_directory)
                return -EBADF;
        fd = output_pipe_open(a, &a->check_pipe);
        if (fd < 0)
                return fd;
        a->check_output_fd = fd;
        return fd;
}

void agent_output_check_done(Agent *a) {
        /* A journal stream cannot be opened again, so the invocation's
         * checks keep sharing one (one fd while the invocation runs, and no
         * new journald connection for each check that leaves a child). The
         * file pipe can: the daemon holds nothing of it between checks but
         * the read end, and that only while a check's leftovers hold the
         * write end. */
        if (a->check_pipe)
                a->check_output_fd = safe_close(a->check_output_fd);
}

/* At the end of an invocation: what is left in the pipe is read now, and
 * the pipe freed at once if no one holds its write end any more (the usual
 * case). Left to its idle-priority source, a hung-up pipe is reported by
 * every epoll_wait until the loop is idle, which under a stream of starts
 * was seconds and a hundred pipes later. */
static void output_pipe_drain(OutputPipe *p) {
        if (p && p->source)
                (void) on_output(p->source, p->read_fd, EPOLLIN, p);
}

void agent_output_check_close(Agent *a) {
        /* The file pipe's read end goes once the checks' leftover children
         * (killed with the agent's cgroup) are gone too. */
        output_pipe_drain(a->output_pipe);
        output_pipe_drain(a->check_pipe);
        a->check_output_fd = safe_close(a->check_output_fd);
        output_pipe_detach(&a->check_pipe);
        output_pipe_detach(&a->output_pipe);
}
