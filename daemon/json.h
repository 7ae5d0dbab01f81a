/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A tiny streaming JSON writer for control-socket answers and benchmark
 * output.  The writer inserts commas itself and escapes every string
 * (quotes, backslashes, control characters; invalid UTF-8 becomes
 * U+FFFD), so callers only say what they mean:
 *
 *	json_obj_begin(j);
 *	json_kv_str(j, "role", "lma");
 *	json_kv_int(j, "pid", getpid());
 *	json_kv_arr_begin(j, "mags");
 *	json_str(j, "2001:db8::1");
 *	json_arr_end(j);
 *	json_obj_end(j);
 *
 * Output is compact (no whitespace).  Nesting deeper than JSON_MAX_DEPTH
 * or unbalanced ends set j->err (sticky) instead of writing garbage.
 */
#ifndef PMIPD_JSON_H
#define PMIPD_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

typedef void (*json_write_fn)(void *arg, const char *s, size_t n);

struct json {
	json_write_fn write;
	void *arg;
	int depth;
	int err;			      /* 0 or -EINVAL, sticky */
	unsigned char first[JSON_MAX_DEPTH];  /* next item is the first */
	unsigned char in_obj[JSON_MAX_DEPTH]; /* object (1) or array (0) */
	unsigned char key_pending;	      /* a key was written */
};

void json_init(struct json *j, json_write_fn fn, void *arg);
/* Write to a stdio stream. */
void json_init_file(struct json *j, FILE *f);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);

/* Inside an object: the key of the next value. */
void json_key(struct json *j, const char *key);

/* Values (array elements, or after json_key). */
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_strf(struct json *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
/* Non-finite numbers have no JSON form: they are written as null. */
void json_double(struct json *j, double v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);

/* Key and value in one call. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_strf(struct json *j, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_uint(struct json *j, const char *key, uint64_t v);
void json_kv_double(struct json *j, const char *key, double v);
void json_kv_bool(struct json *j, const char *key, int v);
void json_kv_null(struct json *j, const char *key);
void json_kv_obj_begin(struct json *j, const char *key);
void json_kv_arr_begin(struct json *j, const char *key);

/*
 * Escape s (n bytes) as the inside of a JSON string into dst (always
 * NUL-terminated when dstlen > 0).  Returns the length the escaped text
 * needs, like snprintf.
 */
size_t json_escape(char *dst, size_t dstlen, const char *s, size_t n);

#endif
