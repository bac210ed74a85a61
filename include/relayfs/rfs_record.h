/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Self-checking records, written by the test producer (tests/kmod) and the
 * sample relay-app (examples/sample), checked by the verifiers
 * (tests/user).  A record of len >= sizeof(struct rfs_rec) is a
 * header plus payload bytes derived from (stream, seq); the checksum covers
 * both.  Shorter records are pure pattern bytes of a length fixed for the
 * run.
 */
#ifndef RFS_RECORD_H
#define RFS_RECORD_H

#define RFS_REC_MAGIC	0x54534652u	/* "RFST" */

/*
 * The contexts a record is written from; RFS_CTX_INJECT is the test
 * producer's injection hook, writing from inside another writer's window
 * (include/relayfs/relayfs_inject.h).
 */
enum rfs_ctx { RFS_CTX_TASK, RFS_CTX_SOFTIRQ, RFS_CTX_HARDIRQ, RFS_CTX_NMI,
	       RFS_CTX_INJECT, RFS_NR_CTX };

struct rfs_rec {
	__u32 magic;
	__u8 cpu;
	__u8 ctx;
	__u16 len;
	__u32 seq;
	__u32 csum;
};

static inline __u8 rfs_pattern(__u32 seq, __u32 i)
{
	return (__u8)(seq * 131u + i * 7u + 1u);
}

static inline __u32 rfs_csum(const struct rfs_rec *r, const __u8 *payload,
			     __u32 n)
{
	__u32 h = 2166136261u ^ r->magic ^ ((__u32)r->cpu << 8) ^
		  ((__u32)r->ctx << 16) ^ r->len ^ (r->seq * 16777619u);
	__u32 i;

	for (i = 0; i < n; i++)
		h = (h ^ payload[i]) * 16777619u;
	return h;
}

/* Fill @buf with record @seq of @len bytes from @cpu/@ctx. */
static inline void rfs_rec_fill(void *buf, __u32 len, __u32 cpu, __u32 ctx,
				__u32 seq)
{
	__u8 *p = buf;
	struct rfs_rec *r = buf;
	__u32 i, n;

	if (len < sizeof(*r)) {
		for (i = 0; i < len; i++)
			p[i] = rfs_pattern(seq, i);
		return;
	}
	n = len - sizeof(*r);
	for (i = 0; i < n; i++)
		p[sizeof(*r) + i] = rfs_pattern(seq, i);
	r->magic = RFS_REC_MAGIC;
	r->cpu = cpu;
	r->ctx = ctx;
	r->len = len;
	r->seq = seq;
	r->csum = 0;
	r->csum = rfs_csum(r, p + sizeof(*r), n);
}

#endif /* RFS_RECORD_H */
