/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the parts of the agentvisor.conf parser: config.c (the file and
 * the DaemonConfig), config-daemon.c ([Daemon]) and config-supervisor.c
 * ([Supervisor] sections and the tree they form). */
#pragma once

#include "config.h"

/* Supervisor keys a nested supervisor inherits from its parent when unset. */
typedef enum InheritedField {
        FIELD_STRATEGY,
        FIELD_MAX_RESTARTS,
        FIELD_RESTART_WINDOW,
        FIELD_MAX_CHILDREN,
        FIELD_AGENT_TIMEOUT,
        FIELD_HEALTH_CHECK_INTERVAL,
        FIELD_RESTART_DELAY,
        FIELD_RESTART_MAX_DELAY,
        _FIELD_MAX,
} InheritedField;

typedef struct SupervisorDraft {
        SupervisorConfig config;
        unsigned set;                   /* bit per InheritedField */
        unsigned line;                  /* of the section header, 0 = implicit root */
        unsigned parent_line;
} SupervisorDraft;

typedef struct ConfigParser {
        const char *file;
        char *base_dir;                 /* absolute: where relative paths start */
        DaemonConfig *config;
        SupervisorDraft *drafts;
        size_t n_drafts;
        SupervisorDraft *current;       /* NULL in [Daemon] */
        bool agents_directory_set;
        bool policy_path_set;
        unsigned admin_group_line;
        unsigned default_user_line;
} ConfigParser;

/* [Daemon] */
int config_parse_daemon_key(ConfigParser *p, unsigned line, const char *key, const char *value, Diagnostic *diag);
/* AgentsDirectory= and PolicyPath= beside the file when not given. */
int config_apply_path_defaults(ConfigParser *p);
/* DefaultTasksMax= and friends (daemon) or TasksMax= and friends of a
 * supervisor into base; -ENOENT when key is none of them. */
int config_parse_limit(const ConfigParser *p, unsigned line, const char *key, const char *value, bool daemon,
                       void *base, Diagnostic *diag);
int config_bad_value(const ConfigParser *p, unsigned line, const char *key, const char *value, int r,
                     const char *expected, Diagnostic *diag);
int config_set_string(char **field, const char *value);

/* [Supervisor] and [Supervisor NAME] */
void supervisor_config_defaults(SupervisorConfig *s);
void supervisor_config_done(SupervisorConfig *s);
SupervisorDraft *config_find_draft(ConfigParser *p, const char *name);
int config_add_draft(ConfigParser *p, const char *name, unsigned line, SupervisorDraft **ret);
int config_parse_supervisor_key(ConfigParser *p, unsigned line, const char *key, const char *value,
                                Diagnostic *diag);
/* Checks Parent= links, orders root first and parents before children (file
 * order otherwise), applies inheritance and moves the result into the config. */
int config_build_tree(ConfigParser *p, Diagnostic *diag);

/* Physical memory in bytes; 0 when the system cannot tell. */
uint64_t config_physical_memory(void);
