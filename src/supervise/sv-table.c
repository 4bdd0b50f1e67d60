/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The (state, event) table of an agent in the supervision core (sv-state.h).
 * Every pair is spelled out: a transition, an event that changes nothing
 * (with the refusal a request gets), or a pair that cannot happen, each with
 * the reason. test-supervise-table walks all of them. */

#include <errno.h>

#include "string-table.h"
#include "sv-internal.h"

#define MOVE(n, s) { .kind = SV_ENTRY_MOVE, .next = SV_STATE_##n, .step = SV_STEP_##s }
#define IGNORE(w) { .kind = SV_ENTRY_IGNORE, .rc = 0, .why = (w) }
#define REFUSE(e, w) { .kind = SV_ENTRY_IGNORE, .rc = -(e), .why = (w) }
#define IMPOSSIBLE(w) { .kind = SV_ENTRY_IMPOSSIBLE, .why = (w) }

#define REPEATED "a repeated report: nothing of it runs"
#define LATE_SPAWN "reported up after its stop was queued: the stop stands"
#define UP "already up"
#define NOT_UP "not running"
#define NOT_DOWN "only a down agent is removed"
#define PENDING "it starts again on its own"
#define IN_FAILED "failed is left before the call that made it returns"
#define NOT_FAILED "only a failed agent is given a backoff or a group"
#define NOT_WAITING "only a failed or waiting agent is restarted by its supervisor"
#define NEVER_WAITS "a temporary agent is never restarted, so never waits or joins a group"
#define ONLY_TEMPORARY "only a temporary stops for removal, and a group drops temporaries"
#define NO_TEMPORARY "its supervisor never starts a temporary agent"
#define NOT_IN_GROUP "not part of a group restart"
#define STOPS_ANYWAY "already stopping, and stays down"
#define HELD_DOWN "held down: only a request starts it"
#define REMOVED_ANYWAY "removed once down anyway"
#define THEN_STOPPED "its supervisor stops or starts it next, in the same call"

#define E(x) [SV_EVENT_##x]

