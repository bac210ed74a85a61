// SPDX-License-Identifier: GPL-2.0
/* Probe: copy_splice_read() (6.5+; before it generic_file_splice_read()) */
#include <linux/fs.h>

ssize_t relayfs_probe(struct file *in, loff_t *ppos,
		      struct pipe_inode_info *pipe, size_t len,
		      unsigned int flags)
{
	return copy_splice_read(in, ppos, pipe, len, flags);
}
