// SPDX-License-Identifier: GPL-2.0
/* Shared steps of loading a BPF object: see loader.h. */
#include "loader.h"
#include "sys.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ld_choose(const struct ld_hook *hooks, size_t n, enum ss_mode force, struct ss_choice *ch,
	      char *err, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (!hooks[i].hook) {
			memset(&ch[i], 0, sizeof(ch[i]));
			ch[i].way = -1;
			continue;
		}
		if (!ss_choose(hooks[i].hook, force, &ch[i]))
			continue;
		if (hooks[i].required) {
			snprintf(err, len, "cannot attach %s (%s): %s", hooks[i].hook->name,
				 hooks[i].hook->what, ch[i].why);
			return -1;
		}
		fprintf(stderr, "sockscope: warning: no %s hook (%s); %s\n", hooks[i].hook->name,
			ch[i].why, hooks[i].degraded);
	}
	return 0;
}

bool ld_untyped(const struct ss_choice *c)
{
	enum ss_mode m = c->way < 0 ? SS_MODE_AUTO : c->hook->ways[c->way].mode;

	return m == SS_MODE_RAW_TP || m == SS_MODE_KPROBE;
}

__u32 ld_recv_flags_arg(void)
{
	return ss_func_arity("tcp_recvmsg") == 6 ? 4 : 3;
}

int ld_fill_filters(__u64 *pid_bits, int cgroup_map_fd, const struct ss_opts *o, char *err,
		    size_t len)
{
	uint32_t zero = 0;
	int fd;

	for (size_t i = 0; i < o->npids; i++)
		pid_bits[o->pids[i] / 64] |= 1ULL << (o->pids[i] % 64);
	if (!o->cgroup_path)
		return 0;
	fd = open(o->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || bpf_map_update_elem(cgroup_map_fd, &zero, &fd, BPF_ANY)) {
		snprintf(err, len, "cannot use cgroup %s: %s", o->cgroup_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int ld_attach(struct bpf_object *obj, const struct ss_choice *ch, size_t n,
	      struct ss_links *links, char *err, size_t len)
{
	int cg = -1;

	for (size_t i = 0; i < n; i++) {
		if (ch[i].way < 0)
			continue;
		if (ch[i].hook->ways[ch[i].way].mode == SS_MODE_CGROUP &&
		    (cg = ss_cgroup_fd(err, len)) < 0)
			return -1;
		if (ss_attach(obj, &ch[i], cg, links, err, len))
			return -1;
	}
	return 0;
}

void ld_detach(struct ss_links *links)
{
	for (size_t i = 0; i < links->n; i++)
		bpf_link__destroy(links->v[i].link);
	free(links->v);
	links->v = NULL;
	links->n = 0;
}

int ld_load_error(int ret, char *err, size_t len)
{
	snprintf(err, len, "loading the BPF programs failed: %s\n%s", strerror(-ret),
		 ss_libbpf_last());
	return -1;
}

int ld_percpu_sum(int map_fd, size_t nfields, __u64 *sum)
{
	int n = libbpf_num_possible_cpus();
	__u64 *per = n > 0 ? calloc((size_t)n * nfields, sizeof(*per)) : NULL;
	__u32 zero = 0;
	int ret = -1;

	memset(sum, 0, nfields * sizeof(*sum));
	if (per && !bpf_map_lookup_elem(map_fd, &zero, per)) {
		for (int c = 0; c < n; c++)
			for (size_t f = 0; f < nfields; f++)
				sum[f] += per[(size_t)c * nfields + f];
		ret = 0;
	}
	free(per);
	return ret;
}

void ld_describe(const struct ss_choice *ch, size_t n, FILE *f)
{
	for (size_t i = 0; i < n; i++) {
		const struct ss_choice *c = &ch[i];

		if (c->way < 0)
			continue;
		const struct ss_way *w = &c->hook->ways[c->way];

		fprintf(f, "sockscope: attached %s via %s:", c->hook->name, ss_mode_name(w->mode));
		for (int j = 0; w->progs[j].prog; j++)
			if (!c->skip[j] && (!j || strcmp(w->progs[j].target, w->progs[j - 1].target)))
				fprintf(f, " %s", w->progs[j].target);
		fputc('\n', f);
	}
}