static const SvTransition table[_SV_STATE_MAX][_SV_EVENT_MAX] = {
        [SV_STATE_STARTING] = {
                E(SPAWNED) = MOVE(RUNNING, MARK_STARTED),
                E(EXITED_FINAL) = MOVE(HELD, NONE),
                E(EXITED_RESTARTABLE) = MOVE(FAILED, FAIL),
                E(EXITED_BLOCKED) = MOVE(DOWN, NONE),
                E(STOP) = MOVE(STOPPING_FOR_REQUEST, STOP),
                E(START) = REFUSE(EALREADY, UP),
                E(RESTART) = MOVE(STOPPING_FOR_RESTART, STOP_AFRESH),
                E(REMOVE) = REFUSE(EBUSY, NOT_DOWN),
                E(GROUP_STOP) = MOVE(STOPPING_FOR_GROUP, STOP),
                E(GROUP_DROP) = MOVE(STOPPING_FOR_REMOVAL, STOP),
                E(GROUP_CANCEL) = IGNORE(NOT_IN_GROUP),
                E(ESCALATION_STOP) = MOVE(STOPPING_FOR_SUPERVISOR, STOP),
                E(SHUTDOWN_STOP) = MOVE(STOPPING_FOR_SUPERVISOR, STOP),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = IMPOSSIBLE(NOT_WAITING),
                E(SUPERVISOR_START) = IGNORE(UP),
                E(SUPERVISOR_RESTART) = IGNORE(UP),
        },
        [SV_STATE_RUNNING] = {
                E(SPAWNED) = IGNORE("a repeated report"),
                E(EXITED_FINAL) = MOVE(HELD, NONE),
                E(EXITED_RESTARTABLE) = MOVE(FAILED, FAIL),
                E(EXITED_BLOCKED) = MOVE(DOWN, NONE),
                E(STOP) = MOVE(STOPPING_FOR_REQUEST, STOP),
                E(START) = REFUSE(EALREADY, UP),
                E(RESTART) = MOVE(STOPPING_FOR_RESTART, STOP_AFRESH),
                E(REMOVE) = REFUSE(EBUSY, NOT_DOWN),
                E(GROUP_STOP) = MOVE(STOPPING_FOR_GROUP, STOP),
                E(GROUP_DROP) = MOVE(STOPPING_FOR_REMOVAL, STOP),
                E(GROUP_CANCEL) = IGNORE(NOT_IN_GROUP),
                E(ESCALATION_STOP) = MOVE(STOPPING_FOR_SUPERVISOR, STOP),
                E(SHUTDOWN_STOP) = MOVE(STOPPING_FOR_SUPERVISOR, STOP),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = IMPOSSIBLE(NOT_WAITING),
                E(SUPERVISOR_START) = IGNORE(UP),
                E(SUPERVISOR_RESTART) = IGNORE(UP),
        },
        [SV_STATE_FAILED] = {
                E(SPAWNED) = IMPOSSIBLE(IN_FAILED),
                E(EXITED_FINAL) = IMPOSSIBLE(IN_FAILED),
                E(EXITED_RESTARTABLE) = IMPOSSIBLE(IN_FAILED),
                E(EXITED_BLOCKED) = IMPOSSIBLE(IN_FAILED),
                E(STOP) = IMPOSSIBLE(IN_FAILED),
                E(START) = IMPOSSIBLE(IN_FAILED),
                E(RESTART) = IMPOSSIBLE(IN_FAILED),
                E(REMOVE) = IMPOSSIBLE(IN_FAILED),
                E(GROUP_STOP) = IMPOSSIBLE("a group restart makes the failed child a member before it stops"),
                E(GROUP_DROP) = IMPOSSIBLE(NEVER_WAITS),
                E(GROUP_CANCEL) = IGNORE("only an escalation cancels a group under a failed child, and it stops it next"),
                E(ESCALATION_STOP) = MOVE(DOWN, NONE),
                E(SHUTDOWN_STOP) = IMPOSSIBLE(IN_FAILED),
                E(BACKOFF) = MOVE(WAITING_FOR_BACKOFF, ARM_BACKOFF),
                E(JOIN_GROUP) = MOVE(WAITING_FOR_GROUP, NONE),
                E(RESPAWN) = MOVE(STARTING, SPAWN_RESTARTED),
                E(SUPERVISOR_START) = IMPOSSIBLE(IN_FAILED),
                E(SUPERVISOR_RESTART) = IMPOSSIBLE(IN_FAILED),
        },
        [SV_STATE_WAITING_FOR_BACKOFF] = {
                E(SPAWNED) = IGNORE(REPEATED),
                E(EXITED_FINAL) = IGNORE(REPEATED),
                E(EXITED_RESTARTABLE) = IGNORE(REPEATED),
                E(EXITED_BLOCKED) = IGNORE(REPEATED),
                E(STOP) = MOVE(HELD, NONE),
                E(START) = REFUSE(EALREADY, PENDING),
                E(RESTART) = MOVE(STARTING, SPAWN_AFRESH),
                E(REMOVE) = REFUSE(EBUSY, NOT_DOWN),
                E(GROUP_STOP) = MOVE(WAITING_FOR_GROUP, NONE),
                E(GROUP_DROP) = IMPOSSIBLE(NEVER_WAITS),
                E(GROUP_CANCEL) = IGNORE(NOT_IN_GROUP),
                E(ESCALATION_STOP) = MOVE(DOWN, NONE),
                E(SHUTDOWN_STOP) = MOVE(DOWN, NONE),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = MOVE(STARTING, SPAWN_RESTARTED),
                E(SUPERVISOR_START) = MOVE(STARTING, SPAWN),
                E(SUPERVISOR_RESTART) = MOVE(STARTING, SPAWN_RESTARTED),
        },
        [SV_STATE_WAITING_FOR_GROUP] = {
                E(SPAWNED) = IGNORE(REPEATED),
                E(EXITED_FINAL) = IGNORE(REPEATED),
                E(EXITED_RESTARTABLE) = IGNORE(REPEATED),
                E(EXITED_BLOCKED) = IGNORE(REPEATED),
                E(STOP) = MOVE(HELD, NONE),
                E(START) = REFUSE(EALREADY, PENDING),
                E(RESTART) = REFUSE(EALREADY, "its group restart starts it with the group"),
                E(REMOVE) = REFUSE(EBUSY, NOT_DOWN),
                E(GROUP_STOP) = IGNORE("already waiting for the group"),
                E(GROUP_DROP) = IMPOSSIBLE(NEVER_WAITS),
                E(GROUP_CANCEL) = IGNORE(THEN_STOPPED),
                E(ESCALATION_STOP) = MOVE(DOWN, NONE),
                E(SHUTDOWN_STOP) = MOVE(DOWN, NONE),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = MOVE(STARTING, SPAWN_RESTARTED),
                E(SUPERVISOR_START) = MOVE(STARTING, SPAWN),
                E(SUPERVISOR_RESTART) = MOVE(STARTING, SPAWN_RESTARTED),
        },
        [SV_STATE_STOPPING_FOR_REQUEST] = {
                E(SPAWNED) = IGNORE(LATE_SPAWN),
                E(EXITED_FINAL) = MOVE(HELD, NONE),
                E(EXITED_RESTARTABLE) = MOVE(HELD, NONE),
                E(EXITED_BLOCKED) = MOVE(HELD, NONE),
                E(STOP) = REFUSE(EALREADY, "already being stopped on request"),
                E(START) = REFUSE(EALREADY, UP),
                E(RESTART) = MOVE(STOPPING_FOR_RESTART, FORGET_BACKOFF),
                E(REMOVE) = REFUSE(EBUSY, NOT_DOWN),
                E(GROUP_STOP) = IGNORE(STOPS_ANYWAY),
                E(GROUP_DROP) = IGNORE(STOPS_ANYWAY),
                E(GROUP_CANCEL) = IGNORE(NOT_IN_GROUP),
                E(ESCALATION_STOP) = IGNORE(STOPS_ANYWAY),
                E(SHUTDOWN_STOP) = IGNORE(STOPS_ANYWAY),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = IMPOSSIBLE(NOT_WAITING),
                E(SUPERVISOR_START) = IGNORE(HELD_DOWN),
                E(SUPERVISOR_RESTART) = IGNORE(HELD_DOWN),
        },
        [SV_STATE_STOPPING_FOR_RESTART] = {
                E(SPAWNED) = IGNORE(LATE_SPAWN),
                E(EXITED_FINAL) = MOVE(STARTING, SPAWN),
                E(EXITED_RESTARTABLE) = MOVE(STARTING, SPAWN),
                E(EXITED_BLOCKED) = MOVE(STARTING, SPAWN),
                E(STOP) = MOVE(STOPPING_FOR_REQUEST, NONE),
                E(START) = REFUSE(EALREADY, UP),
                E(RESTART) = REFUSE(EALREADY, "a restart is already pending"),
                E(REMOVE) = REFUSE(EBUSY, NOT_DOWN),
                E(GROUP_STOP) = MOVE(STOPPING_FOR_GROUP, NONE),
                E(GROUP_DROP) = MOVE(STOPPING_FOR_REMOVAL, NONE),
                E(GROUP_CANCEL) = IGNORE(NOT_IN_GROUP),
                E(ESCALATION_STOP) = MOVE(STOPPING_FOR_SUPERVISOR, NONE),
                E(SHUTDOWN_STOP) = MOVE(STOPPING_FOR_SUPERVISOR, NONE),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = IMPOSSIBLE(NOT_WAITING),
                E(SUPERVISOR_START) = IGNORE(PENDING),
                E(SUPERVISOR_RESTART) = IGNORE(PENDING),
        },
        [SV_STATE_STOPPING_FOR_GROUP] = {
                E(SPAWNED) = IGNORE(LATE_SPAWN),
                E(EXITED_FINAL) = MOVE(WAITING_FOR_GROUP, NONE),
                E(EXITED_RESTARTABLE) = MOVE(WAITING_FOR_GROUP, NONE),
                E(EXITED_BLOCKED) = MOVE(WAITING_FOR_GROUP, NONE),
                E(STOP) = MOVE(STOPPING_FOR_REQUEST, NONE),
                E(START) = REFUSE(EALREADY, UP),
                E(RESTART) = REFUSE(EALREADY, "its group restart starts it with the group"),
                E(REMOVE) = REFUSE(EBUSY, NOT_DOWN),
                E(GROUP_STOP) = IGNORE("already stopping for the group"),
                E(GROUP_DROP) = IMPOSSIBLE(NEVER_WAITS),
                E(GROUP_CANCEL) = MOVE(STOPPING_FOR_SUPERVISOR, NONE),
                E(ESCALATION_STOP) = MOVE(STOPPING_FOR_SUPERVISOR, NONE),
                E(SHUTDOWN_STOP) = MOVE(STOPPING_FOR_SUPERVISOR, NONE),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = IMPOSSIBLE("a group restart completes only once every member is down"),
                E(SUPERVISOR_START) = MOVE(STOPPING_FOR_RESTART, NONE),
                E(SUPERVISOR_RESTART) = MOVE(STOPPING_FOR_RESTART, NONE),
        },
        [SV_STATE_STOPPING_FOR_REMOVAL] = {
                E(SPAWNED) = IGNORE(LATE_SPAWN),
                E(EXITED_FINAL) = MOVE(DOWN, REMOVE),
                E(EXITED_RESTARTABLE) = MOVE(DOWN, REMOVE),
                E(EXITED_BLOCKED) = MOVE(DOWN, REMOVE),
                E(STOP) = MOVE(STOPPING_FOR_REMOVAL_HELD, NONE),
                E(START) = REFUSE(EALREADY, UP),
                E(RESTART) = REFUSE(EALREADY, REMOVED_ANYWAY),
                E(REMOVE) = REFUSE(EBUSY, NOT_DOWN),
                E(GROUP_STOP) = IMPOSSIBLE(ONLY_TEMPORARY),
                E(GROUP_DROP) = IGNORE(REMOVED_ANYWAY),
                E(GROUP_CANCEL) = IGNORE(REMOVED_ANYWAY),
                E(ESCALATION_STOP) = IGNORE(REMOVED_ANYWAY),
                E(SHUTDOWN_STOP) = IGNORE(REMOVED_ANYWAY),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = IMPOSSIBLE(NOT_WAITING),
                E(SUPERVISOR_START) = IMPOSSIBLE(NO_TEMPORARY),
                E(SUPERVISOR_RESTART) = IMPOSSIBLE(NO_TEMPORARY),
        },
        [SV_STATE_STOPPING_FOR_REMOVAL_HELD] = {
                E(SPAWNED) = IGNORE(LATE_SPAWN),
                E(EXITED_FINAL) = MOVE(DOWN, REMOVE),
                E(EXITED_RESTARTABLE) = MOVE(DOWN, REMOVE),
                E(EXITED_BLOCKED) = MOVE(DOWN, REMOVE),
                E(STOP) = REFUSE(EALREADY, "already being stopped on request"),
                E(START) = REFUSE(EALREADY, UP),
                E(RESTART) = REFUSE(EALREADY, REMOVED_ANYWAY),
                E(REMOVE) = REFUSE(EBUSY, NOT_DOWN),
                E(GROUP_STOP) = IMPOSSIBLE(ONLY_TEMPORARY),
                E(GROUP_DROP) = IGNORE(REMOVED_ANYWAY),
                E(GROUP_CANCEL) = IGNORE(REMOVED_ANYWAY),
                E(ESCALATION_STOP) = IGNORE(REMOVED_ANYWAY),
                E(SHUTDOWN_STOP) = IGNORE(REMOVED_ANYWAY),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = IMPOSSIBLE(NOT_WAITING),
                E(SUPERVISOR_START) = IMPOSSIBLE(NO_TEMPORARY),
                E(SUPERVISOR_RESTART) = IMPOSSIBLE(NO_TEMPORARY),
        },
        [SV_STATE_STOPPING_FOR_SUPERVISOR] = {
                E(SPAWNED) = IGNORE(LATE_SPAWN),
                E(EXITED_FINAL) = MOVE(DOWN, NONE),
                E(EXITED_RESTARTABLE) = MOVE(DOWN, NONE),
                E(EXITED_BLOCKED) = MOVE(DOWN, NONE),
                E(STOP) = MOVE(STOPPING_FOR_REQUEST, NONE),
                E(START) = REFUSE(EALREADY, UP),
                E(RESTART) = MOVE(STOPPING_FOR_RESTART, FORGET_BACKOFF),
                E(REMOVE) = REFUSE(EBUSY, NOT_DOWN),
                E(GROUP_STOP) = IGNORE("down once down: its supervisor starts it when it starts afresh"),
                E(GROUP_DROP) = IGNORE("down once down, and a temporary stays down"),
                E(GROUP_CANCEL) = IGNORE(NOT_IN_GROUP),
                E(ESCALATION_STOP) = IGNORE("already stopping"),
                E(SHUTDOWN_STOP) = IGNORE("already stopping"),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = IMPOSSIBLE(NOT_WAITING),
                E(SUPERVISOR_START) = MOVE(STOPPING_FOR_RESTART, NONE),
                E(SUPERVISOR_RESTART) = MOVE(STOPPING_FOR_RESTART, NONE),
        },
        [SV_STATE_DOWN] = {
                E(SPAWNED) = IGNORE(REPEATED),
                E(EXITED_FINAL) = IGNORE(REPEATED),
                E(EXITED_RESTARTABLE) = IGNORE(REPEATED),
                E(EXITED_BLOCKED) = IGNORE(REPEATED),
                E(STOP) = REFUSE(EALREADY, NOT_UP),
                E(START) = MOVE(STARTING, START),
                E(RESTART) = MOVE(STARTING, START),
                E(REMOVE) = MOVE(DOWN, FREE),
                E(GROUP_STOP) = IGNORE("a group restart does not bring back what is down"),
                E(GROUP_DROP) = IGNORE("a group restart does not bring back what is down"),
                E(GROUP_CANCEL) = IGNORE(NOT_IN_GROUP),
                E(ESCALATION_STOP) = IGNORE(NOT_UP),
                E(SHUTDOWN_STOP) = IGNORE(NOT_UP),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = IMPOSSIBLE(NOT_WAITING),
                E(SUPERVISOR_START) = MOVE(STARTING, SPAWN),
                E(SUPERVISOR_RESTART) = MOVE(STARTING, SPAWN_RESTARTED),
        },
        [SV_STATE_HELD] = {
                E(SPAWNED) = IGNORE(REPEATED),
                E(EXITED_FINAL) = IGNORE(REPEATED),
                E(EXITED_RESTARTABLE) = IGNORE(REPEATED),
                E(EXITED_BLOCKED) = IGNORE(REPEATED),
                E(STOP) = REFUSE(EALREADY, NOT_UP),
                E(START) = MOVE(STARTING, START),
                E(RESTART) = MOVE(STARTING, START),
                E(REMOVE) = MOVE(HELD, FREE),
                E(GROUP_STOP) = IGNORE("a group restart does not bring back what is down"),
                E(GROUP_DROP) = IGNORE("a group restart does not bring back what is down"),
                E(GROUP_CANCEL) = IGNORE(NOT_IN_GROUP),
                E(ESCALATION_STOP) = IGNORE(NOT_UP),
                E(SHUTDOWN_STOP) = IGNORE(NOT_UP),
                E(BACKOFF) = IMPOSSIBLE(NOT_FAILED),
                E(JOIN_GROUP) = IMPOSSIBLE(NOT_FAILED),
                E(RESPAWN) = IMPOSSIBLE(NOT_WAITING),
                E(SUPERVISOR_START) = IGNORE(HELD_DOWN),
                E(SUPERVISOR_RESTART) = IGNORE(HELD_DOWN),
        },
};

