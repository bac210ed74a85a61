// SPDX-License-Identifier: GPL-2.0
/*
 * relay-app: a channel whose lifetime is a collector's control file.
 *
 * Each registered app has <root>/<name>/control.  One file description
 * at a time may hold it open for writing: that is the collector.  Its
 * "start" creates the run's channel and publishes it in app->chan, where
 * relayfs_app_write() finds it; "stop", or the last close of that file
 * description (exit, crash, SIGKILL), unpublishes and closes it.
 *
 * Lifetimes.  The client's struct relayfs_app lives from register to
 * unregister.  Everything the control file and the buffers need after
 * that is in struct relayfs_app_state, owned by relayfs and reference
 * counted: one reference for the registration, one per open control
 * file, one per allocated buffer of the app's channels.  The buffers'
 * count also tells "start" whether the previous run's files are still
 * held (-EBUSY).  The channels' files pin relayfs, not the client module,
 * so the client can unregister and unload while a collector still reads.
 *
 * Who may collect.  The control file is root's, 0600, and the channel's
 * files root's 0400 (whoever started the run: a uid with CAP_SYS_ADMIN
 * must not hand them to its other processes), unless the mount option
 * collect_gid= names a group: then
 * the control file is 0660 and the channel's files are in that group:
 * each CPU's 0400, owned by the uid that started the run (another
 * member must not consume it or hold it), .stats 0440.  Starting a run
 * takes the control file opened for writing (the VFS checks the mode at
 * open) by someone with CAP_SYS_ADMIN or in that group (rfs_may_start(),
 * with the opener's credentials, at every start); stop takes only the
 * open file.  Only these files get the group: the app's other files,
 * channels of the channel API and module parameters keep their modes.
 * The option applies to existing apps and to a running channel's files
 * when it is set (mount, remount), and to every app registered and
 * channel started afterwards.
 *
 * Locking: state->lock serialises start, stop, unregister and the
 * collector slot; it is taken in process context only.  The list of apps
 * and the group are under relayfs_apps_lock (internal.h).  Publishing the
 * channel is a release store; relayfs_app_write() reads it once with
 * preemption off, and relayfs_close()'s grace period (after the
 * channel was unpublished) waits for any writer still using it.
 */
#include <linux/module.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include <linux/kprobes.h>
#include <linux/poll.h>
#include <relayfs/relay_app.h>
#include "internal.h"

#define RFS_APP_LINE_MAX	256

struct relayfs_app_state {
	struct kref kref;
	struct mutex lock;
	struct relayfs_app *app;	/* NULL once unregistered */
	struct dentry *control;
	struct file *collector;		/* holds control for writing */
	atomic_t bufs_alive;		/* buffers of the app's channels */
	kuid_t starter;			/* fsuid of the run's collector */
	size_t subbuf_size, n_subbufs;	/* this run's, as rounded */
	bool overwrite;
	unsigned int flush_ms;		/* this run's flush interval */
	bool running;			/* app->chan set; READ_ONCE in poll */
	u64 runs;
	struct list_head node;		/* in rfs_apps */
	struct relayfs_trig_ring trig;	/* trigger.c */
};

/* Every registered app, and the collect_gid= group (GLOBAL_ROOT_GID: none). */
static DEFINE_MUTEX(relayfs_apps_lock);
static LIST_HEAD(rfs_apps);
static kgid_t rfs_collect_gid;

kgid_t relayfs_app_collect_gid(void)
{
	return KGIDT_INIT(READ_ONCE(rfs_collect_gid.val));
}

/*
 * The app's control file and running channel, as collect_gid= says.
 * Without the option everything is root's, whoever started the run (a
 * service with CAP_SYS_ADMIN under its own uid must not hand the kernel's
 * data to every process of that uid).  With it, the
 * per-CPU files are the run's starter's alone (0400): reading one
 * consumes, and an open one holds the buffers (the next start gets
 * EBUSY), so another member must not open them; .stats, which only
 * shows counters, is the group's (0440).
 */
