// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only mappings of a per-CPU buffer, for zero-copy consumers
 * (consume.c gives them the sub-buffers to read).
 *
 * The mapping covers the whole buffer, offset 0: sub-buffer i at
 * i * subbuf_size, the same layout as the kernel's vmap.  It can never
 * become writable (VM_MAYWRITE cleared: mprotect fails), never grow
 * (VM_DONTEXPAND: mremap fails) and is left out of core dumps.  All pages
 * are inserted at mmap time (a consumer would otherwise take a fault per
 * page: measured, a quarter of the drain rate), and the fault handler
 * serves any page zapped since; the mapping holds the file, the file holds
 * the buffer, so the pages outlive every mapping.
 *
 * ->buf_mapped runs when the buffer's first mapping appears and
 * ->buf_unmapped when its last one goes, counting every vma: those made
 * by mmap(), by splitting (munmap or mprotect of a part), by mremap moves
 * and by fork.  Both run in process context under relayfs_files_lock,
 * which also orders them against relayfs_close() (buf->chan).
 */
#include <linux/mm.h>
#include "internal.h"

static void relayfs_map_count(struct relayfs_buf *buf, bool up)
{
	struct relayfs_chan *chan;
	void (*cb)(struct relayfs_buf *buf, void *priv) = NULL;

	mutex_lock(&relayfs_files_lock);
	chan = buf->chan;
	if (up ? buf->maps++ == 0 : --buf->maps == 0) {
		if (chan)
			cb = up ? chan->cb.buf_mapped : chan->cb.buf_unmapped;
		if (cb)
			cb(buf, chan->attr.private_data);
	}
	mutex_unlock(&relayfs_files_lock);
}

static void relayfs_vm_open(struct vm_area_struct *vma)
{
	relayfs_map_count(vma->vm_private_data, true);
}

static void relayfs_vm_close(struct vm_area_struct *vma)
{
	relayfs_map_count(vma->vm_private_data, false);
}

static vm_fault_t relayfs_vm_fault(struct vm_fault *vmf)
{
	struct relayfs_buf *buf = vmf->vma->vm_private_data;

	if (vmf->pgoff >= buf->n_pages)
		return VM_FAULT_SIGBUS;
	vmf->page = buf->pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct relayfs_vm_ops = {
	.open	= relayfs_vm_open,
	.close	= relayfs_vm_close,
	.fault	= relayfs_vm_fault,
};

/**
 * relayfs_buf_mmap - map a whole buffer read-only
 * @file: the per-CPU file
 * @vma: offset 0, length n_subbufs * subbuf_size
 *
 * Return: 0; -EINVAL for another offset or length; -EPERM for a writable
 * private mapping (a shared one is refused by the VFS: the file is
 * read-only).
 */
int relayfs_buf_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct relayfs_buf *buf = file->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long n = buf->n_pages;
	int err;

	if (vma->vm_pgoff || len != (unsigned long)buf->n_pages << PAGE_SHIFT)
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE)
		return -EPERM;
	relayfs_vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP, VM_MAYWRITE);
	vma->vm_ops = &relayfs_vm_ops;
	vma->vm_private_data = buf;
	/* Read-only and never writable: no copy-on-write can happen. */
	err = vm_insert_pages(vma, vma->vm_start, buf->pages, &n);
	/*
	 * The core answers EFAULT when it cannot allocate a page-table level
	 * (walk_to_pmd()); the range is this VMA's own, so that is ENOMEM
	 * (seen with fault injection on the 6.1 debug kernel).
	 */
	if (err == -EFAULT)
		err = -ENOMEM;
	if (err)
		return err;
	relayfs_vm_open(vma);
	return 0;
}