const SvTransition *sv_transition(SvState s, SvEvent e) {
        static const SvTransition out_of_range = IMPOSSIBLE("no such state or event");

        if ((int) s < 0 || s >= _SV_STATE_MAX || (int) e < 0 || e >= _SV_EVENT_MAX)
                return &out_of_range;
        return &table[s][e];
}

static const char *const sv_state_table[_SV_STATE_MAX] = {
        [SV_STATE_STARTING] = "starting",
        [SV_STATE_RUNNING] = "running",
        [SV_STATE_FAILED] = "failed",
        [SV_STATE_WAITING_FOR_BACKOFF] = "waiting-for-backoff",
        [SV_STATE_WAITING_FOR_GROUP] = "waiting-for-group",
        [SV_STATE_STOPPING_FOR_REQUEST] = "stopping-for-request",
        [SV_STATE_STOPPING_FOR_RESTART] = "stopping-for-restart",
        [SV_STATE_STOPPING_FOR_GROUP] = "stopping-for-group",
        [SV_STATE_STOPPING_FOR_REMOVAL] = "stopping-for-removal",
        [SV_STATE_STOPPING_FOR_REMOVAL_HELD] = "stopping-for-removal-held",
        [SV_STATE_STOPPING_FOR_SUPERVISOR] = "stopping-for-supervisor",
        [SV_STATE_DOWN] = "down",
        [SV_STATE_HELD] = "held",
};

