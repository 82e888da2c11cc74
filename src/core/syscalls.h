/* SPDX-License-Identifier: GPL-2.0 */
/* Names of the user-space entries that lead to socket calls, by this architecture's numbers. */
#ifndef SS_SYSCALLS_H
#define SS_SYSCALLS_H

#include <stdint.h>

/*
 * "send"/"recv" are sendto/recvfrom without an address (what libc's send() and recv()
 * make); an io_uring worker thread's calls, or those made inside io_uring_enter, are
 * "io_uring"; a call outside any syscall is "kernel".
 */
const char *syscall_name(uint32_t nr, uint8_t event_flags);

#endif
