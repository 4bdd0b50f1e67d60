/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state files' writer thread (see state-file.h, daemon-state.h):
 * writing a file atomically costs a file's creation, a write and a rename,
 * which on a disk-backed /run take a good part of a millisecond. The loop formats the text and queues it; this
 * thread does the I/O, in queue order, so a start or a restart never waits
 * for a disk. A newer text for a file still queued replaces the older one
 * (the file only ever needs its latest state); a removal is queued like a
 * write, so it cannot overtake one. Reexecute and SIGUSR2 drain the queue
 * before they go on. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state-file.h"
#include "log.h"

typedef struct Job {
        char *name;
        char *text;                      /* NULL: remove the file */
        struct Job *next;
} Job;

struct StateWriter {
        int dir_fd;                      /* the caller's */
        char *dir;
        pthread_t thread;
        bool started;
        pthread_mutex_t lock;
        pthread_cond_t work, idle;
        Job *head, *tail;
        bool busy, quit;
        int error;                       /* the first since the last drain */
};

static void job_free(Job *j) {
        free(j->name);
        free(j->text);
        free(j);
}

static int job_run(StateWriter *w, const Job *j) {
        int r;

        if (j->text)
                return state_file_write(w->dir_fd, j->name, j->text);
        r = unlinkat(w->dir_fd, j->name, 0) < 0 && errno != ENOENT ? -errno : 0;
        return r;
}

static void *writer_main(void *userdata) {
        StateWriter *w = userdata;

        pthread_mutex_lock(&w->lock);
        for (;;) {
                Job *j;
                int r;

                while (!w->head && !w->quit) {
                        w->busy = false;
                        pthread_cond_broadcast(&w->idle);
                        pthread_cond_wait(&w->work, &w->lock);
                }
                if (!w->head)
                        break;
                j = w->head;
                w->head = j->next;
                if (!w->head)
                        w->tail = NULL;
                w->busy = true;
                pthread_mutex_unlock(&w->lock);

                r = job_run(w, j);
                if (r < 0)
                        log_warning("Cannot %s the state file %s/%s: %s", j->text ? "write" : "remove", w->dir,
                                    j->name, strerror(-r));
                job_free(j);

                pthread_mutex_lock(&w->lock);
                if (r < 0 && w->error >= 0)
                        w->error = r;
        }
        w->busy = false;
        pthread_cond_broadcast(&w->idle);
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

int state_writer_new(int dir_fd, const char *dir, StateWriter **ret) {
        StateWriter *w = calloc(1, sizeof *w);

        if (!w)
                return -ENOMEM;
        w->dir_fd = dir_fd;
        w->dir = strdup(dir);
        if (!w->dir) {
                free(w);
                return -ENOMEM;
        }
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->work, NULL);
        pthread_cond_init(&w->idle, NULL);
        *ret = w;
        return 0;
}

/* Made at the first write. Every signal blocked in it: the daemon's
 * signals must reach its signalfd, not this thread. */
static int writer_start(StateWriter *w) {
        sigset_t all, old;
        int r;

        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = -pthread_create(&w->thread, NULL, writer_main, w);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r < 0)
                return r;
        w->started = true;
        return 0;
}

int state_writer_put(StateWriter *w, const char *name, char *text) {
        Job *j;
        int r;

        pthread_mutex_lock(&w->lock);
        for (j = w->head; j; j = j->next)
                if (strcmp(j->name, name) == 0)
                        break;
        if (j) {
                free(j->text);
                j->text = text;
                pthread_mutex_unlock(&w->lock);
                return 0;
        }
        pthread_mutex_unlock(&w->lock);

        j = calloc(1, sizeof *j);
        if (!j || !(j->name = strdup(name))) {
                free(j);
                free(text);
                return -ENOMEM;
        }
        j->text = text;
        if (!w->started) {
                r = writer_start(w);
                if (r < 0) {
                        /* No thread: the loop writes it itself. */
                        r = job_run(w, j);
                        job_free(j);
                        return r;
                }
        }
        pthread_mutex_lock(&w->lock);
        if (w->tail)
                w->tail->next = j;
        else
                w->head = j;
        w->tail = j;
        w->busy = true;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->lock);
        return 0;
}

int state_writer_drain(StateWriter *w) {
        int r;

        if (!w || !w->started)
                return 0;
        pthread_mutex_lock(&w->lock);
        while (w->head || w->busy)
                pthread_cond_wait(&w->idle, &w->lock);
        r = w->error;
        w->error = 0;
        pthread_mutex_unlock(&w->lock);
        return r;
}

StateWriter *state_writer_free(StateWriter *w) {
        if (!w)
                return NULL;
        if (w->started) {
                pthread_mutex_lock(&w->lock);
                w->quit = true;
                pthread_cond_signal(&w->work);
                pthread_mutex_unlock(&w->lock);
                pthread_join(w->thread, NULL);
        }
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->idle);
        free(w->dir);
        return mfree(w);
}
