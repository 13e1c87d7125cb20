/*
 * YAML to JSON: loads the first document of a YAML text with libyaml and
 * returns it as a jansson tree, so the rest of the program navigates one kind
 * of tree. With typed false every scalar becomes a string (kubeconfig, where
 * only strings matter); with typed true, plain (unquoted) scalars true/false,
 * null/~ and integers/decimals become JSON booleans, null and numbers, as a
 * YAML 1.2 core-schema reader would see them.
 */
#ifndef SP_YAML2JSON_H
#define SP_YAML2JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* On success *out is a new reference (an empty object for an empty text). */
SP_MUST enum sp_err sp_yaml_to_json(const char *text, size_t len, bool typed, json_t **out);

/*
 * Every document of a multi-document stream ("---" between them), as a JSON
 * array in their order; empty documents (a file of comments, a template that
 * rendered nothing) are left out.
 */
SP_MUST enum sp_err sp_yaml_docs_to_json(const char *text, size_t len, bool typed, json_t **out);

#endif
