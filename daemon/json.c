/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes
 * are not valid UTF-8 (overlong forms, surrogates, beyond U+10FFFF and
 * truncated sequences included: RFC 3629 section 4).
 */
static size_t
json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* Append n bytes at *pos, keeping room for the final NUL. */
static void
json_put(char *dst, size_t dstlen, size_t *pos, const char *s, size_t n)
{
	if (*pos < dstlen) {
		size_t room = dstlen - 1 - *pos;
		memcpy(dst + *pos, s, n < room ? n : room);
	}
	*pos += n;
}

size_t
json_escape(char *dst, size_t dstlen, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t pos = 0, i = 0;
	char esc[8];

	while (i < n) {
		unsigned char c = u[i];
		size_t len;

		switch (c) {
		case '"':
			json_put(dst, dstlen, &pos, "\\\"", 2);
			i++;
			continue;
		case '\\':
			json_put(dst, dstlen, &pos, "\\\\", 2);
			i++;
			continue;
		case '\n':
			json_put(dst, dstlen, &pos, "\\n", 2);
			i++;
			continue;
		case '\r':
			json_put(dst, dstlen, &pos, "\\r", 2);
			i++;
			continue;
		case '\t':
			json_put(dst, dstlen, &pos, "\\t", 2);
			i++;
			continue;
		case '\b':
			json_put(dst, dstlen, &pos, "\\b", 2);
			i++;
			continue;
		case '\f':
			json_put(dst, dstlen, &pos, "\\f", 2);
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			json_put(dst, dstlen, &pos, esc, 6);
			i++;
			continue;
		}
		len = json_utf8_len(u + i, n - i);
		if (len == 0) {
			json_put(dst, dstlen, &pos, "\\ufffd", 6);
			i++;
			continue;
		}
		json_put(dst, dstlen, &pos, s + i, len);
		i += len;
	}
	if (dstlen > 0)
		dst[pos < dstlen ? pos : dstlen - 1] = '\0';
	return pos;
}

/* --- the writer ------------------------------------------------------ */

static void
json_file_write(void *arg, const char *s, size_t n)
{
	fwrite(s, 1, n, (FILE *)arg);
}

void
json_init(struct json *j, json_write_fn fn, void *arg)
{
	memset(j, 0, sizeof(*j));
	j->write = fn;
	j->arg = arg;
	j->first[0] = 1;
}

void
json_init_file(struct json *j, FILE *f)
{
	json_init(j, json_file_write, f);
}

static void
json_raw(struct json *j, const char *s, size_t n)
{
	if (n > 0)
		j->write(j->arg, s, n);
}

/* Separator before a value; checks that a value may come here. */
static int
json_value_prefix(struct json *j)
{
	if (j->err)
		return -1;
	if (j->key_pending) {
		j->key_pending = 0;
		return 0;
	}
	if (j->depth > 0 && j->in_obj[j->depth]) {
		j->err = -EINVAL; /* a value in an object needs a key */
		return -1;
	}
	if (!j->first[j->depth])
		json_raw(j, ",", 1);
	j->first[j->depth] = 0;
	return 0;
}

/* Worst case: every input byte becomes a six-character \u escape. */
#define JSON_SLICE 64

static int
json_is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

static void
json_quoted(struct json *j, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char buf[JSON_SLICE * 6 + 1];
	size_t done = 0;

	json_raw(j, "\"", 1);
	while (done < n) {
		size_t take = n - done < JSON_SLICE ? n - done : JSON_SLICE;
		/* Do not cut a UTF-8 sequence (at most 4 bytes) in two. */
		for (int back = 0; back < 3 && done + take < n &&
				   json_is_cont(u[done + take]) && take > 1;
		     back++)
			take--;
		json_raw(j, buf, json_escape(buf, sizeof(buf), s + done, take));
		done += take;
	}
	json_raw(j, "\"", 1);
}

static void
json_open(struct json *j, int obj)
{
	if (json_value_prefix(j) < 0)
		return;
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->err = -EINVAL;
		return;
	}
	json_raw(j, obj ? "{" : "[", 1);
	j->depth++;
	j->first[j->depth] = 1;
	j->in_obj[j->depth] = (unsigned char)obj;
}

static void
json_close(struct json *j, int obj)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->in_obj[j->depth] != obj || j->key_pending) {
		j->err = -EINVAL;
		return;
	}
	j->depth--;
	json_raw(j, obj ? "}" : "]", 1);
}

void
json_obj_begin(struct json *j)
{
	json_open(j, 1);
}

void
json_obj_end(struct json *j)
{
	json_close(j, 1);
}

void
json_arr_begin(struct json *j)
{
	json_open(j, 0);
}

void
json_arr_end(struct json *j)
{
	json_close(j, 0);
}

void
json_key(struct json *j, const char *key)
{
	if (j->err)
		return;
	if (j->depth == 0 || !j->in_obj[j->depth] || j->key_pending) {
		j->err = -EINVAL;
		return;
	}
	if (!j->first[j->depth])
		json_raw(j, ",", 1);
	j->first[j->depth] = 0;
	json_quoted(j, key, strlen(key));
	json_raw(j, ":", 1);
	j->key_pending = 1;
}

void
json_strn(struct json *j, const char *s, size_t n)
{
	if (json_value_prefix(j) < 0)
		return;
	json_quoted(j, s, n);
}

void
json_str(struct json *j, const char *s)
{
	if (s == NULL)
		json_null(j);
	else
		json_strn(j, s, strlen(s));
}

static void __attribute__((format(printf, 2, 0)))
json_vstrf(struct json *j, const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	json_strn(j, buf, (size_t)n);
}

void
json_strf(struct json *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_vstrf(j, fmt, ap);
	va_end(ap);
}

void
json_int(struct json *j, int64_t v)
{
	char buf[32];
	int n;

	if (json_value_prefix(j) < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%" PRId64, v);
	json_raw(j, buf, (size_t)n);
}

void
json_uint(struct json *j, uint64_t v)
{
	char buf[32];
	int n;

	if (json_value_prefix(j) < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%" PRIu64, v);
	json_raw(j, buf, (size_t)n);
}

void
json_double(struct json *j, double v)
{
	char buf[64];
	int n;

	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	if (json_value_prefix(j) < 0)
		return;
	/* The shortest of %.15g .. %.17g that reads back the same value
	 * (0.1 stays "0.1"); for finite values these never take a form
	 * JSON rejects (no "inf", no leading '+', no bare '.'). */
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	json_raw(j, buf, (size_t)n);
}

void
json_bool(struct json *j, int v)
{
	if (json_value_prefix(j) < 0)
		return;
	if (v)
		json_raw(j, "true", 4);
	else
		json_raw(j, "false", 5);
}

void
json_null(struct json *j)
{
	if (json_value_prefix(j) < 0)
		return;
	json_raw(j, "null", 4);
}

void
json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void
json_kv_strf(struct json *j, const char *key, const char *fmt, ...)
{
	va_list ap;

	json_key(j, key);
	va_start(ap, fmt);
	json_vstrf(j, fmt, ap);
	va_end(ap);
}

void
json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void
json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void
json_kv_double(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_double(j, v);
}

void
json_kv_bool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	json_bool(j, v);
}

void
json_kv_null(struct json *j, const char *key)
{
	json_key(j, key);
	json_null(j);
}

void
json_kv_obj_begin(struct json *j, const char *key)
{
	json_key(j, key);
	json_obj_begin(j);
}

void
json_kv_arr_begin(struct json *j, const char *key)
{
	json_key(j, key);
	json_arr_begin(j);
}