static const char *const sv_event_table[_SV_EVENT_MAX] = {
        [SV_EVENT_SPAWNED] = "spawned",
        [SV_EVENT_EXITED_FINAL] = "exited-final",
        [SV_EVENT_EXITED_RESTARTABLE] = "exited-restartable",
        [SV_EVENT_EXITED_BLOCKED] = "exited-blocked",
        [SV_EVENT_STOP] = "stop",
        [SV_EVENT_START] = "start",
        [SV_EVENT_RESTART] = "restart",
        [SV_EVENT_REMOVE] = "remove",
        [SV_EVENT_GROUP_STOP] = "group-stop",
        [SV_EVENT_GROUP_DROP] = "group-drop",
        [SV_EVENT_GROUP_CANCEL] = "group-cancel",
        [SV_EVENT_ESCALATION_STOP] = "escalation-stop",
        [SV_EVENT_SHUTDOWN_STOP] = "shutdown-stop",
        [SV_EVENT_BACKOFF] = "backoff",
        [SV_EVENT_JOIN_GROUP] = "join-group",
        [SV_EVENT_RESPAWN] = "respawn",
        [SV_EVENT_SUPERVISOR_START] = "supervisor-start",
        [SV_EVENT_SUPERVISOR_RESTART] = "supervisor-restart",
};

static const char *const sv_step_table[_SV_STEP_MAX] = {
        [SV_STEP_NONE] = "none",
        [SV_STEP_MARK_STARTED] = "mark-started",
        [SV_STEP_SPAWN] = "spawn",
        [SV_STEP_SPAWN_RESTARTED] = "spawn-restarted",
        [SV_STEP_SPAWN_AFRESH] = "spawn-afresh",
        [SV_STEP_START] = "start",
        [SV_STEP_STOP] = "stop",
        [SV_STEP_STOP_AFRESH] = "stop-afresh",
        [SV_STEP_FORGET_BACKOFF] = "forget-backoff",
        [SV_STEP_FAIL] = "fail",
        [SV_STEP_ARM_BACKOFF] = "arm-backoff",
        [SV_STEP_REMOVE] = "remove",
        [SV_STEP_FREE] = "free",
};

/* Names for logs and tests; nothing parses them back. */
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(sv_state, SvState);
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(sv_event, SvEvent);
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(sv_step, SvStep);
