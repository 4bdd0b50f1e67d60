/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Connecting to the bus and the generic calls agentctl's verbs are built on. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl-bus.h"
#include "ctl-format.h"
#include "strv.h"

int ctl_bus_open(const CtlArgs *a, sd_bus **ret) {
        _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
        const char *address = NULL;
        int r;

        switch (a->bus_kind) {
        case BUS_SYSTEM:
                return sd_bus_open_system(ret);
        case BUS_USER:
                return sd_bus_open_user(ret);
        case BUS_ADDRESS:
                address = a->address;
                break;
        default:
                address = getenv("AGENTCTL_BUS_ADDRESS");
                if (!address || !*address)
                        return sd_bus_open_system(ret);
                break;
        }

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(bus);
        return 0;
}

int ctl_oom(void) {
        fputs("agentctl: Out of memory.\n", stderr);
        return CTL_EXIT_FAILURE;
}

int ctl_report_error(int r, const sd_bus_error *error, const char *what) {
        if (sd_bus_error_is_set(error)) {
                const char *name = error->name;

                /* sd-bus names local failures System.Error.E*; they are errnos. */
                if (strncmp(name, "System.Error.", 13) == 0)
                        name = NULL;
                fprintf(stderr, "agentctl: %s\n", error->message ? error->message : error->name);
                return ctl_exit_code_for_error(name, sd_bus_error_get_errno(error));
        }

        fprintf(stderr, "agentctl: %s: %s\n", what, strerror(ERRNO_VALUE(r)));
        return ctl_exit_code_for_error(NULL, ERRNO_VALUE(r));
}

int ctl_call_manager(sd_bus *bus, const char *method, sd_bus_error *error, sd_bus_message **reply,
                     const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, BUS_PATH, BUS_MANAGER_IFACE, method);
        if (r < 0)
                return r;

        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }

        return sd_bus_call(bus, m, 0, error, reply);
}

static int read_array(sd_bus_message *m, char type, size_t size, void **ret, size_t *ret_n) {
        const void *p;
        size_t bytes;
        void *copy;
        int r;

        r = sd_bus_message_read_array(m, type, &p, &bytes);
        if (r < 0)
                return r;
        copy = malloc(bytes + 1);
        if (!copy)
                return -ENOMEM;
        if (bytes > 0)
                memcpy(copy, p, bytes);
        *ret = copy;
        *ret_n = bytes / size;
        return 0;
}

static int read_variant(sd_bus_message *m, const char *name, const char *contents, PropList *l) {
        int r;

        if (STR_IN_SET(contents, "s", "o", "g")) {
                const char *s;
                r = sd_bus_message_read_basic(m, contents[0], &s);
                return r < 0 ? r : prop_list_add_string(l, name, s);
        }
        if (strcmp(contents, "b") == 0) {
                int b;
                r = sd_bus_message_read_basic(m, 'b', &b);
                return r < 0 ? r : prop_list_add_bool(l, name, b);
        }
        if (strcmp(contents, "i") == 0) {
                int32_t i;
                r = sd_bus_message_read_basic(m, 'i', &i);
                return r < 0 ? r : prop_list_add_int32(l, name, i);
        }
        if (strcmp(contents, "u") == 0) {
                uint32_t u;
                r = sd_bus_message_read_basic(m, 'u', &u);
                return r < 0 ? r : prop_list_add_uint32(l, name, u);
        }
        if (strcmp(contents, "t") == 0) {
                uint64_t t;
                r = sd_bus_message_read_basic(m, 't', &t);
                return r < 0 ? r : prop_list_add_uint64(l, name, t);
        }
        if (strcmp(contents, "as") == 0) {
                _cleanup_strv_free_ char **strv = NULL;
                r = sd_bus_message_read_strv(m, &strv);
                return r < 0 ? r : prop_list_add_strv(l, name, strv);
        }
        if (STR_IN_SET(contents, "ay", "at")) {
                _cleanup_free_ void *data = NULL;
                size_t n;

                r = read_array(m, contents[1], contents[1] == 'y' ? 1 : sizeof(uint64_t), &data, &n);
                if (r < 0)
                        return r;
                return contents[1] == 'y' ? prop_list_add_bytes(l, name, data, n)
                                          : prop_list_add_uint64_array(l, name, data, n);
        }
        return sd_bus_message_skip(m, contents);
}

int bus_message_read_properties(sd_bus_message *m, PropList *l) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *contents;

                r = sd_bus_message_read_basic(m, 's', &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                r = read_variant(m, name, contents, l);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        return sd_bus_message_exit_container(m);
}

int bus_message_append_properties(sd_bus_message *m, const PropList *l) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r < 0)
                return r;

        for (size_t i = 0; i < l->n; i++) {
                const Prop *p = &l->items[i];

                switch (p->type) {
                case PROP_STRING:
                        r = sd_bus_message_append(m, "{sv}", p->name, "s", p->str);
                        break;
                case PROP_BOOL:
                        r = sd_bus_message_append(m, "{sv}", p->name, "b", (int) p->b);
                        break;
                case PROP_INT32:
                        r = sd_bus_message_append(m, "{sv}", p->name, "i", p->i32);
                        break;
                case PROP_UINT32:
                        r = sd_bus_message_append(m, "{sv}", p->name, "u", p->u32);
                        break;
                case PROP_UINT64:
                        r = sd_bus_message_append(m, "{sv}", p->name, "t", p->u64);
                        break;
                case PROP_STRV:
                        r = sd_bus_message_open_container(m, 'e', "sv");
                        if (r >= 0)
                                r = sd_bus_message_append_basic(m, 's', p->name);
                        if (r >= 0)
                                r = sd_bus_message_open_container(m, 'v', "as");
                        if (r >= 0)
                                r = sd_bus_message_append_strv(m, p->strv);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                        break;
                default:
                        r = -EINVAL;
                        break;
                }
                if (r < 0)
                        return r;
        }

        return sd_bus_message_close_container(m);
}

int bus_get_all(sd_bus *bus, const char *path, const char *interface, PropList *l, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", error,
                               &reply, "s", interface);
        if (r < 0)
                return r;
        return bus_message_read_properties(reply, l);
}

int bus_get_agent_path(sd_bus *bus, const char *name, char **ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        char *copy;
        int r;

        r = ctl_call_manager(bus, "GetAgent", error, &reply, "s", name);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}
