/*
 * YAML to JSON (see yaml2json.h) with libyaml's document API. Aliases resolve
 * through node references; depth is capped at 64 so a hostile document
 * cannot exhaust the stack.
 */
#include "yaml2json.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static json_t *scalar(const yaml_node_t *node, bool typed)
{
    const char *v = (const char *)node->data.scalar.value;
    size_t n = node->data.scalar.length;

    if (typed && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        char *end;
        if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0)
            return json_true();
        if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0)
            return json_false();
        if (n == 0 || strcmp(v, "null") == 0 || strcmp(v, "~") == 0)
            return json_null();
        if ((v[0] >= '0' && v[0] <= '9') || ((v[0] == '-' || v[0] == '+') && n > 1)) {
            long long ll = strtoll(v, &end, 10);
            if (*end == '\0')
                return json_integer(ll);
            double d = strtod(v, &end);
            if (*end == '\0')
                return json_real(d);
        }
    }
    return json_stringn(v, n);
}

static json_t *node_to_json(yaml_document_t *doc, yaml_node_t *node, bool typed, int depth)
{
    json_t *j;

    if (!node || depth > 64)
        return json_null();
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return scalar(node, typed);
    case YAML_SEQUENCE_NODE:
        j = json_array();
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; it++)
            json_array_append_new(
                j, node_to_json(doc, yaml_document_get_node(doc, *it), typed, depth + 1));
        return j;
    case YAML_MAPPING_NODE:
        j = json_object();
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            json_t *v;
            char *key;
            if (!k || k->type != YAML_SCALAR_NODE)
                continue;
            v = node_to_json(doc, yaml_document_get_node(doc, p->value), typed, depth + 1);
            key = strndup((const char *)k->data.scalar.value, k->data.scalar.length);
            if (key && v)
                json_object_set_new(j, key, v);
            else
                json_decref(v);
            free(key);
        }
        return j;
    default:
        return json_null();
    }
}

enum sp_err sp_yaml_to_json(const char *text, size_t len, bool typed, json_t **out)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    enum sp_err err;

    *out = NULL;
    if (!yaml_parser_initialize(&parser))
        return sp_fail(SP_E_IO, "unable to initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        err = sp_fail(SP_E_INVALID, "not valid YAML: %s at line %zu",
                      parser.problem ? parser.problem : "error", parser.problem_mark.line + 1);
        yaml_parser_delete(&parser);
        return err;
    }
    root = yaml_document_get_root_node(&doc);
    *out = root ? node_to_json(&doc, root, typed, 0) : json_object();
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return SP_OK;
}

enum sp_err sp_yaml_docs_to_json(const char *text, size_t len, bool typed, json_t **out)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    json_t *docs;

    *out = NULL;
    if (!yaml_parser_initialize(&parser))
        return sp_fail(SP_E_IO, "unable to initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    docs = json_array();
    for (;;) {
        if (!yaml_parser_load(&parser, &doc)) {
            enum sp_err err =
                sp_fail(SP_E_INVALID, "not valid YAML: %s at line %zu",
                        parser.problem ? parser.problem : "error", parser.problem_mark.line + 1);
            yaml_parser_delete(&parser);
            json_decref(docs);
            return err;
        }
        root = yaml_document_get_root_node(&doc);
        if (!root) { /* the end of the stream */
            yaml_document_delete(&doc);
            break;
        }
        json_t *j = node_to_json(&doc, root, typed, 0);
        if (json_is_object(j) && json_object_size(j) > 0)
            json_array_append_new(docs, j);
        else
            json_decref(j);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    *out = docs;
    return SP_OK;
}
