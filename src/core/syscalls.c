// SPDX-License-Identifier: GPL-2.0
/* Syscall numbers to names for trace events: see syscalls.h. */
#include "core/syscalls.h"
#include "sockscope.h"

#include <stddef.h>

struct nr_name {
	uint32_t nr;
	const char *name;
};

#if defined(__x86_64__)
#define NR_SENDTO   44
#define NR_RECVFROM 45
#define NR_IO_URING 426
static const struct nr_name table[] = {
	{ 0, "read" },	     { 1, "write" },	   { 17, "pread64" },   { 18, "pwrite64" },
	{ 19, "readv" },     { 20, "writev" },     { 40, "sendfile" },  { 44, "sendto" },
	{ 45, "recvfrom" },  { 46, "sendmsg" },    { 47, "recvmsg" },   { 55, "getsockopt" },
	{ 275, "splice" },
	{ 295, "preadv" },   { 296, "pwritev" },   { 299, "recvmmsg" }, { 307, "sendmmsg" },
	{ 327, "preadv2" },  { 328, "pwritev2" },  { 426, "io_uring" },
};
#elif defined(__aarch64__)
#define NR_SENDTO   206
#define NR_RECVFROM 207
#define NR_IO_URING 426
static const struct nr_name table[] = {
	{ 63, "read" },	     { 64, "write" },	   { 65, "readv" },	{ 66, "writev" },
	{ 67, "pread64" },   { 68, "pwrite64" },   { 69, "preadv" },	{ 70, "pwritev" },
	{ 71, "sendfile" },  { 76, "splice" },	   { 206, "sendto" },	{ 207, "recvfrom" },
	{ 209, "getsockopt" }, { 211, "sendmsg" }, { 212, "recvmsg" }, { 243, "recvmmsg" },
	{ 269, "sendmmsg" },
	{ 286, "preadv2" },  { 287, "pwritev2" },  { 426, "io_uring" },
};
#else
#error "syscall numbers for this architecture are missing"
#endif

const char *syscall_name(uint32_t nr, uint8_t flags)
{
	if (flags & SS_EV_IO_WORKER || nr == NR_IO_URING)
		return "io_uring";
	if (nr == NR_SENDTO && !(flags & SS_EV_ADDR))
		return "send";
	if (nr == NR_RECVFROM && !(flags & SS_EV_ADDR))
		return "recv";
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].nr == nr)
			return table[i].name;
	return nr == SS_NO_SYSCALL ? "kernel" : "other";
}
