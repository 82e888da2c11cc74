// SPDX-License-Identifier: GPL-2.0
/*
 * Loader for noop.bpf.c: loads and attaches the do-nothing programs, says so on stderr, and
 * holds them until SIGINT or SIGTERM, then detaches and exits 0. The benchmark starts it like
 * any other monitor and stops it by PID.
 */
#include "noop.skel.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct noop_bpf *skel;
	int err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	skel = noop_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "noop: failed to load: %s\n", strerror(errno));
		return 1;
	}
	err = noop_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "noop: failed to attach: %s\n", strerror(-err));
		goto out_destroy;
	}
	fprintf(stderr, "noop: attached noop_send_btf, noop_recv_btf\n");
	while (!stop)
		pause();
out_destroy:
	noop_bpf__destroy(skel);
	return err ? 1 : 0;
}
