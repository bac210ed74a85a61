// SPDX-License-Identifier: GPL-2.0
/*
 * The relayfs filesystem: one shared tree, populated by kernel clients only.
 *
 * There is a single superblock (get_tree_single); every user mount shows
 * the same tree.  Kernel clients need no mount: as debugfs does, each entry
 * they create holds a pin on an internal mount (simple_pin_fs), released when
 * the entry is removed, so an empty, unmounted relayfs holds no reference on
 * the module and it can be unloaded.  Mount options uid=,
 * gid= and mode= set the owner and mode of the root directory, as tracefs
 * does, on the first mount, on remount and whenever the shared superblock is
 * mounted again; unknown options are ignored, malformed ones are -EINVAL.
 * collect_gid= gives every relay-app's control and channel files to a
 * group (app.c), at the same moments, existing apps included.
 *
 * Directories have only ->lookup, so user space cannot create, link, rename
 * or unlink anything here (the VFS answers -EPERM).
 */
#include <linux/module.h>
#include <linux/capability.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/namei.h>
#include <linux/seq_file.h>
#include <linux/fsnotify.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/slab.h>
#include "internal.h"

#define RELAYFS_DEFAULT_MODE	0700

static struct vfsmount *relayfs_mount;
static int relayfs_mount_count;

struct relayfs_fs_opts {
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	kgid_t collect_gid;	/* GLOBAL_ROOT_GID: none */
	unsigned int given;	/* BIT(Opt_*) of the options given */
};

enum { Opt_uid, Opt_gid, Opt_mode, Opt_collect_gid };

static const struct fs_parameter_spec relayfs_param_specs[] = {
	fsparam_u32("uid", Opt_uid),
	fsparam_u32("gid", Opt_gid),
	fsparam_u32oct("mode", Opt_mode),
	fsparam_u32("collect_gid", Opt_collect_gid),
	{}
};

static int relayfs_parse_param(struct fs_context *fc,
			       struct fs_parameter *param)
{
	struct relayfs_fs_opts *opts = fc->s_fs_info;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, relayfs_param_specs, param, &result);
	if (opt == -ENOPARAM && strcmp(param->key, "source"))
		return 0;	/* unknown options are ignored, as tracefs */
	if (opt < 0)
		return opt;

	switch (opt) {
	case Opt_uid:
		opts->uid = make_kuid(current_user_ns(), result.uint_32);
		if (!uid_valid(opts->uid))
			return invalfc(fc, "invalid uid");
		break;
	case Opt_gid:
		opts->gid = make_kgid(current_user_ns(), result.uint_32);
		if (!gid_valid(opts->gid))
			return invalfc(fc, "invalid gid");
		break;
	case Opt_mode:
		if (result.uint_32 & ~S_IALLUGO)
			return invalfc(fc, "invalid mode");
		opts->mode = result.uint_32;
		break;
	case Opt_collect_gid:
		/* 0, root's group, is "none": the files stay root's alone. */
		opts->collect_gid = make_kgid(current_user_ns(),
					      result.uint_32);
		if (!gid_valid(opts->collect_gid))
			return invalfc(fc, "invalid collect_gid");
		break;
	}
	opts->given |= BIT(opt);
	return 0;
}

/*
 * Apply @opts to the root directory.  On a remount or a reuse of the shared
 * superblock only the options given change anything.
 */
static void relayfs_apply_options(struct super_block *sb,
				  const struct relayfs_fs_opts *opts,
				  bool all)
{
	struct inode *root = d_inode(sb->s_root);

	inode_lock(root);
	if (all || opts->given & BIT(Opt_mode))
		root->i_mode = (root->i_mode & ~S_IALLUGO) | opts->mode;
	if (all || opts->given & BIT(Opt_uid))
		root->i_uid = opts->uid;
	if (all || opts->given & BIT(Opt_gid))
		root->i_gid = opts->gid;
	inode_unlock(root);
	/* Not under the root's lock: this one walks every app. */
	if (all || opts->given & BIT(Opt_collect_gid))
		relayfs_app_set_collect_gid(opts->collect_gid);
}

static int relayfs_show_options(struct seq_file *m, struct dentry *root)
{
	struct inode *inode = d_inode(root);
	kgid_t gid;

	if (!uid_eq(inode->i_uid, GLOBAL_ROOT_UID))
		seq_printf(m, ",uid=%u",
			   from_kuid_munged(&init_user_ns, inode->i_uid));
	if (!gid_eq(inode->i_gid, GLOBAL_ROOT_GID))
		seq_printf(m, ",gid=%u",
			   from_kgid_munged(&init_user_ns, inode->i_gid));
	if ((inode->i_mode & S_IALLUGO) != RELAYFS_DEFAULT_MODE)
		seq_printf(m, ",mode=%o", inode->i_mode & S_IALLUGO);
	gid = relayfs_app_collect_gid();
	if (!gid_eq(gid, GLOBAL_ROOT_GID))
		seq_printf(m, ",collect_gid=%u",
			   from_kgid_munged(&init_user_ns, gid));
	return 0;
}

/*
 * Who owns a file and its mode are relayfs's to say (mount options,
 * collect_gid=, the starter of a relay-app run: app.c), not the owner's:
 * the member who started a run owns its per-CPU files and must not
 * chmod them open to others.  Changing them takes CAP_SYS_ADMIN; the
 * rest as for any ramfs-like file.
 */
static int relayfs_setattr(struct relayfs_idmap *idmap,
			   struct dentry *dentry, struct iattr *attr)
{
	if ((attr->ia_valid & (ATTR_MODE | ATTR_UID | ATTR_GID)) &&
	    !capable(CAP_SYS_ADMIN))
		return -EPERM;
	return simple_setattr(idmap, dentry, attr);
}

static const struct inode_operations relayfs_file_inode_ops = {
	.setattr	= relayfs_setattr,
};

static const struct super_operations relayfs_super_ops = {
	.statfs		= simple_statfs,
	.drop_inode	= generic_delete_inode,
	.show_options	= relayfs_show_options,
};

static int relayfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	static const struct tree_descr no_files[] = { { "" } };
	int err;

	err = simple_fill_super(sb, RELAYFS_MAGIC, no_files);
	if (err)
		return err;
	sb->s_op = &relayfs_super_ops;
	/* sget_fc() moved the options from fc to sb->s_fs_info. */
	relayfs_apply_options(sb, sb->s_fs_info, true);
	return 0;
}

static int relayfs_reconfigure(struct fs_context *fc)
{
	/* NULL when this context just created the superblock. */
	if (fc->s_fs_info)
		relayfs_apply_options(fc->root->d_sb, fc->s_fs_info, false);
	return 0;
}

static int relayfs_get_tree(struct fs_context *fc)
{
	int err = get_tree_single(fc, relayfs_fill_super);

	if (err)
		return err;
	/* The superblock may have existed: apply what this mount asked. */
	return relayfs_reconfigure(fc);
}

static void relayfs_free_fc(struct fs_context *fc)
{
	kfree(fc->s_fs_info);
}

static const struct fs_context_operations relayfs_context_ops = {
	.free		= relayfs_free_fc,
	.parse_param	= relayfs_parse_param,
	.get_tree	= relayfs_get_tree,
	.reconfigure	= relayfs_reconfigure,
};

static int relayfs_init_fs_context(struct fs_context *fc)
{
	struct relayfs_fs_opts *opts;

	opts = kzalloc(sizeof(*opts), GFP_KERNEL);
	if (!opts)
		return -ENOMEM;
	opts->uid = GLOBAL_ROOT_UID;
	opts->gid = GLOBAL_ROOT_GID;
	opts->mode = RELAYFS_DEFAULT_MODE;
	opts->collect_gid = GLOBAL_ROOT_GID;
	fc->s_fs_info = opts;
	fc->ops = &relayfs_context_ops;
	return 0;
}

static void relayfs_kill_sb(struct super_block *sb)
{
	kfree(sb->s_fs_info);
	kill_litter_super(sb);
}

static struct file_system_type relayfs_fs_type = {
	.owner		= THIS_MODULE,
	.name		= "relayfs",
	.init_fs_context = relayfs_init_fs_context,
	.parameters	= relayfs_param_specs,
	.kill_sb	= relayfs_kill_sb,
};
MODULE_ALIAS_FS("relayfs");

static struct inode *relayfs_new_inode(struct super_block *sb, umode_t mode)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = get_next_ino();
	inode->i_mode = mode;
	relayfs_inode_init_ts(inode);
	return inode;
}

/**
 * relayfs_create_entry - create a file or directory in relayfs
 * @name: name, unique within @parent
 * @mode: S_IFREG or S_IFDIR plus permission bits
 * @parent: directory, or NULL for the root
 * @data: stored in the inode's i_private
 * @fops: file operations for a regular file
 *
 * Process context.  Returns the new dentry or ERR_PTR(-EEXIST, -ENOMEM, ...).
 */
struct dentry *relayfs_create_entry(const char *name, umode_t mode,
				    struct dentry *parent, void *data,
				    const struct file_operations *fops)
{
	struct dentry *dentry;
	struct inode *dir, *inode;

	int err;

	might_sleep();
	if (!name || !*name || strchr(name, '/'))
		return ERR_PTR(-EINVAL);
	err = simple_pin_fs(&relayfs_fs_type, &relayfs_mount,
			    &relayfs_mount_count);
	if (err)
		return ERR_PTR(err);
	if (!parent)
		parent = relayfs_mount->mnt_root;
	if (parent->d_sb != relayfs_mount->mnt_sb || !d_is_dir(parent)) {
		dentry = ERR_PTR(-EINVAL);
		goto unpin;
	}

	dir = d_inode(parent);
	inode_lock(dir);
	dentry = lookup_one_len(name, parent, strlen(name));
	if (IS_ERR(dentry))
		goto unlock;
	if (d_really_is_positive(dentry)) {
		dput(dentry);
		dentry = ERR_PTR(-EEXIST);
		goto unlock;
	}
	inode = relayfs_new_inode(dir->i_sb, mode);
	if (!inode) {
		dput(dentry);
		dentry = ERR_PTR(-ENOMEM);
		goto unlock;
	}
	inode->i_private = data;
	if (S_ISDIR(mode)) {
		inode->i_op = &simple_dir_inode_operations;
		inode->i_fop = &simple_dir_operations;
		inc_nlink(inode);	/* "." */
		inc_nlink(dir);		/* ".." */
	} else {
		inode->i_op = &relayfs_file_inode_ops;
		inode->i_fop = fops;
	}
	d_instantiate(dentry, inode);
	if (S_ISDIR(mode))
		fsnotify_mkdir(dir, dentry);
	else
		fsnotify_create(dir, dentry);
	/*
	 * The tree holds the reference taken by lookup and the pin until
	 * removal.
	 */
	inode_unlock(dir);
	return dentry;

unlock:
	inode_unlock(dir);
unpin:
	simple_release_fs(&relayfs_mount, &relayfs_mount_count);
	return dentry;
}

/**
 * relayfs_set_owner - give an entry to an owner and group, with a new mode
 * @dentry: from relayfs_create_entry()
 * @uid: its owner
 * @gid: its group
 * @mode: its permission bits
 *
 * Process context; takes the entry's inode lock.  Opens already done keep
 * the access they were given, as after a chmod.
 */
void relayfs_set_owner(struct dentry *dentry, kuid_t uid, kgid_t gid,
		       umode_t mode)
{
	struct inode *inode = d_inode(dentry);

	inode_lock(inode);
	inode->i_uid = uid;
	inode->i_gid = gid;
	inode->i_mode = (inode->i_mode & ~S_IALLUGO) | (mode & S_IALLUGO);
	inode_unlock(inode);
}

/**
 * relayfs_create_dir - create a directory for a client's files
 * @name: directory name
 * @parent: parent directory, or NULL for the relayfs root
 *
 * Process context.  Returns the dentry or an ERR_PTR, never NULL.
 */
struct dentry *relayfs_create_dir(const char *name, struct dentry *parent)
{
	return relayfs_create_entry(name, S_IFDIR | 0755, parent, NULL, NULL);
}
EXPORT_SYMBOL_GPL(relayfs_create_dir);

/**
 * relayfs_create_file - create a control or status file
 * @name: file name
 * @mode: permission bits (S_IFREG is implied)
 * @parent: directory, or NULL for the relayfs root
 * @data: passed to @fops through inode->i_private
 * @fops: the file's operations; set .owner so that an open file pins its
 *	module
 *
 * Process context.  Returns the dentry or an ERR_PTR, never NULL.
 */
struct dentry *relayfs_create_file(const char *name, umode_t mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops)
{
	if (!fops)
		return ERR_PTR(-EINVAL);
	return relayfs_create_entry(name, S_IFREG | (mode & S_IALLUGO),
				    parent, data, fops);
}
EXPORT_SYMBOL_GPL(relayfs_create_file);

/* Each entry removed gives back the pin its creation took. */
static void relayfs_unpin_one(struct dentry *dentry)
{
	simple_release_fs(&relayfs_mount, &relayfs_mount_count);
}

/**
 * relayfs_remove_file - remove a file created by relayfs_create_file()
 * @dentry: the file; NULL or an ERR_PTR is ignored
 *
 * The name disappears at once; files still open stay usable.
 */
void relayfs_remove_file(struct dentry *dentry)
{
	if (IS_ERR_OR_NULL(dentry))
		return;
	/*
	 * Hold one more pin across the removal: the per-entry pins drop while
	 * dentries are still referenced, and the last one must not unmount
	 * under them.
	 */
	if (WARN_ON(simple_pin_fs(&relayfs_fs_type, &relayfs_mount,
				  &relayfs_mount_count)))
		return;
	simple_recursive_removal(dentry, relayfs_unpin_one);
	simple_release_fs(&relayfs_mount, &relayfs_mount_count);
}
EXPORT_SYMBOL_GPL(relayfs_remove_file);

/**
 * relayfs_hold_entry - keep an entry's dentry beyond its removal
 * @dentry: from relayfs_create_entry()
 *
 * A reference and a pin of the internal mount, so the dentry and its
 * inode stay valid (and the mount stays up) even after a removal of its
 * directory.  Dropped by relayfs_drop_entry().
 */
int relayfs_hold_entry(struct dentry *dentry)
{
	int err = simple_pin_fs(&relayfs_fs_type, &relayfs_mount,
				&relayfs_mount_count);

	if (!err)
		dget(dentry);
	return err;
}

void relayfs_drop_entry(struct dentry *dentry)
{
	dput(dentry);
	simple_release_fs(&relayfs_mount, &relayfs_mount_count);
}

/**
 * relayfs_remove_dir - remove a directory and everything below it
 * @dentry: the directory; NULL or an ERR_PTR is ignored
 */
void relayfs_remove_dir(struct dentry *dentry)
{
	relayfs_remove_file(dentry);
}
EXPORT_SYMBOL_GPL(relayfs_remove_dir);

int relayfs_fs_init(void)
{
	int err;

	err = sysfs_create_mount_point(kernel_kobj, "relayfs");
	if (err)
		return err;
	err = register_filesystem(&relayfs_fs_type);
	if (err)
		goto err_register;
	return 0;

err_register:
	sysfs_remove_mount_point(kernel_kobj, "relayfs");
	return err;
}

void relayfs_fs_exit(void)
{
	unregister_filesystem(&relayfs_fs_type);
	sysfs_remove_mount_point(kernel_kobj, "relayfs");
}
