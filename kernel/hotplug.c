// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug: one multi-instance state for all channels.
 *
 * Buffers exist for every possible CPU, so a CPU that comes online writes
 * at once and needs no callback.  When a CPU goes offline, the sub-buffer
 * it was filling must be closed so its reader can drain it; but writers
 * may run on that CPU until the very end of its life (interrupts, NMIs,
 * tasks not yet migrated), so the close cannot happen on the CPU itself.
 * It happens in the dead-CPU teardown of a CPUHP_BP_PREPARE_DYN state, on
 * the control CPU, once nothing can run on the dead one: its buffer's
 * local_t state may then be changed from here, as rfs_run_on_cpus() does
 * for offline CPUs.  The hotplug lock is held for write, so channel
 * flush/reset/close (which hold it for read) cannot run concurrently.
 *
 * This state's teardown runs before CPUHP_TIMERS_PREPARE's, which would
 * migrate the dead CPU's pinned flush timer to a CPU it must not run on;
 * we delete it first.
 *
 * A writer on a CPU that is no longer online (only NMIs run there, until
 * the end) writes its record but queues no irq_work: the dying CPU ran
 * its last ones in smpcfd_dying_cpu() and would never run another (see
 * rfs_queue_work()).  The dead callback runs the buffer's work instead.
 * The reader of an offline CPU's buffer drains it and then blocks (no
 * EOF), as for any quiet buffer.
 */
#include <linux/cpuhotplug.h>
#include <linux/cpu.h>
#include <linux/timer.h>
#include "internal.h"

static enum cpuhp_state relayfs_cpuhp_state;

static int relayfs_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct relayfs_chan *chan = hlist_entry(node, struct relayfs_chan,
						cpuhp_node);
	struct relayfs_buf *buf = relayfs_chan_buf(chan, cpu);

	relayfs_buf_close_subbuf(buf, true);
	/*
	 * The buffer's work runs here, once nothing can run on the dead CPU
	 * any more: for that close, and for NMI writers on the dying CPU
	 * after its last irq_work ran, which completed sub-buffers, asked
	 * for the flush timer or found the buffer full but could not queue
	 * the work there (rfs_queue_work()).  Let it finish before the CPU
	 * can come back and queue it there.
	 */
	irq_work_queue(&buf->work);
	irq_work_sync(&buf->work);
	del_timer_sync(&buf->timer);
	/* The next sub-buffer opened there arms it again (buffer.c). */
	WRITE_ONCE(buf->timer_live, false);
	return 0;
}

int relayfs_hotplug_init(void)
{
	int ret = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, "relayfs:dead",
					  NULL, relayfs_cpu_dead);

	if (ret < 0)
		return ret;
	relayfs_cpuhp_state = ret;
	return 0;
}

void relayfs_hotplug_exit(void)
{
	cpuhp_remove_multi_state(relayfs_cpuhp_state);
}

/* Process context. */
int relayfs_hotplug_add(struct relayfs_chan *chan)
{
	return cpuhp_state_add_instance_nocalls(relayfs_cpuhp_state,
						&chan->cpuhp_node);
}

/* Process context; after it returns no hotplug callback sees @chan. */
void relayfs_hotplug_remove(struct relayfs_chan *chan)
{
	cpuhp_state_remove_instance_nocalls(relayfs_cpuhp_state,
					    &chan->cpuhp_node);
}
