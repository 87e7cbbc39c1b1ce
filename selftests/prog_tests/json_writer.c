// SPDX-License-Identifier: GPL-2.0
/* The jsonw_* writer behind banctl -j/-p: exact compact and pretty text, escaping, numbers. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "test_progs.h"
#include "json_writer.h"

typedef void (*emit_fn)(json_writer_t *w);

/* Runs @emit on a fresh writer over a memory stream; returns the text (free() it) or NULL. */
static char *render(emit_fn emit, bool pretty)
{
	json_writer_t *w;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!ASSERT_OK_PTR(f, "open_memstream"))
		return NULL;
	w = jsonw_new(f);
	if (ASSERT_OK_PTR(w, "jsonw_new")) {
		jsonw_pretty(w, pretty);
		emit(w);
		jsonw_destroy(&w);
		ASSERT_TRUE(!w, "destroy clears the pointer");
	}
	fclose(f);
	return text;
}

static void check(emit_fn emit, bool pretty, const char *expected, const char *name)
{
	char *text = render(emit, pretty);

	if (text)
		ASSERT_STREQ(text, expected, name);
	free(text);
}

static void emit_nested(json_writer_t *w)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "ifname", "eth0");
	jsonw_name(w, "list");
	jsonw_start_array(w);
	jsonw_uint(w, 1);
	jsonw_int(w, -2);
	jsonw_start_object(w);
	jsonw_end_object(w);
	jsonw_start_array(w);
	jsonw_end_array(w);
	jsonw_start_object(w);
	jsonw_null_field(w, "a");
	jsonw_name(w, "b");
	jsonw_start_array(w);
	jsonw_bool(w, true);
	jsonw_string(w, "x");
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_end_array(w);
	jsonw_bool_field(w, "ok", false);
	jsonw_name(w, "raw");
	jsonw_printf(w, "%d.%d", 1, 5);
	jsonw_end_object(w);
}

static const char nested_compact[] =
	"{\"ifname\":\"eth0\",\"list\":[1,-2,{},[],{\"a\":null,\"b\":[true,\"x\"]}],"
	"\"ok\":false,\"raw\":1.5}\n";

static const char nested_pretty[] = "{\n"
				    "  \"ifname\": \"eth0\",\n"
				    "  \"list\": [\n"
				    "    1,\n"
				    "    -2,\n"
				    "    {},\n"
				    "    [],\n"
				    "    {\n"
				    "      \"a\": null,\n"
				    "      \"b\": [\n"
				    "        true,\n"
				    "        \"x\"\n"
				    "      ]\n"
				    "    }\n"
				    "  ],\n"
				    "  \"ok\": false,\n"
				    "  \"raw\": 1.5\n"
				    "}\n";

static void emit_escapes(json_writer_t *w)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "q\"k", "quote\" back\\slash /");
	jsonw_string_field(w, "ws", "\n\t\r\b\f");
	jsonw_string_field(w, "ctl", "\x01\x1f\x7fz");
	jsonw_end_object(w);
}

static const char escapes_json[] = "{\"q\\\"k\":\"quote\\\" back\\\\slash /\","
				   "\"ws\":\"\\n\\t\\r\\b\\f\","
				   "\"ctl\":\"\\u0001\\u001f\x7fz\"}\n";

/* Each byte that is not part of well-formed UTF-8 becomes one \ufffd. */
static void emit_invalid_utf8(json_writer_t *w)
{
	jsonw_start_array(w);
	jsonw_string(w, "\xff"); /* never valid */
	jsonw_string(w, "\xc0\xaf"); /* overlong '/' */
	jsonw_string(w, "\xe0\x80\xaf"); /* overlong '/' */
	jsonw_string(w, "\xed\xa0\x80"); /* UTF-16 surrogate U+D800 */
	jsonw_string(w, "\xf4\x90\x80\x80"); /* U+110000 */
	jsonw_string(w, "a\xe2\x82"); /* truncated at the end */
	jsonw_string(w, "\xe2\x82z"); /* truncated before ASCII */
	jsonw_string(w, "\x80z"); /* lone continuation byte */
	jsonw_string(w, "\xfe\xe2\x82\xac"); /* bad byte, then a valid euro sign */
	jsonw_end_array(w);
}

static const char invalid_utf8_json[] = "[\"\\ufffd\","
					"\"\\ufffd\\ufffd\","
					"\"\\ufffd\\ufffd\\ufffd\","
					"\"\\ufffd\\ufffd\\ufffd\","
					"\"\\ufffd\\ufffd\\ufffd\\ufffd\","
					"\"a\\ufffd\\ufffd\","
					"\"\\ufffd\\ufffdz\","
					"\"\\ufffdz\","
					"\"\\ufffd\xe2\x82\xac\"]\n";

