/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A streaming JSON writer in the shape of bpftool's: the caller says what comes next, the
 * writer adds commas, indentation and string escaping. Output is valid JSON even for
 * strings that are not valid UTF-8 (each bad byte becomes \ufffd). One writer emits one
 * value; containers must be closed before jsonw_destroy().
 */
#ifndef JSON_WRITER_H
#define JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct json_writer json_writer_t;

/* Returns NULL and sets errno on failure; @f stays owned by the caller. */
json_writer_t *jsonw_new(FILE *f);
/* Ends the output with a newline, flushes, frees *self_p and sets it to NULL. NULL-safe. */
void jsonw_destroy(json_writer_t **self_p);
/* Pretty: one member per line, indented 2 spaces per level, "name": value. Off: no spaces. */
void jsonw_pretty(json_writer_t *self, bool on);

void jsonw_start_object(json_writer_t *self);
void jsonw_end_object(json_writer_t *self);
void jsonw_start_array(json_writer_t *self);
void jsonw_end_array(json_writer_t *self);

/* Member name inside an object; the next call writes its value. */
void jsonw_name(json_writer_t *self, const char *name);

/* Values. A NULL string is written as null; non-finite floats as null. */
void jsonw_string(json_writer_t *self, const char *value);
/* A raw value, written as formatted: the caller makes it valid JSON. */
void jsonw_printf(json_writer_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jsonw_bool(json_writer_t *self, bool value);
void jsonw_null(json_writer_t *self);
void jsonw_uint(json_writer_t *self, uint64_t value);
void jsonw_int(json_writer_t *self, int64_t value);
void jsonw_float(json_writer_t *self, double value);

/* Name and value in one call. */
void jsonw_string_field(json_writer_t *self, const char *prop, const char *val);
void jsonw_bool_field(json_writer_t *self, const char *prop, bool value);
void jsonw_uint_field(json_writer_t *self, const char *prop, uint64_t value);
void jsonw_int_field(json_writer_t *self, const char *prop, int64_t value);
void jsonw_float_field(json_writer_t *self, const char *prop, double value);
void jsonw_null_field(json_writer_t *self, const char *prop);

#endif /* JSON_WRITER_H */
