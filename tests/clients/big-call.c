/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A bus client that sends oversized StartAgent and RunAgent calls, which
 * busctl cannot build (100,000 arguments exceed a command line), and prints
 * the reply: "OK PATH" or "ERROR NAME: MESSAGE".
 *
 *   big-call ADDRESS StartAgent TYPE Arguments|Environment|RepeatedEnvironment N SIZE
 *   big-call ADDRESS RunAgent PROGRAM argv|Environment N SIZE
 *
 * N entries of SIZE bytes each (Environment entries are "Vi=xxx..."); for
 * RepeatedEnvironment, N dictionary entries "Environment" of one entry each.
 * Exit status 0 when a reply came, 2 on usage or transport errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

static char *entry(const char *field, size_t i, size_t size) {
        char *s = malloc(size + 32);

        if (!s)
                return NULL;
        if (strcmp(field, "argv") == 0 || strcmp(field, "Arguments") == 0) {
                memset(s, 'x', size);
                s[size] = 0;
        } else {
                int n = snprintf(s, 32, "V%zu=", i);
                memset(s + n, 'x', size);
                s[n + size] = 0;
        }
        return s;
}

static int append_strv(sd_bus_message *m, const char *field, size_t n, size_t size) {
        int r = sd_bus_message_open_container(m, 'a', "s");

        for (size_t i = 0; r >= 0 && i < n; i++) {
                char *s = entry(field, i, size);
                if (!s)
                        return -ENOMEM;
                r = sd_bus_message_append_basic(m, 's', s);
                free(s);
        }
        return r < 0 ? r : sd_bus_message_close_container(m);
}

int main(int argc, char **argv) {
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *method, *field, *path;
        sd_bus *bus = NULL;
        size_t n, size;
        int r;

        if (argc != 7) {
                fprintf(stderr, "usage: %s ADDRESS StartAgent|RunAgent TYPE|PROGRAM FIELD N SIZE\n", argv[0]);
                return 2;
        }
        method = argv[2];
        field = argv[4];
        n = strtoul(argv[5], NULL, 10);
        size = strtoul(argv[6], NULL, 10);

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, argv[1]);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_message_new_method_call(bus, &m, "org.agentvisor1", "/org/agentvisor1",
                                                   "org.agentvisor1.Manager", method);
        if (r < 0)
                goto fail;

        if (strcmp(method, "StartAgent") == 0) {
                r = sd_bus_message_append(m, "ss", argv[3], "");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "{sv}");
                if (strcmp(field, "RepeatedEnvironment") == 0)
                        for (size_t i = 0; r >= 0 && i < n; i++) {
                                char *s = entry(field, i, size);
                                if (!s)
                                        return 2;
                                r = sd_bus_message_append(m, "{sv}", "Environment", "as", 1, s);
                                free(s);
                        }
                else {
                        if (r >= 0)
                                r = sd_bus_message_open_container(m, 'e', "sv");
                        if (r >= 0)
                                r = sd_bus_message_append(m, "s", field);
                        if (r >= 0)
                                r = sd_bus_message_open_container(m, 'v', "as");
                        if (r >= 0)
                                r = append_strv(m, field, n, size);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        } else {
                r = sd_bus_message_append(m, "s", "");
                if (r >= 0 && strcmp(field, "argv") == 0) {
                        r = sd_bus_message_open_container(m, 'a', "s");
                        if (r >= 0)
                                r = sd_bus_message_append_basic(m, 's', argv[3]);
                        for (size_t i = 1; r >= 0 && i < n; i++) {
                                char *s = entry(field, i, size);
                                if (!s)
                                        return 2;
                                r = sd_bus_message_append_basic(m, 's', s);
                                free(s);
                        }
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                        if (r >= 0)
                                r = sd_bus_message_append(m, "a{sv}", 0);
                } else if (r >= 0) {
                        r = sd_bus_message_append(m, "as", 1, argv[3]);
                        if (r >= 0)
                                r = sd_bus_message_open_container(m, 'a', "{sv}");
                        if (r >= 0)
                                r = sd_bus_message_open_container(m, 'e', "sv");
                        if (r >= 0)
                                r = sd_bus_message_append(m, "s", field);
                        if (r >= 0)
                                r = sd_bus_message_open_container(m, 'v', "as");
                        if (r >= 0)
                                r = append_strv(m, field, n, size);
                        for (int k = 0; r >= 0 && k < 3; k++)
                                r = sd_bus_message_close_container(m);
                }
        }
        if (r < 0)
                goto fail;

        r = sd_bus_call(bus, m, 60 * 1000000ULL, &error, &reply);
        if (r < 0 && sd_bus_error_is_set(&error)) {
                printf("ERROR %s: %s\n", error.name, error.message ?: "");
                r = 0;
        } else if (r >= 0) {
                r = sd_bus_message_read(reply, "o", &path);
                if (r >= 0)
                        printf("OK %s\n", path);
        }
        if (r < 0)
                goto fail;
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(bus);
        return 0;
fail:
        fprintf(stderr, "big-call: %s\n", strerror(-r));
        return 2;
}
