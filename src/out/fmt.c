// SPDX-License-Identifier: GPL-2.0
/* Number, address and time formatting: see fmt.h. */
#include "fmt.h"

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

static bool is_zero(const uint8_t *a, size_t n)
{
	while (n--)
		if (*a++)
			return false;
	return true;
}

int wire_family(int family, const uint8_t laddr[16], const uint8_t raddr[16])
{
	if (family == AF_INET6 && is_mapped(raddr) && (is_mapped(laddr) || is_zero(laddr, 16)))
		return AF_INET;
	return family;
}

char *fmt_ip(char *buf, size_t len, int family, const uint8_t addr[16])
{
	if (family == AF_INET6 && is_mapped(addr))
		inet_ntop(AF_INET, addr + 12, buf, (socklen_t)len);
	else if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

char *fmt_endpoint(char *buf, size_t len, int family, const uint8_t addr[16], uint16_t port)
{
	char ip[INET6_ADDRSTRLEN], p[8];
	bool v6 = family == AF_INET6 && !is_mapped(addr);

	if (is_zero(addr, family == AF_INET ? 4 : 16))
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

char *fmt_rfc3339(char *buf, size_t len, const struct timespec *ts)
{
	struct tm tm;
	char base[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", base, ts->tv_nsec / 1000000);
	return buf;
}

char *fmt_clock(char *buf, size_t len, const struct timespec *ts, bool with_ms)
{
	struct tm tm;
	char base[16];

	localtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof(base), "%H:%M:%S", &tm);
	if (with_ms)
		snprintf(buf, len, "%s.%03ld", base, ts->tv_nsec / 1000000);
	else
		snprintf(buf, len, "%s", base);
	return buf;
}