static void rfs_app_apply_owner(struct relayfs_app_state *st)
{
	kgid_t gid = relayfs_app_collect_gid();
	bool group = !gid_eq(gid, GLOBAL_ROOT_GID);

	lockdep_assert_held(&st->lock);
	if (!st->app)
		return;		/* unregistering: the files are going */
	relayfs_set_owner(st->control, GLOBAL_ROOT_UID, gid,
			  group ? 0660 : 0600);
	if (st->app->chan)
		relayfs_chan_set_owner(st->app->chan,
				       group ? st->starter : GLOBAL_ROOT_UID,
				       gid, 0400, group ? 0440 : 0400);
}

/**
 * relayfs_app_set_collect_gid - the collect_gid= mount option (inode.c)
 * @gid: the group that may collect every relay-app; GLOBAL_ROOT_GID: none
 *
 * Process context.  Applied at once to every app's control file and to
 * the files of the channels running now.
 */
void relayfs_app_set_collect_gid(kgid_t gid)
{
	struct relayfs_app_state *st;

	mutex_lock(&relayfs_apps_lock);
	WRITE_ONCE(rfs_collect_gid.val, __kgid_val(gid));
	list_for_each_entry(st, &rfs_apps, node) {
		mutex_lock(&st->lock);
		rfs_app_apply_owner(st);
		mutex_unlock(&st->lock);
	}
	mutex_unlock(&relayfs_apps_lock);
}

static void rfs_app_state_free(struct kref *kref)
{
	kfree(container_of(kref, struct relayfs_app_state, kref));
}

static void rfs_app_state_put(struct relayfs_app_state *st)
{
	kref_put(&st->kref, rfs_app_state_free);
}

/* A buffer of one of the app's channels was allocated / freed. */
void relayfs_app_buf_hold(struct relayfs_app_state *st)
{
	kref_get(&st->kref);
	atomic_inc(&st->bufs_alive);
}

void relayfs_app_buf_drop(struct relayfs_app_state *st)
{
	atomic_dec(&st->bufs_alive);
	rfs_app_state_put(st);
}

/*
 * Who may start a run: the collector as it opened control (f_cred, never
 * the writer's: a descriptor handed on carries its opener's right), with
 * CAP_SYS_ADMIN, or a member of the collect_gid= group as the option
 * stands now.  The file's mode alone would let a uid 0 process without
 * the capability start runs (tprintk is the whole kernel log); checked
 * at every start, so a remount that takes the group away ends a member's
 * right at its next start, not at its next open.
 */
static bool rfs_may_start(struct file *collector)
{
	kgid_t gid = relayfs_app_collect_gid();
	const struct cred *old;
	bool member;

	if (file_ns_capable(collector, &init_user_ns, CAP_SYS_ADMIN))
		return true;
	if (gid_eq(gid, GLOBAL_ROOT_GID))
		return false;
	old = override_creds(collector->f_cred);
	member = in_group_p(gid);
	revert_creds(old);
	return member;
}

static int rfs_app_start(struct relayfs_app_state *st, size_t subbuf_size,
			 size_t n_subbufs, bool overwrite,
			 unsigned int flush_ms)
{
	struct relayfs_app *app = st->app;
	struct relayfs_attr attr = {
		.subbuf_size = subbuf_size,
		.n_subbufs = n_subbufs,
		.overwrite = overwrite,
		.flush_interval_ms = flush_ms,
		.header_size = app->header_size,
		.private_data = app->private_data,
		.cb = app->cb,
	};
	struct relayfs_chan *chan;
	int err;

	lockdep_assert_held(&st->lock);
	if (!rfs_may_start(st->collector))
		return -EPERM;
	/* Running, or the last run's files are still held. */
	if (app->chan || atomic_read(&st->bufs_alive))
		return -EBUSY;
	chan = relayfs_open_app(app->name, app->dir, &attr, st);
	if (IS_ERR(chan))
		return PTR_ERR(chan);
	if (app->start) {
		err = app->start(app);
		if (err) {
			relayfs_close(chan);
			return err;
		}
	}
	st->subbuf_size = attr.subbuf_size;
	st->n_subbufs = attr.n_subbufs;
	st->overwrite = overwrite;
	st->starter = st->collector->f_cred->fsuid;
	st->flush_ms = attr.flush_interval_ms;
	st->runs++;
	/* No trigger fires while no channel is published: none in flight. */
	relayfs_trig_reset(&st->trig);
	WRITE_ONCE(st->running, true);
	/* Release: the channel is complete before writers can see it. */
	smp_store_release(&app->chan, chan);
	/* Its files to the collecting group, before the collector opens. */
	rfs_app_apply_owner(st);
	return 0;
}

static void rfs_app_stop(struct relayfs_app_state *st)
{
	struct relayfs_app *app = st->app;
	struct relayfs_chan *chan;

	lockdep_assert_held(&st->lock);
	if (!app || !app->chan)
		return;
	chan = app->chan;
	if (app->stopping)
		app->stopping(app);
	WRITE_ONCE(app->chan, NULL);
	/* Waits for writers that still saw the channel, closes the last
	 * sub-buffers; readers get EOF once drained.
	 */
	relayfs_close(chan);
	WRITE_ONCE(st->running, false);
	/* Pollers of control learn that the run is over. */
	wake_up_interruptible_poll(&st->trig.wait, EPOLLHUP);
	if (app->stop)
		app->stop(app);
}

/* Fire a trigger from user space (control command, ioctl). */
static int rfs_app_fire(struct relayfs_app_state *st, const char *reason)
{
	lockdep_assert_held(&st->lock);
	if (!st->app)
		return -ENODEV;
	if (!st->running)
		return -ENOTCONN;
	preempt_disable();
	relayfs_trig_fire(&st->trig, reason, RELAYFS_TRIGGER_USER);
	preempt_enable();
	return 0;
}

/* "snapshot [reason]": the reason is the rest of the line, printable. */
static int rfs_app_snapshot_cmd(struct relayfs_app_state *st, char *reason)
{
	const char *p;

	reason = reason ? strim(reason) : "";
	if (strlen(reason) >= RELAYFS_TRIGGER_REASON_MAX)
		return -EINVAL;
	/* As RELAYFS_IOC_TRIGGER's reasons: no control characters. */
	for (p = reason; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	return rfs_app_fire(st, reason);
}

/*
 * "start subbuf_size=N n_subbufs=M [mode=overwrite|no-overwrite]
 *  [flush_ms=F]"; F: the flush timer's bound, 1 to 60000 ms (absent:
 *  the channel's default).  Taken and reported for overwrite runs too,
 *  which have no flush timer.
 */
static int rfs_app_parse_start(struct relayfs_app *app, char *args,
			       size_t *subbuf_size, size_t *n_subbufs,
			       bool *overwrite, unsigned int *flush_ms)
{
	bool have_size = false, have_n = false, have_flush = false;
	unsigned long v;
	char *tok, *val;

	*overwrite = app->overwrite;
	*flush_ms = 0;
	while ((tok = strsep(&args, " \t")) != NULL) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return -EINVAL;
		*val++ = '\0';
		if (!strcmp(tok, "mode")) {
			if (!strcmp(val, "overwrite"))
				*overwrite = true;
			else if (!strcmp(val, "no-overwrite"))
				*overwrite = false;
			else
				return -EINVAL;
			continue;
		}
		if (kstrtoul(val, 0, &v) || !v)
			return -EINVAL;
		if (!strcmp(tok, "subbuf_size") && !have_size) {
			*subbuf_size = v;
			have_size = true;
		} else if (!strcmp(tok, "n_subbufs") && !have_n) {
			*n_subbufs = v;
			have_n = true;
		} else if (!strcmp(tok, "flush_ms") && !have_flush &&
			   v >= RELAYFS_FLUSH_MS_MIN &&
			   v <= RELAYFS_FLUSH_MS_MAX) {
			*flush_ms = v;
			have_flush = true;
		} else {
			return -EINVAL;
		}
	}
	return have_size && have_n ? 0 : -EINVAL;
}

static int rfs_app_command(struct relayfs_app_state *st, char *line)
{
	char *cmd = strsep(&line, " \t");
	size_t subbuf_size, n_subbufs;
	unsigned int flush_ms;
	bool overwrite;
	int err;

	lockdep_assert_held(&st->lock);
	if (!strcmp(cmd, "stop") && (!line || !*strim(line))) {
		rfs_app_stop(st);
		return 0;
	}
	if (!strcmp(cmd, "snapshot"))
		return rfs_app_snapshot_cmd(st, line);
	if (strcmp(cmd, "start") || !line)
		return -EINVAL;
	err = rfs_app_parse_start(st->app, line, &subbuf_size, &n_subbufs,
				  &overwrite, &flush_ms);
	if (err)
		return err;
	return rfs_app_start(st, subbuf_size, n_subbufs, overwrite, flush_ms);
}

static ssize_t rfs_control_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct relayfs_app_state *st = file->private_data;
	char buf[RFS_APP_LINE_MAX], *text, *line;
	int err = 0;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (strlen(buf) != count)
		return -EINVAL;		/* embedded NUL */
	mutex_lock(&st->lock);
	if (!st->app) {
		err = -ENODEV;
		goto unlock;
	}
	/* One command a line; they run in order until one fails. */
	text = buf;
	while (!err && (line = strsep(&text, "\n")) != NULL) {
		line = strim(line);
		if (*line)
			err = rfs_app_command(st, line);
	}
unlock:
	mutex_unlock(&st->lock);
	return err ? err : count;
}

static ssize_t rfs_control_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct relayfs_app_state *st = file->private_data;
	struct relayfs_app *app;
	char buf[512];
	int len;

	mutex_lock(&st->lock);
	app = st->app;
	if (!app) {
		mutex_unlock(&st->lock);
		return -ENODEV;
	}
	len = scnprintf(buf, sizeof(buf),
			"state %s\nsubbuf_size %zu\nn_subbufs %zu\nmode %s\n"
			"cpus %u\nbase %s\nruns %llu\nheld %d\n"
			"default_subbuf_size %zu\ndefault_n_subbufs %zu\n"
			"default_mode %s\nflush_ms %u\nmemory %zu\n",
			app->chan ? "running" : "idle",
			app->chan ? st->subbuf_size : 0,
			app->chan ? st->n_subbufs : 0,
			app->chan && st->overwrite ? "overwrite" :
						     "no-overwrite",
			nr_cpu_ids, app->name, st->runs,
			atomic_read(&st->bufs_alive),
			app->subbuf_size, app->n_subbufs,
			app->overwrite ? "overwrite" : "no-overwrite",
			app->chan ? st->flush_ms : 0,
			app->chan ? relayfs_chan_memory(app->chan) : 0);
	mutex_unlock(&st->lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static int rfs_control_open(struct inode *inode, struct file *file)
{
	struct relayfs_app_state *st;
	int err = 0;

	mutex_lock(&relayfs_files_lock);
	st = inode->i_private;
	if (st)
		kref_get(&st->kref);
	mutex_unlock(&relayfs_files_lock);
	if (!st)
		return -ENODEV;
	if (file->f_mode & FMODE_WRITE) {
		/* One collector at a time. */
		mutex_lock(&st->lock);
		if (st->collector)
			err = -EBUSY;
		else
			st->collector = file;
		mutex_unlock(&st->lock);
	}
	if (err) {
		rfs_app_state_put(st);
		return err;
	}
	file->private_data = st;
	return nonseekable_open(inode, file);
}

/* The collector's last reference is gone: its run ends with it. */
static int rfs_control_release(struct inode *inode, struct file *file)
{
	struct relayfs_app_state *st = file->private_data;

	mutex_lock(&st->lock);
	if (st->collector == file) {
		rfs_app_stop(st);
		st->collector = NULL;
	}
	mutex_unlock(&st->lock);
	rfs_app_state_put(st);
	return 0;
}

/*
 * EPOLLPRI: a trigger waits for RELAYFS_IOC_TRIGGER_NEXT; EPOLLHUP: no
 * run is on (stopped, never started, or the app is gone).
 */
static __poll_t rfs_control_poll(struct file *file, poll_table *wait)
{
	struct relayfs_app_state *st = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &st->trig.wait, wait);
	if (relayfs_trig_pending(&st->trig))
		mask |= EPOLLPRI;
	if (!READ_ONCE(st->running))
		mask |= EPOLLHUP;
	return mask;
}

