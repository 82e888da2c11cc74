/* SPDX-License-Identifier: GPL-2.0 */
/* Number, address and time formatting shared by every output (table, JSON, Prometheus). */
#ifndef SS_FMT_H
#define SS_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "512 B", "15.0 KiB", "3.2 MiB", ... at most 10 characters. */
char *fmt_bytes(char *buf, size_t len, uint64_t v);
/* Call counts in at most 5 characters: "99999", "123k", "1.2M", "45G". */
char *fmt_count(char *buf, size_t len, uint64_t v);
/* "15,360" */
char *fmt_thousands(char *buf, size_t len, uint64_t v);

/*
 * Addresses as stored by the kernel side: IPv4 in the first 4 bytes of addr, IPv6 in all 16.
 * IPv4-mapped IPv6 addresses print as IPv4. fmt_ip gives the bare address, fmt_endpoint
 * "1.2.3.4:80" or "[::1]:80", with "*" for an unspecified address or port.
 */
char *fmt_ip(char *buf, size_t len, int family, const uint8_t addr[16]);
/* The unspecified address (0.0.0.0 or ::): what a socket bound to no address holds. */
bool fmt_addr_is_zero(const uint8_t *a, size_t n);
char *fmt_endpoint(char *buf, size_t len, int family, const uint8_t addr[16], uint16_t port);
/* The family an address pair is on the wire: AF_INET for IPv4-mapped IPv6. */
int wire_family(int family, const uint8_t laddr[16], const uint8_t raddr[16]);
const char *family_name(int family); /* "ipv4" / "ipv6" */
const char *proto_name(int proto);   /* "tcp" / "udp" */

/* RFC 3339 UTC with milliseconds: "2026-11-21T23:51:14.123Z". */
char *fmt_rfc3339(char *buf, size_t len, const struct timespec *ts);
/*
 * Kernel event times are CLOCK_MONOTONIC: mono_to_real_ns() is what to add for the wall clock
 * (read once, at start, so that event times stay in order), mono_to_timespec() adds it.
 */
int64_t mono_to_real_ns(void);
void mono_to_timespec(struct timespec *ts, uint64_t mono_ns, int64_t to_real);
/* Local wall-clock time "23:51:14" (with_ms: "23:51:14.123"). */
char *fmt_clock(char *buf, size_t len, const struct timespec *ts, bool with_ms);

#endif
