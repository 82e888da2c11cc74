/* SPDX-License-Identifier: GPL-2.0 */
/* Standard base64 (RFC 4648, with padding) for payload bytes in JSON. */
#ifndef SS_BASE64_H
#define SS_BASE64_H

#include <stddef.h>
#include <stdint.h>

#define B64_LEN(n) ((((n) + 2) / 3) * 4)

/* Writes B64_LEN(n) characters and a NUL to dst; returns the characters written. */
size_t b64_encode(char *dst, const uint8_t *src, size_t n);

#endif
