/*
 * Suspend and resume decisions (see suspend.h). No I/O: the callers read the
 * Store and act on the answer.
 */
#include "suspend.h"

#include <stdio.h>

const char *sp_suspend_shown_phase(const struct sp_store *s)
{
    if (s->deleting)
        return "Deleting";
    return s->status.phase == SP_PHASE_NONE ? "Pending" : sp_phase_name(s->status.phase);
}

bool sp_suspend_resumed(const struct sp_store *s)
{
    return s->status.resumed_ms && s->status.resumed_ms >= s->status.suspended_ms;
}

bool sp_suspend_resuming(const struct sp_store *s)
{
    return s->status.phase == SP_PHASE_PROVISIONING && sp_suspend_resumed(s) &&
           s->status.provisioning_ms == s->status.resumed_ms;
}

enum sp_suspend_answer sp_suspend_decide(enum sp_suspend_op op, const struct sp_store *s, char *why,
                                         size_t n)
{
    const char *phase = sp_suspend_shown_phase(s);
    enum sp_phase p = s->status.phase;

    if (s->deleting) {
        snprintf(why, n, "store '%s' is being deleted (phase Deleting); it cannot be %s", s->name,
                 op == SP_OP_SUSPEND ? "suspended" : "resumed");
        return SP_SUSPEND_CONFLICT;
    }
    if (op == SP_OP_SUSPEND) {
        if (s->spec.suspended)
            return SP_SUSPEND_ALREADY;
        if (p == SP_PHASE_READY || p == SP_PHASE_DEGRADED)
            return SP_SUSPEND_CHANGE;
        snprintf(why, n, "only a Ready (or Degraded) store can be suspended; '%s' is %s", s->name,
                 phase);
        return SP_SUSPEND_CONFLICT;
    }
    if (s->spec.suspended)
        return SP_SUSPEND_CHANGE;
    /* asked already: the controller has not acted yet, or is bringing it back, or has */
    if (p == SP_PHASE_SUSPENDED ||
        ((p == SP_PHASE_PROVISIONING || p == SP_PHASE_READY || p == SP_PHASE_DEGRADED) &&
         sp_suspend_resumed(s)))
        return SP_SUSPEND_ALREADY;
    snprintf(why, n, "only a suspended store can be resumed; '%s' is %s", s->name, phase);
    return SP_SUSPEND_CONFLICT;
}

enum sp_suspend_next sp_suspend_next(const struct sp_store *s)
{
    if (s->deleting)
        return SP_NEXT_NONE;
    if (s->spec.suspended)
        return s->status.phase == SP_PHASE_READY || s->status.phase == SP_PHASE_DEGRADED ||
                       s->status.phase == SP_PHASE_SUSPENDED
                   ? SP_NEXT_SUSPEND
                   : SP_NEXT_NONE; /* provisioning first; suspended once Ready */
    return s->status.phase == SP_PHASE_SUSPENDED ? SP_NEXT_RESUME : SP_NEXT_NONE;
}
