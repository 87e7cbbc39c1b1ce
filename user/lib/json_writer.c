// SPDX-License-Identifier: GPL-2.0
/* Streaming JSON writer after bpftool's API. Numbers use printf: LC_NUMERIC must stay "C". */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"

struct json_writer {
	FILE *out;
	unsigned int depth; /* open objects and arrays */
	bool pretty;
	bool nonempty; /* something was written at this depth: a comma comes next */
	bool after_name; /* a member name is waiting for its value */
};

json_writer_t *jsonw_new(FILE *f)
{
	json_writer_t *self;

	if (!f) {
		errno = EINVAL;
		return NULL;
	}
	self = calloc(1, sizeof(*self));
	if (self)
		self->out = f;
	return self;
}

void jsonw_destroy(json_writer_t **self_p)
{
	if (!self_p || !*self_p)
		return;
	putc('\n', (*self_p)->out);
	fflush((*self_p)->out);
	free(*self_p);
	*self_p = NULL;
}

void jsonw_pretty(json_writer_t *self, bool on)
{
	self->pretty = on;
}

/* Pretty mode only: a new line, indented for the current depth. */
static void jsonw_newline(json_writer_t *self)
{
	if (self->pretty)
		fprintf(self->out, "\n%*s", (int)(self->depth * 2), "");
}

/* Before a member name or a value: comma and new line, unless the value follows its name. */
static void jsonw_value_start(json_writer_t *self)
{
	if (self->after_name) {
		self->after_name = false;
		return;
	}
	if (self->nonempty)
		putc(',', self->out);
	if (self->depth)
		jsonw_newline(self);
	self->nonempty = true;
}

/* Length of the well-formed UTF-8 sequence (RFC 3629) at @s; 0 if none, or if ASCII. */
static size_t utf8_seq_len(const unsigned char *s)
{
	/* The second byte's range excludes overlongs, surrogates and code points > U+10FFFF. */
	unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
	unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;
	size_t len = s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
	size_t i;

	if (!len || s[1] < lo || s[1] > hi)
		return 0;
	/* A NUL fails the test, so this never reads past the end of the string. */
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* @str as a JSON string: quoted, escaped, and each byte of invalid UTF-8 as \ufffd. */
static void jsonw_puts(json_writer_t *self, const char *str)
{
	static const char esc_chars[] = "\"\\\b\f\n\r\t";
	static const char esc_names[] = "\"\\bfnrt";
	const unsigned char *s = (const unsigned char *)str;
	const char *esc;
	size_t len;

	putc('"', self->out);
	for (; *s; s += len ? len : 1) {
		len = utf8_seq_len(s);
		esc = strchr(esc_chars, *s);
		if (len)
			fwrite(s, 1, len, self->out);
		else if (esc)
			fprintf(self->out, "\\%c", esc_names[esc - esc_chars]);
		else if (*s >= 0x80)
			fputs("\\ufffd", self->out);
		else if (*s < 0x20)
			fprintf(self->out, "\\u%04x", *s);
		else
			putc(*s, self->out);
	}
	putc('"', self->out);
}

static void jsonw_begin(json_writer_t *self, char c)
{
	jsonw_value_start(self);
	putc(c, self->out);
	self->depth++;
	self->nonempty = false;
}

/* An empty container stays on one line, {} or [], in both modes. */
static void jsonw_end(json_writer_t *self, char c)
{
	if (!self->depth) /* unbalanced: a bug in the caller, but keep the output sane */
		return;
	self->depth--;
	if (self->nonempty)
		jsonw_newline(self);
	putc(c, self->out);
	self->nonempty = true;
}

void jsonw_start_object(json_writer_t *self)
{
	jsonw_begin(self, '{');
}

void jsonw_end_object(json_writer_t *self)
{
	jsonw_end(self, '}');
}

void jsonw_start_array(json_writer_t *self)
{
	jsonw_begin(self, '[');
}

void jsonw_end_array(json_writer_t *self)
{
	jsonw_end(self, ']');
}

void jsonw_name(json_writer_t *self, const char *name)
{
	jsonw_value_start(self);
	jsonw_puts(self, name);
	fputs(self->pretty ? ": " : ":", self->out);
	self->after_name = true;
}

void jsonw_string(json_writer_t *self, const char *value)
{
	jsonw_value_start(self);
	if (value)
		jsonw_puts(self, value);
	else
		fputs("null", self->out);
}

void jsonw_printf(json_writer_t *self, const char *fmt, ...)
{
	va_list ap;

	jsonw_value_start(self);
	va_start(ap, fmt);
	vfprintf(self->out, fmt, ap);
	va_end(ap);
}

void jsonw_bool(json_writer_t *self, bool value)
{
	jsonw_printf(self, "%s", value ? "true" : "false");
}

void jsonw_null(json_writer_t *self)
{
	jsonw_printf(self, "null");
}

void jsonw_uint(json_writer_t *self, uint64_t value)
{
	jsonw_printf(self, "%" PRIu64, value);
}

void jsonw_int(json_writer_t *self, int64_t value)
{
	jsonw_printf(self, "%" PRId64, value);
}

/* The shortest of %.15g, %.16g and %.17g that reads back as the same double; NaN, inf: null. */
void jsonw_float(json_writer_t *self, double value)
{
	char buf[32] = "null";
	int prec;

	for (prec = 15; prec <= 17 && isfinite(value); prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, value);
		if (strtod(buf, NULL) == value)
			break;
	}
	jsonw_printf(self, "%s", buf);
}

void jsonw_string_field(json_writer_t *self, const char *prop, const char *val)
{
	jsonw_name(self, prop);
	jsonw_string(self, val);
}

void jsonw_bool_field(json_writer_t *self, const char *prop, bool value)
{
	jsonw_name(self, prop);
	jsonw_bool(self, value);
}

void jsonw_uint_field(json_writer_t *self, const char *prop, uint64_t value)
{
	jsonw_name(self, prop);
	jsonw_uint(self, value);
}

void jsonw_int_field(json_writer_t *self, const char *prop, int64_t value)
{
	jsonw_name(self, prop);
	jsonw_int(self, value);
}

void jsonw_float_field(json_writer_t *self, const char *prop, double value)
{
	jsonw_name(self, prop);
	jsonw_float(self, value);
}

void jsonw_null_field(json_writer_t *self, const char *prop)
{
	jsonw_name(self, prop);
	jsonw_null(self);
}
