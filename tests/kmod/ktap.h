/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal KTAP reporter for in-kernel selftests: the Debian kernels we
 * test on have no KUnit, so test modules print KTAP to the kernel log with a
 * fixed prefix, and tests/vm/lib.sh (kmod_ktap) passes those lines on.
 *
 * A test is an int (*)(void) returning 0 on success; the KT_* checks print a
 * diagnostic and make the test return -1 at the first failure (so they
 * carry flow control, which checkpatch.sh allows in test modules only).
 */
#ifndef RELAYFS_KTAP_H
#define RELAYFS_KTAP_H

#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>

#define KTAP_PFX "relayfs-ktap: "
#define ktap_print(fmt, ...) pr_info(KTAP_PFX fmt "\n", ##__VA_ARGS__)
#define ktap_diag(fmt, ...) \
	ktap_print("# %s:%d: " fmt, __func__, __LINE__, ##__VA_ARGS__)

#define KT_TRUE(cond) do {						\
	if (!(cond)) {							\
		ktap_diag("expected %s", #cond);			\
		return -1;						\
	}								\
} while (0)

/* Compare two integer values (as long long), printing both on failure. */
#define KT_EQ(a, b) do {						\
	long long __a = (long long)(a), __b = (long long)(b);		\
	if (__a != __b) {						\
		ktap_diag("expected %s == %s, got %lld != %lld",	\
			  #a, #b, __a, __b);				\
		return -1;						\
	}								\
} while (0)

/* An ERR_PTR/errno check: @expr must yield exactly -@err. */
#define KT_ERRPTR(ptr, err) do {					\
	const void *__p = (ptr);					\
	if (!IS_ERR(__p) || PTR_ERR(__p) != -(err)) {			\
		ktap_diag("expected %s to be ERR_PTR(-%s), got %s%ld",	\
			  #ptr, #err, IS_ERR(__p) ? "" : "a pointer ",	\
			  IS_ERR(__p) ? PTR_ERR(__p) : 0L);		\
		return -1;						\
	}								\
} while (0)

#define KT_NOT_ERR(ptr) do {						\
	const void *__p = (ptr);					\
	if (IS_ERR_OR_NULL(__p)) {					\
		ktap_diag("expected %s to succeed, got %ld", #ptr,	\
			  PTR_ERR(__p));				\
		return -1;						\
	}								\
} while (0)

struct ktap_case {
	const char *name;
	int (*fn)(void);
};

#define KTAP_CASE(f) { #f, f }

/* Run @cases, or only the one named exactly @only; print KTAP. */
static inline int ktap_run(const struct ktap_case *cases, int n,
			   const char *only)
{
	int i, run = 0, failed = 0;

	for (i = 0; i < n; i++)
		if (!only || !*only || !strcmp(cases[i].name, only))
			run++;
	ktap_print("KTAP version 1");
	ktap_print("1..%d", run);
	run = 0;
	for (i = 0; i < n; i++) {
		if (only && *only && strcmp(cases[i].name, only))
			continue;
		run++;
		if (cases[i].fn()) {
			failed++;
			ktap_print("not ok %d %s", run, cases[i].name);
		} else {
			ktap_print("ok %d %s", run, cases[i].name);
		}
	}
	return failed;
}

#endif /* RELAYFS_KTAP_H */
