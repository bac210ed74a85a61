// SPDX-License-Identifier: GPL-2.0
/* Probe: vm_flags_mod() (6.3+; before it vma->vm_flags was written directly) */
#include <linux/mm.h>

void relayfs_probe(struct vm_area_struct *vma)
{
	vm_flags_mod(vma, VM_DONTEXPAND, VM_MAYWRITE);
}
