/*
 * Engines are data: a YAML (or JSON) file maps each engine name to its chart,
 * the Helm values template, per-size presets, the keys of the credentials
 * Secret and how to generate them, the readiness checks and the URL
 * templates. Adding an engine is a chart plus an entry; no C changes. The
 * file format is documented in charts/engines.yaml itself.
 *
 * Templates: any string "${var}" is replaced by the variable's value keeping
 * its JSON type (a null value removes the key, so the chart default applies);
 * "${var}" inside a longer string is replaced by its text. An unknown
 * variable is an error, so a typo in the file fails loudly.
 */
#ifndef SP_ENGINE_H
#define SP_ENGINE_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"

struct sp_engine {
    char *name;
    char *chart;         /* absolute or relative to the process's cwd */
    char *chart_version; /* `version` of <chart>/Chart.yaml read at load, or NULL (no rollouts) */
    json_t *values;      /* values template (owned) */
    json_t *sizes;       /* size name -> values fragment (owned, may be empty) */
    json_t *secret;      /* Secret key -> generator (owned) */
    json_t *readiness;   /* {pods, jobs, pvcs: bool, storefrontPath: string} (owned) */
    char *url;           /* template of status.url */
    char *admin_url;     /* template of status.adminUrl */
};

struct sp_engines {
    struct sp_engine *v;
    size_t n;
};

/*
 * Loads the engine table from path; chart paths in it are resolved against
 * chart_dir (NULL: the directory of path). Each engine's chart_version is
 * read from its chart's Chart.yaml once, here: a chart rollout is a restart
 * with a new chart (a new orchestrator image).
 */
SP_MUST enum sp_err sp_engines_load(const char *path, const char *chart_dir,
                                    struct sp_engines *out);
/* Builds the table from a parsed document (borrowed); for tests. A chart
 * directory without a readable Chart.yaml leaves chart_version NULL. */
SP_MUST enum sp_err sp_engines_from_json(const json_t *doc, const char *chart_dir,
                                         struct sp_engines *out);
void sp_engines_release(struct sp_engines *e);
/* Returns the engine (owned by e) or NULL. */
const struct sp_engine *sp_engines_find(const struct sp_engines *e, const char *name);

/* Expands a template (see above) with vars (an object). *out is a new reference. */
SP_MUST enum sp_err sp_template_expand(const json_t *tmpl, const json_t *vars, json_t **out);

/* Deep-merges src into dst: objects merge key by key, anything else replaces. */
void sp_json_merge(json_t *dst, const json_t *src);

/*
 * The Helm values of one store: the size preset (vars "size"), then the
 * expanded values template on top. *out is a new reference.
 */
SP_MUST enum sp_err sp_engine_values(const struct sp_engine *e, const json_t *vars, json_t **out);

/*
 * The credentials Secret's data: each generator {"random": N} gives N random
 * characters from getrandom(2), {"value": "template"} the expanded text.
 * *out is a new object of key -> string; it holds secrets, so never log it.
 */
SP_MUST enum sp_err sp_engine_secret_data(const struct sp_engine *e, const json_t *vars,
                                          json_t **out);

/* Expands a string template; *out is a new string the caller frees. */
SP_MUST enum sp_err sp_template_string(const char *tmpl, const json_t *vars, char **out);

/* A readiness switch, true when absent. */
bool sp_engine_checks(const struct sp_engine *e, const char *what);

#endif