/* Boundaries of each sequence length and around the surrogates, then ordinary text. */
#define VALID_UTF8                                                  \
	"\xc2\x80 \xdf\xbf " /* U+0080 U+07FF */                    \
	"\xe0\xa0\x80 \xed\x9f\xbf " /* U+0800 U+D7FF */            \
	"\xee\x80\x80 \xef\xbf\xbd " /* U+E000 U+FFFD */            \
	"\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf " /* U+10000 U+10FFFF */ \
	"caf\xc3\xa9 \xf0\x9f\x98\x80"

static void emit_valid_utf8(json_writer_t *w)
{
	jsonw_start_object(w);
	jsonw_string_field(w, VALID_UTF8, VALID_UTF8);
	jsonw_end_object(w);
}

static void emit_integers(json_writer_t *w)
{
	jsonw_start_object(w);
	jsonw_uint_field(w, "u64_max", UINT64_MAX);
	jsonw_uint_field(w, "zero", 0);
	jsonw_int_field(w, "neg", -1);
	jsonw_int_field(w, "s64_min", INT64_MIN);
	jsonw_int_field(w, "s64_max", INT64_MAX);
	jsonw_end_object(w);
}

static const char integers_json[] = "{\"u64_max\":18446744073709551615,\"zero\":0,\"neg\":-1,"
				    "\"s64_min\":-9223372036854775808,"
				    "\"s64_max\":9223372036854775807}\n";

/* Shortest text that reads back as the same double; JSON has no NaN or infinity. */
static void emit_floats(json_writer_t *w)
{
	jsonw_start_array(w);
	jsonw_float(w, 0.1);
	jsonw_float(w, 1.0 / 3);
	jsonw_float(w, -2.5);
	jsonw_float(w, 1e300);
	jsonw_float(w, NAN);
	jsonw_float(w, -INFINITY);
	jsonw_start_object(w);
	jsonw_float_field(w, "f", 0.30000000000000004);
	jsonw_end_object(w);
	jsonw_end_array(w);
}

static const char floats_json[] =
	"[0.1,0.3333333333333333,-2.5,1e+300,null,null,{\"f\":0.30000000000000004}]\n";

static void emit_nulls(json_writer_t *w)
{
	jsonw_start_object(w);
	jsonw_null_field(w, "expires");
	jsonw_string_field(w, "reason", NULL);
	jsonw_name(w, "list");
	jsonw_start_array(w);
	jsonw_null(w);
	jsonw_string(w, NULL);
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static const char nulls_pretty[] = "{\n"
				   "  \"expires\": null,\n"
				   "  \"reason\": null,\n"
				   "  \"list\": [\n"
				   "    null,\n"
				   "    null\n"
				   "  ]\n"
				   "}\n";

static void emit_null(json_writer_t *w)
{
	jsonw_null(w);
}

static void emit_empty_array(json_writer_t *w)
{
	jsonw_start_array(w);
	jsonw_end_array(w);
}

static void test_lifecycle(void)
{
	json_writer_t *w = NULL;

	errno = 0;
	ASSERT_TRUE(!jsonw_new(NULL), "jsonw_new(NULL)");
	ASSERT_EQ(errno, EINVAL, "jsonw_new(NULL) errno");
	jsonw_destroy(NULL);
	jsonw_destroy(&w);
	ASSERT_TRUE(!w, "destroy of NULL");
	check(emit_null, false, "null\n", "top-level null");
	check(emit_null, true, "null\n", "top-level null pretty");
	check(emit_empty_array, true, "[]\n", "empty array pretty");
}

void test_json_writer(void)
{
	if (test__start_subtest("compact"))
		check(emit_nested, false, nested_compact, "nested compact");
	if (test__start_subtest("pretty"))
		check(emit_nested, true, nested_pretty, "nested pretty");
	if (test__start_subtest("escapes"))
		check(emit_escapes, false, escapes_json, "escapes");
	if (test__start_subtest("invalid_utf8"))
		check(emit_invalid_utf8, false, invalid_utf8_json, "invalid utf8");
	if (test__start_subtest("valid_utf8"))
		check(emit_valid_utf8, false, "{\"" VALID_UTF8 "\":\"" VALID_UTF8 "\"}\n",
		      "valid utf8");
	if (test__start_subtest("integers"))
		check(emit_integers, false, integers_json, "integers");
	if (test__start_subtest("floats"))
		check(emit_floats, false, floats_json, "floats");
	if (test__start_subtest("nulls"))
		check(emit_nulls, true, nulls_pretty, "nulls pretty");
	if (test__start_subtest("lifecycle"))
		test_lifecycle();
}
