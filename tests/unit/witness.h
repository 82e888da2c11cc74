/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running an outside witness (tshark, tcpdump) from a unit test: its exit status, stdout and
 * stderr. A test whose witness is not installed is skipped, loudly: scripts/deps.sh --test
 * installs both.
 */
#ifndef SS_TEST_WITNESS_H
#define SS_TEST_WITNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static inline bool witness_have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	if (system(cmd) == 0)
		return true;
	fprintf(stderr, "%s is not installed (scripts/deps.sh --test): skipped\n", tool);
	return false;
}

static inline char *witness_slurp(FILE *f)
{
	char *buf = NULL, chunk[4096];
	size_t len = 0, n;
	FILE *m = open_memstream(&buf, &len);

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	return buf;
}

/* Drops the lines that only say who runs the tool ("Running as user root ..."). */
static inline void witness_drop_noise(char *err)
{
	static const char *noise[] = { "Running as user", "reading from file",
				       "Warning: interface names" };
	char *line = err, *o = err;

	while (*line) {
		char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line + 1) : strlen(line);
		bool drop = false;

		for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
			drop |= !strncmp(line, noise[i], strlen(noise[i]));
		if (!drop)
			memmove(o, line, n), o += n;
		line += n;
	}
	*o = '\0';
}

/* Runs cmd with sh; *out and *err (free both) get its output. Returns its exit code, or
 * 128 + the signal that killed it. */
static inline int witness_run(const char *cmd, char **out, char **err)
{
	char path[] = "/tmp/sockscope-witness-XXXXXX", *full;
	int fd = mkstemp(path), status;
	FILE *p, *e;

	if (fd < 0 || asprintf(&full, "%s 2>%s", cmd, path) < 0)
		abort();
	close(fd);
	p = popen(full, "r");
	if (!p)
		abort();
	*out = witness_slurp(p);
	status = pclose(p);
	e = fopen(path, "r");
	*err = e ? witness_slurp(e) : strdup("");
	if (e)
		fclose(e);
	unlink(path);
	free(full);
	witness_drop_noise(*err);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif
