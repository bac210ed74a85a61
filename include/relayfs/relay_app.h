/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relay-app: logging that lives as long as its collector.
 *
 * A module registers an app; relayfs creates <root>/<name>/control.  A
 * collector (relay-collect, or anything speaking the protocol of
 * docs/relay-app.md) writes "start subbuf_size=N n_subbufs=M [mode=..]"
 * there: relayfs creates the channel <root>/<name>/<name><cpu> with this
 * run's sizes, calls ->start() and logging is on.  "stop", or closing the
 * control file however the collector exits, turns it off again: writes
 * stop, the last sub-buffers are closed, ->stop() is called, and the
 * collector reads to EOF.
 *
 * The module writes with relayfs_app_write(), any context; while no
 * collector runs it costs one load and one predictable branch.
 */
#ifndef _RELAYFS_RELAY_APP_H
#define _RELAYFS_RELAY_APP_H

#include <linux/compiler.h>
#include <linux/preempt.h>
#include <relayfs/relayfs.h>

struct relayfs_app;
struct relayfs_app_state;

/**
 * struct relayfs_app - one app, owned by the client module
 * @name: directory name under the relayfs root (and channel base); must
 *	not end in a digit
 * @subbuf_size: default sub-buffer size, shown to collectors
 * @n_subbufs: default sub-buffer count, shown to collectors
 * @overwrite: default mode
 * @header_size: as in struct relayfs_attr
 * @cb: channel callbacks (subbuf_start, deliver, buf_full), or NULL
 * @start: logging is about to start (process context, may sleep); a
 *	non-zero return refuses the start with that error
 * @stopping: the run is about to stop (process context): writes still
 *	reach the channel; the last chance to write or to count what was
 *	lost (relayfs_app_count_drops()).  May be NULL.
 * @stop: logging has stopped; no write reaches the channel any more
 * @private_data: passed to the callbacks
 *
 * Everything after @private_data is private to relayfs.
 */
struct relayfs_app {
	const char *name;
	size_t subbuf_size;
	size_t n_subbufs;
	bool overwrite;
	size_t header_size;
	const struct relayfs_callbacks *cb;
	int (*start)(struct relayfs_app *app);
	void (*stopping)(struct relayfs_app *app);
	void (*stop)(struct relayfs_app *app);
	void *private_data;

	struct relayfs_chan *chan;	/* the run's channel, or NULL */
	struct relayfs_app_state *state;
	struct dentry *dir;
};

int relayfs_app_register(struct relayfs_app *app);
void relayfs_app_unregister(struct relayfs_app *app);
/*
 * Fire a trigger (the flight recorder's "now": relay-collect --snapshot
 * writes what the buffers hold): any context, NMI included.  0, or
 * -ENOTCONN while no collector runs.  See kernel/app.c.
 */
int relayfs_app_trigger(struct relayfs_app *app, const char *reason);

/* The app's directory, for the module's own extra files. */
static inline struct dentry *relayfs_app_dir(struct relayfs_app *app)
{
	return app->dir;
}

/**
 * relayfs_app_write - log one record while a collector runs
 * @app: a registered app
 * @data: the record
 * @len: its length
 *
 * Any context, NMI included.  The channel is read once with preemption
 * off: relayfs stops a run by clearing it and waiting for an RCU grace
 * period before it closes the channel, so the channel cannot go away
 * under the write.
 *
 * Return: as relayfs_write(), or -ENOTCONN while no collector runs (not
 * counted anywhere).
 */
/* Is a collector running?  Any context; for skipping work early. */
static __always_inline bool relayfs_app_active(struct relayfs_app *app)
{
	return READ_ONCE(app->chan) != NULL;
}

/**
 * relayfs_app_count_drops - count records lost before relayfs_app_write()
 * @app: a registered app
 * @records: how many
 *
 * Any context; nothing while no collector runs.  See relayfs_count_drops().
 */
static __always_inline void relayfs_app_count_drops(struct relayfs_app *app,
						    unsigned long records)
{
	struct relayfs_chan *chan;

	preempt_disable_notrace();
	chan = READ_ONCE(app->chan);
	if (chan)
		relayfs_count_drops(chan, records);
	preempt_enable_notrace();
}

static __always_inline int relayfs_app_write(struct relayfs_app *app,
					     const void *data, size_t len)
{
	struct relayfs_chan *chan;
	int ret = -ENOTCONN;

	preempt_disable_notrace();
	chan = READ_ONCE(app->chan);
	if (chan)
		ret = __relayfs_write(chan, data, len);
	preempt_enable_notrace();
	return ret;
}

#endif /* _RELAYFS_RELAY_APP_H */
