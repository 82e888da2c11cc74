/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Escaping of everything that comes from the traced side (process names, payload bytes,
 * paths) before it reaches a terminal, a JSON line or a Prometheus label. All of it lives in
 * escape.c so that there is one place to get right.
 */
#ifndef SS_ESCAPE_H
#define SS_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one; sets *cp. */
size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/*
 * For terminals: printable ASCII as is, backslash as "\\", every other byte as "\xNN"; with
 * utf8_ok, valid UTF-8 characters that are neither controls nor invisible format characters
 * pass through. Always NUL-terminates; truncates on a character boundary. Returns dst.
 */
char *esc_text(char *dst, size_t dstlen, const void *src, size_t srclen, bool utf8_ok);

/*
 * A name as one token of "key=value key=value" text (a packet's comment in a pcapng file, a
 * packet line): as esc_text, and space and '=' as "\x20" and "\x3d" too, so that a hostile
 * name can neither end its field early nor forge another ("x pid=1"). Returns dst.
 */
char *esc_token(char *dst, size_t dstlen, const void *src, size_t srclen, bool utf8_ok);

/*
 * A JSON string body (without quotes): controls as \u00XX, invalid UTF-8 as U+FFFD. dst must
 * hold ESC_JSON_MAX(srclen) bytes; returns the bytes written (a NUL follows them).
 */
#define ESC_JSON_MAX(n) (6 * (n) + 1)
size_t esc_json(char *dst, const void *src, size_t srclen);

/* A Prometheus label value: \\, \" and \n escaped, invalid UTF-8 as U+FFFD. Returns bytes written.
 */
size_t esc_prom(char *dst, size_t dstlen, const void *src, size_t srclen);

/*
 * For terminals, bytes as a hexdump: a line per 16, indented 4 spaces, with the offset, the
 * bytes in hex and, between bars, the printable ASCII ones ('.' for the others).
 */
void esc_hexdump(FILE *f, const void *src, size_t len);

/* strnlen for the kernel's fixed-size, maybe-unterminated name arrays. */
size_t name_len(const char *s, size_t max);

#endif
