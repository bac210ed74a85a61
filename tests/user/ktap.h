/* SPDX-License-Identifier: GPL-2.0 */
/* KTAP output for in-VM user-space test programs. */
#ifndef RFS_USER_KTAP_H
#define RFS_USER_KTAP_H

#include <stdio.h>
#include <string.h>
#include <errno.h>

static int ktap_n, ktap_failed;

/* Checks print a diagnostic and make the test function return -1. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: expected %s (errno %d %s)\n", __func__,\
		       __LINE__, #cond, errno, strerror(errno));	\
		fflush(stdout);						\
		return -1;						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long __a = (long long)(a), __b = (long long)(b);		\
	if (__a != __b) {						\
		printf("# %s:%d: expected %s == %s, got %lld != %lld\n",\
		       __func__, __LINE__, #a, #b, __a, __b);		\
		fflush(stdout);						\
		return -1;						\
	}								\
} while (0)

/* @expr must fail with errno @err. */
#define CHECK_ERRNO(expr, err) do {					\
	errno = 0;							\
	long __r = (long)(expr);					\
	if (__r != -1 || errno != (err)) {				\
		printf("# %s:%d: expected %s to fail with %s, got %ld "\
		       "errno %d\n", __func__, __LINE__, #expr, #err,	\
		       __r, errno);					\
		fflush(stdout);						\
		return -1;						\
	}								\
} while (0)

struct ktap_case {
	const char *name;
	int (*fn)(void);
};

/*
 * A case returns 0 (pass), KTAP_SKIP (after printing why) or anything else
 * (fail).  Beyond any exit status a case may pass on as its result.
 */
#define KTAP_SKIP	1000

static inline void ktap_report(const char *name, int ret)
{
	ktap_n++;
	if (ret == KTAP_SKIP) {
		printf("ok %d %s # SKIP\n", ktap_n, name);
	} else if (ret) {
		ktap_failed++;
		printf("not ok %d %s\n", ktap_n, name);
	} else {
		printf("ok %d %s\n", ktap_n, name);
	}
	fflush(stdout);
}

/*
 * Run the cases named in @names[0..@n_names) (all if @n_names is 0), each
 * picked by its exact name: a name that matches no case is a failure, so
 * a suite cannot silently run less than it asks for.
 */
static inline int ktap_run(const struct ktap_case *c, int n,
			   char *const *names, int n_names)
{
	int i, k;

	printf("KTAP version 1\n1..%d\n", n_names ? n_names : n);
	fflush(stdout);
	if (!n_names) {
		for (i = 0; i < n; i++)
			ktap_report(c[i].name, c[i].fn());
		return ktap_failed ? 1 : 0;
	}
	for (k = 0; k < n_names; k++) {
		for (i = 0; i < n && strcmp(c[i].name, names[k]); i++)
			;
		if (i == n) {
			printf("# no test case named %s\n", names[k]);
			ktap_report(names[k], -1);
		} else {
			ktap_report(c[i].name, c[i].fn());
		}
	}
	return ktap_failed ? 1 : 0;
}

#endif
