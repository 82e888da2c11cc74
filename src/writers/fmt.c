// SPDX-License-Identifier: GPL-2.0
/* Number, address and time formatting: see fmt.h. */
#include "writers/fmt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

char *fmt_bytes(char *buf, size_t len, uint64_t v)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)v;
	int u = -1;

	if (v < 1024) {
		snprintf(buf, len, "%u B", (unsigned)v);
		return buf;
	}
	/* switch unit before "%.1f" would round up to 1024.0 */
	while (u < 5 && (u < 0 || d >= 1023.95)) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", d, units[u]);
	return buf;
}

char *fmt_count(char *buf, size_t len, uint64_t v)
{
	static const char suffix[] = "kMGTPE";
	double d = (double)v;
	int u = -1;

	if (v < 100000) {
		snprintf(buf, len, "%u", (unsigned)v);
		return buf;
	}
	while (d >= 999.5 && u < 5) {
		d /= 1000;
		u++;
	}
	snprintf(buf, len, d < 9.95 ? "%.1f%c" : "%.0f%c", d, suffix[u]);
	return buf;
}

char *fmt_thousands(char *buf, size_t len, uint64_t v)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	size_t o = 0;

	for (int i = 0; i < n && o + 1 < len; i++) {
		if (i && (n - i) % 3 == 0 && o + 2 < len)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static bool is_mapped(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

bool fmt_addr_is_zero(const uint8_t *a, size_t n)
{
	while (n--)
		if (*a++)
			return false;
	return true;
}

int wire_family(int family, const uint8_t laddr[16], const uint8_t raddr[16])
{
	if (family == AF_INET6 && is_mapped(raddr) &&
	    (is_mapped(laddr) || fmt_addr_is_zero(laddr, 16)))
		return AF_INET;
	return family;
}

/* Dotted quad without printf (inet_ntop uses it): this runs twice per traced event. */
static char *ip4(char *buf, size_t len, const uint8_t a[4])
{
	char tmp[16];
	size_t o = 0;

	for (int i = 0; i < 4; i++) {
		if (i)
			tmp[o++] = '.';
		if (a[i] >= 100)
			tmp[o++] = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			tmp[o++] = (char)('0' + a[i] / 10 % 10);
		tmp[o++] = (char)('0' + a[i] % 10);
	}
	tmp[o] = '\0';
	snprintf(buf, len, "%s", tmp);
	return buf;
}

char *fmt_ip(char *buf, size_t len, int family, const uint8_t addr[16])
{
	if (family == AF_INET6 && is_mapped(addr))
		return ip4(buf, len, addr + 12);
	if (family != AF_INET6)
		return ip4(buf, len, addr);
	if (!inet_ntop(AF_INET6, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

char *fmt_endpoint(char *buf, size_t len, int family, const uint8_t addr[16], uint16_t port)
{
	char ip[INET6_ADDRSTRLEN], p[8];
	bool v6 = family == AF_INET6 && !is_mapped(addr);

	if (fmt_addr_is_zero(addr, family == AF_INET ? 4 : 16))
		snprintf(ip, sizeof(ip), "*");
	else
		fmt_ip(ip, sizeof(ip), family, addr);
	if (port)
		snprintf(p, sizeof(p), "%u", port);
	else
		snprintf(p, sizeof(p), "*");
	snprintf(buf, len, v6 && ip[0] != '*' ? "[%s]:%s" : "%s:%s", ip, p);
	return buf;
}

const char *family_name(int family)
{
	return family == AF_INET6 ? "ipv6" : "ipv4";
}

const char *proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" : "?";
}

/*
 * Event streams format a time per event; the calendar part changes once a second, so it is
 * kept (per format, for the one thread that prints events) and only milliseconds are added.
 */
struct sec_cache {
	time_t sec;
	bool valid;
	char text[32];
};

static const char *calendar(struct sec_cache *c, time_t sec, bool utc)
{
	struct tm tm;

	if (!c->valid || c->sec != sec) {
		if (utc)
			gmtime_r(&sec, &tm);
		else
			localtime_r(&sec, &tm);
		strftime(c->text, sizeof(c->text), utc ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
		c->sec = sec;
		c->valid = true;
	}
	return c->text;
}

/* base + ".mmm" + end, without printf: this runs once per traced event. */
static char *with_millis(char *buf, size_t len, const char *base, long nsec, const char *end)
{
	size_t b = strlen(base), e = strlen(end);
	unsigned ms = (unsigned)(nsec / 1000000);

	if (b + 4 + e + 1 > len) {
		snprintf(buf, len, "%s", base);
		return buf;
	}
	memcpy(buf, base, b);
	buf[b] = '.';
	buf[b + 1] = (char)('0' + ms / 100);
	buf[b + 2] = (char)('0' + ms / 10 % 10);
	buf[b + 3] = (char)('0' + ms % 10);
	memcpy(buf + b + 4, end, e + 1);
	return buf;
}

char *fmt_rfc3339(char *buf, size_t len, const struct timespec *ts)
{
	static struct sec_cache cache;

	return with_millis(buf, len, calendar(&cache, ts->tv_sec, true), ts->tv_nsec, "Z");
}

char *fmt_clock(char *buf, size_t len, const struct timespec *ts, bool with_ms)
{
	static struct sec_cache cache;
	const char *base = calendar(&cache, ts->tv_sec, false);

	if (with_ms)
		return with_millis(buf, len, base, ts->tv_nsec, "");
	snprintf(buf, len, "%s", base);
	return buf;
}

int64_t mono_to_real_ns(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return (real.tv_sec - mono.tv_sec) * 1000000000LL + real.tv_nsec - mono.tv_nsec;
}

void mono_to_timespec(struct timespec *ts, uint64_t mono_ns, int64_t to_real)
{
	int64_t ns = (int64_t)mono_ns + to_real;

	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}