/* The collector takes the next trigger. */
static long rfs_trigger_next(struct relayfs_app_state *st, struct file *file,
			     void __user *arg)
{
	struct relayfs_trigger t;
	int err;

	mutex_lock(&st->lock);
	if (st->collector != file) {
		err = -EPERM;	/* only the collector takes them */
		goto unlock;
	}
	if (!st->app) {
		err = -ENODEV;	/* unregistered: what is left is stale */
		goto unlock;
	}
	err = relayfs_trig_next(&st->trig, &t);
	if (err == -EAGAIN && !st->running)
		err = -ENOTCONN;
unlock:
	mutex_unlock(&st->lock);
	if (err)
		return err;
	if (!copy_to_user(arg, &t, sizeof(t)))
		return 0;
	/* Taken but not delivered: counted in the next one's missed. */
	mutex_lock(&st->lock);
	st->trig.missed += t.missed + 1;
	mutex_unlock(&st->lock);
	return -EFAULT;
}

/*
 * Who may fire one through control: CAP_SYS_ADMIN, or the uid that
 * started the run (relay-collect --trigger beside its own collector).
 * Another collect_gid= member must not flood the ring (real triggers
 * would turn into "missed") or make the run's collector write snapshots
 * with reasons of its choosing.
 */
static bool rfs_may_trigger(struct relayfs_app_state *st, struct file *file)
{
	lockdep_assert_held(&st->lock);
	if (file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return true;
	if (!st->app || !st->running)
		return true;	/* rfs_app_fire() says why not */
	return uid_eq(file->f_cred->fsuid, st->starter);
}

/* The run's starter or an administrator fires one, through control. */
static long rfs_trigger_user(struct relayfs_app_state *st, struct file *file,
			     const void __user *arg)
{
	struct relayfs_trigger_req req;
	int err;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.version != RELAYFS_ABI_VERSION || req.__reserved ||
	    !memchr(req.reason, '\0', sizeof(req.reason)))
		return -EINVAL;
	mutex_lock(&st->lock);
	err = rfs_may_trigger(st, file) ? rfs_app_fire(st, req.reason) :
					  -EPERM;
	mutex_unlock(&st->lock);
	return err;
}

