/*
 * The Store model: the custom resource's JSON turned into a struct and back,
 * name and spec validation, phases with their allowed transitions, the five
 * step conditions, and the bounded activity log.
 *
 * A struct sp_store owns every string in it (freed by sp_store_release()).
 * Only status is ever written back (sp_store_status_json()); spec, metadata
 * and annotations are read-only copies of what the API server holds.
 */
#ifndef SP_STORE_H
#define SP_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "crd.h"
#include "err.h"
#include "util.h"

/* store-<name> must stay a valid release name (53) with room for the chart's suffixes
 * ("-mariadb-0", StatefulSet revision hashes) inside 63-character labels. */
#define SP_NAME_MAX     30
#define SP_ACTIVITY_MAX 20

enum sp_phase {
    SP_PHASE_NONE, /* status not written yet */
    SP_PHASE_PENDING,
    SP_PHASE_PROVISIONING,
    SP_PHASE_READY,
    SP_PHASE_FAILED,
    SP_PHASE_DELETING,
    SP_PHASE_DEGRADED,  /* was Ready, stopped serving (reconcile_health.c); Ready again by itself */
    SP_PHASE_SUSPENDED, /* scaled to zero by spec.suspended; volumes and secrets kept */
};
#define SP_PHASE_COUNT 8

enum sp_cond {
    SP_COND_NAMESPACE,   /* NamespaceReady */
    SP_COND_CREDENTIALS, /* CredentialsReady */
    SP_COND_RELEASE,     /* ReleaseDeployed */
    SP_COND_WORKLOADS,   /* WorkloadsReady */
    SP_COND_STOREFRONT,  /* StorefrontReady */
};
#define SP_COND_COUNT 5

enum sp_cond_status { SP_UNKNOWN, SP_FALSE, SP_TRUE };

struct sp_condition {
    enum sp_cond_status status;
    char *reason;     /* CamelCase machine word, or NULL */
    char *message;    /* for people, or NULL */
    int64_t since_ms; /* lastTransitionTime, wall clock */
};

struct sp_activity {
    int64_t time_ms;
    char *message;
};

/*
 * A Store's spec: what its owner asked for. The one struct for it, read
 * from a Store object (sp_store_from_json) and parsed from an API create
 * request (request.h); every string owned, freed by sp_store_spec_release().
 */
struct sp_store_spec {
    char *engine;
    char *owner;
    char *display_name;   /* or NULL */
    char *size;           /* plan.size, default "small" */
    char *cpu_request;    /* plan.requests.cpu, or NULL */
    char *memory_request; /* plan.requests.memory, or NULL */
    char *cpu_limit;      /* plan.limits.cpu, or NULL */
    char *memory_limit;   /* plan.limits.memory, or NULL */
    char *storage;        /* plan.storage, or NULL */
    bool suspended;       /* spec.suspended: scaled to zero, data kept (suspend.h) */
};

void sp_store_spec_release(struct sp_store_spec *spec);
/*
 * Whether a and b ask for the same store (every field, NULLs equal), except
 * suspended: a suspension is the store's state, not what its creation asked
 * for, so creating a suspended store again is still the same request.
 */
bool sp_store_spec_equal(const struct sp_store_spec *a, const struct sp_store_spec *b);

struct sp_store {
    char *name;
    char *uid;
    char *resource_version;
    int64_t generation;
    int64_t created_ms;
    bool deleting;      /* metadata.deletionTimestamp is set */
    bool has_finalizer; /* SP_FINALIZER is in metadata.finalizers */
    char *retry;        /* the SP_RETRY_ANNOTATION value, or NULL */

    struct sp_store_spec spec;

    struct {
        enum sp_phase phase;
        char *message; /* why, in words a shop owner can act on */
        char *reason;  /* CamelCase cause of Failed (metrics label), or NULL */
        char *url;
        char *admin_url;
        int64_t provisioning_ms; /* provisioningStartedAt, 0 when unset */
        int64_t ready_ms;        /* readyAt */
        int64_t failed_ms;       /* failedAt */
        int64_t observed_generation;
        int64_t helm_revision;
        char *observed_retry; /* last retry annotation value acted on */
        char *chart_version;  /* chart version of the deployed release, or NULL */
        /* a chart rollout under way on this store (see reconcile.h), all unset when none */
        char *upgrading_to;            /* chart version being rolled out, or NULL */
        int64_t upgrade_from_revision; /* revision to roll back to */
        int64_t upgrade_started_ms;    /* upgradeStartedAt */
        char *failed_chart_version;    /* chart version whose upgrade was rolled back, or NULL */
        int64_t suspended_ms; /* suspendedAt: when the latest suspension started, 0 if none */
        int64_t resumed_ms;   /* resumedAt: when the latest resume started, 0 if none */
        struct sp_condition cond[SP_COND_COUNT];
        struct sp_activity activity[SP_ACTIVITY_MAX]; /* oldest first */
        int n_activity;
    } status;
};

/* Fills out from a Store object (borrowed). Fails on a missing name only. */
SP_MUST enum sp_err sp_store_from_json(const json_t *obj, struct sp_store *out);
void sp_store_release(struct sp_store *s);

/* Returns a new object: the status as written to the status subresource. */
json_t *sp_store_status_json(const struct sp_store *s);

/* Checks a store name: DNS-1123 label of at most SP_NAME_MAX characters. */
SP_MUST enum sp_err sp_store_validate_name(const char *name);
/* Checks name and spec; the message names the field and the rule. */
SP_MUST enum sp_err sp_store_validate(const struct sp_store *s);
/* What a quantity measures: CPU ("500m", "2") or bytes ("512Mi", "1G", "10Gi"). */
enum sp_quantity { SP_QUANTITY_CPU, SP_QUANTITY_BYTES };
/*
 * The one quantity validator: true when s is a quantity of that kind as the
 * Store CRD's patterns accept it (digits, optionally "." digits, then "m"
 * for CPU, or one of Ki Mi Gi Ti k M G T for bytes). No length limit: the
 * API adds its own.
 */
bool sp_quantity_ok(enum sp_quantity kind, const char *s);

const char *sp_phase_name(enum sp_phase p);
enum sp_phase sp_phase_parse(const char *s);
/* Whether the controller may move a store from one phase to the other. */
bool sp_phase_transition_ok(enum sp_phase from, enum sp_phase to);

const char *sp_cond_name(enum sp_cond c);

/*
 * Moves to phase to, recording message (may be NULL) in status.message and
 * the activity log. Fails (SP_E_INVALID) on a transition the table forbids.
 */
SP_MUST enum sp_err sp_store_set_phase(struct sp_store *s, enum sp_phase to, int64_t now_ms,
                                       const char *message);

/* Sets a condition; the transition time changes only with the status. */
void sp_store_set_cond(struct sp_store *s, enum sp_cond c, enum sp_cond_status st,
                       const char *reason, const char *message, int64_t now_ms);
/* Resets every condition to Unknown (for a retry from scratch). */
void sp_store_reset_conds(struct sp_store *s);

/* Appends to the activity log, dropping the oldest entry when full. */
void sp_store_add_activity(struct sp_store *s, int64_t now_ms, const char *message);

/* The namespace and helm release of store name: "store-<name>" (caller frees). */
char *sp_store_namespace(const char *name);
/* The name of store name's credentials Secret: "store-<name>-credentials" (caller frees). */
char *sp_store_secret_name(const char *name);

#endif