static long rfs_control_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct relayfs_app_state *st = file->private_data;

	switch (cmd) {
	case RELAYFS_IOC_TRIGGER_NEXT:
		return rfs_trigger_next(st, file, (void __user *)arg);
	case RELAYFS_IOC_TRIGGER:
		return rfs_trigger_user(st, file, (const void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations rfs_control_fops = {
	.owner		= THIS_MODULE,
	.open		= rfs_control_open,
	.release	= rfs_control_release,
	.read		= rfs_control_read,
	.write		= rfs_control_write,
	.poll		= rfs_control_poll,
	.unlocked_ioctl	= rfs_control_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/**
 * relayfs_app_register - create <root>/<name>/control for @app
 * @app: filled in by the caller; must stay valid until unregistered
 *
 * Process context.
 *
 * Return: 0; -EINVAL for a bad name or sizes; -EEXIST if the name is
 * taken; -ENOMEM.
 */
int relayfs_app_register(struct relayfs_app *app)
{
	struct relayfs_app_state *st;
	size_t len;
	int err;

	might_sleep();
	len = app && app->name ? strlen(app->name) : 0;
	if (!len || isdigit(app->name[len - 1]) || app->n_subbufs < 2 ||
	    !app->subbuf_size)
		return -EINVAL;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	kref_init(&st->kref);
	mutex_init(&st->lock);
	INIT_LIST_HEAD(&st->node);
	relayfs_trig_init(&st->trig);
	st->app = app;
	app->chan = NULL;
	app->dir = relayfs_create_dir(app->name, NULL);
	if (IS_ERR(app->dir)) {
		err = PTR_ERR(app->dir);
		goto err_dir;
	}
	st->control = relayfs_create_file("control", 0600, app->dir, st,
					  &rfs_control_fops);
	if (IS_ERR(st->control)) {
		err = PTR_ERR(st->control);
		goto err_control;
	}
	app->state = st;
	/* Listed and given its group at once: a set walks it or precedes. */
	mutex_lock(&relayfs_apps_lock);
	list_add_tail(&st->node, &rfs_apps);
	mutex_lock(&st->lock);
	rfs_app_apply_owner(st);
	mutex_unlock(&st->lock);
	mutex_unlock(&relayfs_apps_lock);
	return 0;

err_control:
	relayfs_remove_dir(app->dir);
err_dir:
	app->dir = NULL;
	kfree(st);
	return err;
}
EXPORT_SYMBOL_GPL(relayfs_app_register);

/**
 * relayfs_app_unregister - remove an app, stopping its run
 * @app: a registered app
 *
 * Process context.  A running collector's run is stopped (its readers get
 * EOF once drained) and its control file answers -ENODEV from now on;
 * this does not wait for the collector.  When it returns, relayfs calls
 * nothing of @app any more and the module may go.
 */
void relayfs_app_unregister(struct relayfs_app *app)
{
	struct relayfs_app_state *st = app->state;

	might_sleep();
	mutex_lock(&relayfs_apps_lock);
	list_del_init(&st->node);
	mutex_unlock(&relayfs_apps_lock);
	mutex_lock(&st->lock);
	rfs_app_stop(st);
	st->app = NULL;
	mutex_unlock(&st->lock);
	/* Stopped: no trigger fires any more; its last wakeup has run. */
	relayfs_trig_sync(&st->trig);
	/* No new open of control finds the state. */
	mutex_lock(&relayfs_files_lock);
	d_inode(st->control)->i_private = NULL;
	mutex_unlock(&relayfs_files_lock);
	relayfs_remove_dir(app->dir);
	app->dir = NULL;
	app->state = NULL;
	rfs_app_state_put(st);
}
EXPORT_SYMBOL_GPL(relayfs_app_unregister);

/**
 * relayfs_app_trigger - tell the collector that something happened now
 * @app: a registered app
 * @reason: what, or NULL; cut to RELAYFS_TRIGGER_REASON_MAX - 1 bytes
 *
 * Any context, NMI included; lock-free, never waits.  Records the time
 * (local_clock()), CPU, context and reason in the app's trigger ring and
 * wakes the collector (irq_work), which takes it with
 * RELAYFS_IOC_TRIGGER_NEXT; relay-collect --snapshot writes a snapshot
 * of the buffers.  The same rule as relayfs_app_write(): the run is read
 * once with preemption off, so it cannot end under the call.
 *
 * RCU must be watching (not from the idle loop's ftrace callbacks, say):
 * the run's end waits for this call through an RCU grace period.
 *
 * Return: 0, or -ENOTCONN while no collector runs or RCU is not watching
 * (counted nowhere).
 */
notrace int relayfs_app_trigger(struct relayfs_app *app, const char *reason)
{
	int ret = -ENOTCONN;

	/* Else stop's grace period would not wait for it (use after free). */
	if (unlikely(!rcu_is_watching()))
		return -ENOTCONN;
	preempt_disable_notrace();
	if (READ_ONCE(app->chan)) {
		relayfs_trig_fire(&app->state->trig, reason, 0);
		ret = 0;
	}
	preempt_enable_notrace();
	return ret;
}
EXPORT_SYMBOL_GPL(relayfs_app_trigger);
NOKPROBE_SYMBOL(relayfs_app_trigger);
