# relayfs: top-level build.
#
#   make            kernel modules for every installed kernel + user space
#   make check      the whole test suite (installs what it needs first)
#   make check-more the kernels make check's time budget leaves out: the
#                   debug kernel built from linux-source-6.1 (docs/testing.md)
#   make vm-test KERNEL=<release> SUITES=a,b   one suite, one kernel
#   make demo       the demo in a VM
#   make bench      the benchmarks on both kernels, LTTng beside (docs/benchmarks.md)
#   make torture-singlestep   the torture suite under qemu -singlestep
#                   (docs/torture.md; not in make check: it is slow)
#   make install / make uninstall   DESTDIR, PREFIX (docs/install.md)
#   make deb        the Debian packages into build/deb/ (docs/install.md)
#
# KDIRS selects the kernels to build for (default: every
# /lib/modules/*/build present).

KDIRS ?= $(wildcard /lib/modules/*/build)
CC ?= gcc
BUILD := build
PREFIX ?= /usr/local
# The one version of the tools, the library and the packages
# (debian/changelog must agree: scripts/check-install.sh checks it).
VERSION := $(shell cat VERSION)

# make install's tree (docs/install.md lists every file).
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
SYSCONFDIR ?= /etc
# Client modules: headers, and Module.symvers per kernel at
# $(SYMVERSDIR)/<release>/<arch>/Module.symvers (relayfs-kmod.pc).
KMOD_INCLUDEDIR ?= $(INCLUDEDIR)/relayfs-kmod
SYMVERSDIR ?= $(LIBDIR)/relayfs-kmod
# The modules a user gets (not the test or benchmark ones), and the
# client headers (not the test-only injection one).
INSTALL_KMODS := relayfs klog klog_demo tprintk relay_sample
KMOD_HDRS := $(filter-out include/relayfs/relayfs_inject.h,\
	$(wildcard include/relayfs/*.h))
MANPAGES := $(wildcard docs/man/*.[1-8])

USER_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror \
	-D_GNU_SOURCE -Iinclude/uapi -Iinclude -Itests/user
VM_TEST_SRCS := $(wildcard tests/user/*.c)
VM_TESTS := $(patsubst tests/user/%.c,$(BUILD)/user/vm/%,$(VM_TEST_SRCS))
# Programs also built for 32-bit user space, to test the compat ioctl path.
M32_TESTS := $(BUILD)/user/vm/rfs-core-m32 $(BUILD)/user/vm/rfs-read-m32
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/user/unit/%,$(UNIT_SRCS))
# The collector's test again under ThreadSanitizer (its threads: the
# zstd worker, relay_run_stop() from another thread).
UNIT_TESTS += $(BUILD)/user/unit/librelay-collect-tsan
USER_HDRS := $(wildcard include/uapi/linux/*.h tests/user/*.h include/relayfs/*.h \
	tests/user/lib/*.h)
# Linked into every in-VM test program.
VM_TEST_LIB := $(wildcard tests/user/lib/*.c)

# librelay (static and shared) and the tools built on it.
# Fleet collection through NATS (docs/fleet.md): not in librelay, linked
# (with libnats) only into the tools that talk to NATS.
FLEET_SRCS := lib/nats-conn.c lib/nats-opts.c lib/sink-nats.c lib/sink-spool.c
LIB_SRCS := $(filter-out $(FLEET_SRCS),$(wildcard lib/*.c))
LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
LIB_PIC_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/pic/%.o,$(LIB_SRCS))
# CPPFLAGS, CFLAGS and LDFLAGS (the packages' hardening flags) reach
# librelay and the tools; the one version (VERSION) of the tools, the
# library and the packages is compiled in.
VERSION_CFLAGS := -DRELAY_VERSION='"$(VERSION)"'
LIB_CFLAGS := $(USER_CFLAGS) -Ilib -fvisibility=default $(VERSION_CFLAGS) \
	$(CPPFLAGS) $(CFLAGS)
LIBRELAY_SOVER := 1
# What librelay needs linked after it (zstd, the compression thread).
LIB_LIBS := -lzstd -lpthread
LIBS := $(BUILD)/lib/librelay.a $(BUILD)/lib/librelay.so \
	$(BUILD)/lib/librelay.pc
TOOLS := $(BUILD)/bin/relay-collect $(BUILD)/bin/relay-merge \
	$(BUILD)/bin/relay-gather
FLEET_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/fleet/%.o,$(FLEET_SRCS))
# The fleet objects and the format's encoders (not exported by the .so).
FLEET_LIB := $(BUILD)/lib/librelay-fleet.a
FLEET_TOOLS := relay-collect relay-gather
# What make install and the packages install: the tools linked against
# librelay.so.1.
SHARED_TOOLS := $(patsubst $(BUILD)/bin/%,$(BUILD)/bin/shared/%,$(TOOLS))
# The VM has no libc: its copies of the tools are static.
VM_TOOLS := $(BUILD)/user/vm/relay-collect $(BUILD)/user/vm/relay-merge \
	$(patsubst bench/user/%.c,$(BUILD)/user/vm/%,$(wildcard bench/user/*.c))

.PHONY: all modules user lib tools check check-more deps vm-test demo bench \
	torture-singlestep clean install install-user install-modules \
	uninstall dkms-src deb

all: modules lib tools user

lib: $(LIBS)

tools: $(TOOLS) $(SHARED_TOOLS)

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) VERSION $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(BUILD)/lib/pic/%.o: lib/%.c $(wildcard lib/*.h) VERSION $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -fPIC -c -o $@ $<

$(BUILD)/lib/librelay.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

# Only the public API is exported, versioned LIBRELAY_1 (lib/librelay.map;
# debian/librelay1.symbols lists the same; tests/unit/librelay-exports.sh
# checks the three agree).
$(BUILD)/lib/librelay.so: $(LIB_PIC_OBJS) lib/librelay.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,librelay.so.$(LIBRELAY_SOVER) \
		-Wl,--version-script=lib/librelay.map -o $@.$(LIBRELAY_SOVER) \
		$(LIB_PIC_OBJS) $(LIB_LIBS)
	ln -sf librelay.so.$(LIBRELAY_SOVER) $@

# The .pc make install would lay (install-user writes its own, with the
# variables of that run).
$(BUILD)/lib/librelay.pc: lib/librelay.pc.in VERSION
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		$< >$@

$(BUILD)/bin/%: tools/%.c $(BUILD)/lib/librelay.a
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -o $@ $< $(BUILD)/lib/librelay.a $(LIB_LIBS)

$(BUILD)/bin/shared/%: tools/%.c $(BUILD)/lib/librelay.so
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) $(LDFLAGS) -o $@ $< -L$(BUILD)/lib -lrelay

$(BUILD)/lib/fleet/%.o: lib/%.c $(wildcard lib/*.h) VERSION $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -fPIC -c -o $@ $<

$(FLEET_LIB): $(FLEET_OBJS) $(BUILD)/lib/pic/frame.o
	rm -f $@ && ar rcs $@ $^

$(patsubst %,$(BUILD)/bin/%,$(FLEET_TOOLS)): $(BUILD)/bin/%: tools/%.c \
		$(FLEET_LIB) $(BUILD)/lib/librelay.a
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -o $@ $< $(FLEET_LIB) $(BUILD)/lib/librelay.a \
		-lnats $(LIB_LIBS)

$(patsubst %,$(BUILD)/bin/shared/%,$(FLEET_TOOLS)): $(BUILD)/bin/shared/%: \
		tools/%.c $(FLEET_LIB) $(BUILD)/lib/librelay.so
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) $(LDFLAGS) -o $@ $< $(FLEET_LIB) -L$(BUILD)/lib \
		-lrelay -lnats -lpthread

# The VM's static relay-collect: libnats has no static library, so this
# copy refuses --sink (lib/nats-static.c); the VM's fleet test runs the
# dynamic one with its libraries (tests/vm/stage-dynamic.sh).
$(BUILD)/user/vm/relay-collect: tools/relay-collect.c lib/nats-opts.c \
		tests/fleet/nats-static.c $(BUILD)/lib/librelay.a
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -static -o $@ $< lib/nats-opts.c \
		tests/fleet/nats-static.c $(BUILD)/lib/librelay.a $(LIB_LIBS)

$(BUILD)/user/vm/relay-%-bench: bench/user/relay-%-bench.c $(BUILD)/lib/librelay.a
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -static -o $@ $< $(BUILD)/lib/librelay.a $(LIB_LIBS)

$(BUILD)/user/vm/relay-%: tools/relay-%.c $(BUILD)/lib/librelay.a
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -static -o $@ $< $(BUILD)/lib/librelay.a $(LIB_LIBS)

deps:
	scripts/install-deps.sh

modules:
	@[ -n "$(KDIRS)" ] || { echo "no kernel headers: make deps" >&2; exit 1; }
	@set -e; for k in $(KDIRS); do scripts/build-modules.sh $$k; done

# The fleet tests' producer and checker (tests/fleet/fleet.sh).
FLEET_TESTS := $(BUILD)/user/fleet/fleet-pub $(BUILD)/user/fleet/fleet-check

user: $(VM_TESTS) $(M32_TESTS) $(UNIT_TESTS) $(VM_TOOLS) $(FLEET_TESTS)

$(BUILD)/user/fleet/fleet-pub: tests/fleet/fleet-pub.c $(FLEET_LIB) \
		$(BUILD)/lib/librelay.a
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -o $@ $< $(FLEET_LIB) $(BUILD)/lib/librelay.a \
		-lnats $(LIB_LIBS)

$(BUILD)/user/fleet/fleet-check: tests/fleet/fleet-check.c $(BUILD)/lib/librelay.a
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -o $@ $< $(BUILD)/lib/librelay.a $(LIB_LIBS)

# In-VM test programs are static: the initramfs has no libc.
# They read collected runs through librelay (tests/user/lib/run.c).
$(BUILD)/user/vm/%: tests/user/%.c $(VM_TEST_LIB) $(USER_HDRS) \
		$(BUILD)/lib/librelay.a
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -Ilib -static -o $@ $< $(VM_TEST_LIB) \
		$(BUILD)/lib/librelay.a $(LIB_LIBS)

# The 32-bit ABI tests need no run reader (no 32-bit librelay, libzstd).
VM_TEST_LIB_M32 := $(filter-out tests/user/lib/run.c tests/user/lib/sample.c,\
	$(VM_TEST_LIB))
$(BUILD)/user/vm/%-m32: tests/user/%.c $(VM_TEST_LIB_M32) $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -m32 -static -o $@ $< $(VM_TEST_LIB_M32) -lpthread

$(BUILD)/user/unit/%: tests/unit/%.c $(USER_HDRS) $(BUILD)/lib/librelay.a
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -Ilib -o $@ $< $(BUILD)/lib/librelay.a $(LIB_LIBS)

# The format reader's test (and its fuzzer) runs the library's sources
# under ASan and UBSan: a bad access is a failure, not luck.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
$(BUILD)/user/unit/librelay-stream: tests/unit/librelay-stream.c $(LIB_SRCS) \
		$(wildcard lib/*.h) $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(VERSION_CFLAGS) $(SAN_FLAGS) -Ilib -o $@ $< \
		$(LIB_SRCS) $(LIB_LIBS)

# relay-merge's filters parse klog/tprintk records through these.
$(BUILD)/bin/relay-merge $(BUILD)/bin/shared/relay-merge \
$(BUILD)/user/vm/relay-merge: tools/merge-filter.h \
	examples/include/relayfs_text.h

# relay-merge's host test runs the tool itself.
$(BUILD)/user/unit/relay-merge: $(BUILD)/bin/relay-merge

# The collector against a relayfs faked in the test process: the real
# lib/ objects, their system calls on the fake paths wrapped at link time.
FAKE_WRAP := -Wl,--wrap=open,--wrap=read,--wrap=write,--wrap=ioctl \
	-Wl,--wrap=mmap,--wrap=munmap,--wrap=close
$(BUILD)/user/unit/librelay-collect: tests/unit/librelay-collect.c \
		tests/unit/fake/relayfs.c tests/unit/fake/relayfs.h $(LIB_OBJS) \
		$(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -Ilib -Itests/unit -o $@ $< tests/unit/fake/relayfs.c \
		$(LIB_OBJS) $(FAKE_WRAP) $(LIB_LIBS)

$(BUILD)/user/unit/librelay-collect-tsan: tests/unit/librelay-collect.c \
		tests/unit/fake/relayfs.c tests/unit/fake/relayfs.h $(LIB_SRCS) \
		$(wildcard lib/*.h) $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(VERSION_CFLAGS) -fsanitize=thread -Ilib \
		-Itests/unit -o $@ $< tests/unit/fake/relayfs.c $(LIB_SRCS) \
		$(FAKE_WRAP) $(LIB_LIBS)

check:
	scripts/check.sh

# Every suite on the kernels left out of make check for time; none of the
# Debian kernels (KERNELS=none), no install proof or planted failures
# (make check has them).
check-more:
	KERNELS=none DEBUG_KERNELS="debug@6.1" INSTALL=0 PLANTED=0 \
		scripts/check.sh

vm-test: all
	tests/vm/run.sh $(KERNEL) $(SUITES)

demo:
	scripts/demo.sh

bench:
	bench/run.sh

# Debian's 6.12, one guest instruction per translation block: interrupts
# may land between any two instructions of the write path.
SINGLESTEP_KERNEL ?= $(notdir $(patsubst %/build,%,$(firstword \
	$(wildcard /lib/modules/6.12*/build))))
torture-singlestep:
	scripts/install-deps.sh
	$(MAKE) all KDIRS=/lib/modules/$(SINGLESTEP_KERNEL)/build
	VM_QEMU_OPTS=-singlestep VM_TIMEOUT=2400 VM_DIR=$(BUILD)/vm/singlestep \
	VM_APPEND="torture_secs=$${TORTURE_SECS:-120} suite_timeout=1800" \
		tests/vm/run.sh $(SINGLESTEP_KERNEL) torture

clean:
	rm -rf $(BUILD)

# ---- install (docs/install.md) ----
#
# make install: librelay, the tools, man pages, headers, systemd units,
# and relayfs.ko with the example modules for every kernel of KDIRS into
# /lib/modules/<release>/updates/ (built first where missing), with
# depmod when DESTDIR is empty.  make install-user leaves the modules out
# (the Debian packages build those with DKMS).

install: install-user install-modules

install-user: lib tools
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/librelay/linux \
		$(DESTDIR)$(KMOD_INCLUDEDIR)/relayfs \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(MODULESLOADDIR) \
		$(DESTDIR)$(SYSCONFDIR)/default
	install -m 0755 $(SHARED_TOOLS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(BUILD)/lib/librelay.so.$(LIBRELAY_SOVER) \
		$(BUILD)/lib/librelay.a $(DESTDIR)$(LIBDIR)/
	ln -sf librelay.so.$(LIBRELAY_SOVER) $(DESTDIR)$(LIBDIR)/librelay.so
	install -m 0644 lib/librelay.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 include/uapi/linux/relayfs.h \
		$(DESTDIR)$(INCLUDEDIR)/librelay/linux/
	install -m 0644 $(KMOD_HDRS) $(DESTDIR)$(KMOD_INCLUDEDIR)/relayfs/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		lib/librelay.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/librelay.pc
	sed -e 's|@INCLUDEDIR@|$(KMOD_INCLUDEDIR)|' \
	    -e 's|@SYMVERSDIR@|$(SYMVERSDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		packaging/relayfs-kmod.pc.in \
		>$(DESTDIR)$(LIBDIR)/pkgconfig/relayfs-kmod.pc
	set -e; for m in $(MANPAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done
	set -e; for u in packaging/systemd/*.in; do \
		sed 's|@BINDIR@|$(BINDIR)|' $$u \
			>$(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u .in); \
	done
	install -m 0644 packaging/modules-load.d/relayfs.conf \
		$(DESTDIR)$(MODULESLOADDIR)/
	# A configuration file is the admin's: installed only if absent (as
	# dpkg keeps an edited conffile).
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/relayfs ] || \
		install -m 0644 packaging/default/relayfs \
			$(DESTDIR)$(SYSCONFDIR)/default/relayfs
	[ -n "$(DESTDIR)" ] || ldconfig

install-modules:
	@[ -n "$(KDIRS)" ] || { echo "no kernel headers: make deps" >&2; exit 1; }
	set -e; for k in $(KDIRS); do \
		rel=$$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$$/\1/p' \
			$$k/include/generated/utsrelease.h); \
		[ -f $(BUILD)/$$rel/modules/relayfs.ko ] || \
			scripts/build-modules.sh $$k; \
		install -d $(DESTDIR)/lib/modules/$$rel/updates \
			$(DESTDIR)$(SYMVERSDIR)/$$rel/$$(uname -m); \
		for m in $(INSTALL_KMODS); do \
			install -m 0644 $(BUILD)/$$rel/modules/$$m.ko \
				$(DESTDIR)/lib/modules/$$rel/updates/; \
		done; \
		install -m 0644 $(BUILD)/$$rel/src/Module.symvers \
			$(DESTDIR)$(SYMVERSDIR)/$$rel/$$(uname -m)/; \
		[ -n "$(DESTDIR)" ] || depmod -a $$rel; \
	done

# Removes exactly what install lays (for every kernel of KDIRS) but an
# edited /etc/default/relayfs, and the directories that are relayfs's own
# once empty; the shared ones (bin, lib/pkgconfig, share/man/man1, ...)
# stay, whatever is left in them.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(SHARED_TOOLS))) \
	      $(DESTDIR)$(LIBDIR)/librelay.so.$(LIBRELAY_SOVER) \
	      $(DESTDIR)$(LIBDIR)/librelay.so $(DESTDIR)$(LIBDIR)/librelay.a \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/librelay.pc \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/relayfs-kmod.pc \
	      $(DESTDIR)$(INCLUDEDIR)/librelay.h \
	      $(DESTDIR)$(INCLUDEDIR)/librelay/linux/relayfs.h \
	      $(addprefix $(DESTDIR)$(KMOD_INCLUDEDIR)/relayfs/,$(notdir $(KMOD_HDRS))) \
	      $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(basename $(notdir $(wildcard packaging/systemd/*.in)))) \
	      $(DESTDIR)$(MODULESLOADDIR)/relayfs.conf
	# The configuration goes only as it was installed.
	! cmp -s packaging/default/relayfs \
		$(DESTDIR)$(SYSCONFDIR)/default/relayfs || \
		rm -f $(DESTDIR)$(SYSCONFDIR)/default/relayfs
	set -e; for m in $(MANPAGES); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$(basename $$m); \
	done
	set -e; for k in $(KDIRS); do \
		rel=$$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$$/\1/p' \
			$$k/include/generated/utsrelease.h); \
		for m in $(INSTALL_KMODS); do \
			rm -f $(DESTDIR)/lib/modules/$$rel/updates/$$m.ko; \
		done; \
		rm -f $(DESTDIR)$(SYMVERSDIR)/$$rel/$$(uname -m)/Module.symvers; \
		rmdir $(DESTDIR)$(SYMVERSDIR)/$$rel/$$(uname -m) \
			$(DESTDIR)$(SYMVERSDIR)/$$rel 2>/dev/null || :; \
		[ -n "$(DESTDIR)" ] || depmod -a $$rel; \
	done
	for d in $(DESTDIR)$(SYMVERSDIR) \
		$(DESTDIR)$(INCLUDEDIR)/librelay/linux \
		$(DESTDIR)$(INCLUDEDIR)/librelay \
		$(DESTDIR)$(KMOD_INCLUDEDIR)/relayfs \
		$(DESTDIR)$(KMOD_INCLUDEDIR); do \
		rmdir $$d 2>/dev/null || :; \
	done
	[ -n "$(DESTDIR)" ] || ldconfig

# The DKMS source tree, /usr/src/relayfs-<version>: relayfs.ko and the
# example modules, built by packaging/dkms/ (dkms.conf, Makefile, Kbuild).
DKMS_SRC := /usr/src/relayfs-$(VERSION)
dkms-src:
	rm -rf $(DESTDIR)$(DKMS_SRC)
	install -d $(DESTDIR)$(DKMS_SRC)/scripts $(DESTDIR)$(DKMS_SRC)/examples
	cp -a kernel include $(DESTDIR)$(DKMS_SRC)/
	rm -f $(DESTDIR)$(DKMS_SRC)/kernel/compat_autoconf.h
	cp -a examples/include examples/klog examples/tprintk examples/sample \
		$(DESTDIR)$(DKMS_SRC)/examples/
	install -m 0755 scripts/compat-detect.sh $(DESTDIR)$(DKMS_SRC)/scripts/
	install -m 0755 packaging/dkms/dkms-postbuild.sh $(DESTDIR)$(DKMS_SRC)/
	install -m 0644 packaging/dkms/Kbuild packaging/dkms/Makefile \
		$(DESTDIR)$(DKMS_SRC)/
	sed 's|#MODULE_VERSION#|$(VERSION)|' packaging/dkms/dkms.conf \
		>$(DESTDIR)$(DKMS_SRC)/dkms.conf

# The Debian packages, built from a copy of the tree (dpkg-buildpackage
# writes to the parent directory): build/deb/*.deb, lintian's report in
# build/deb/lintian.txt.
deb:
	rm -rf $(BUILD)/deb
	mkdir -p $(BUILD)/deb/relayfs-$(VERSION)
	tar -c --exclude=./$(BUILD) --exclude=./.git . | \
		tar -x -C $(BUILD)/deb/relayfs-$(VERSION)
	cd $(BUILD)/deb/relayfs-$(VERSION) && \
		dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -n 40 ../build.log; exit 1; }
	rm -rf $(BUILD)/deb/relayfs-$(VERSION)
	cd $(BUILD)/deb && lintian --fail-on error *.changes >lintian.txt 2>&1 || \
		{ cat lintian.txt; exit 1; }
	@cat $(BUILD)/deb/lintian.txt
	@ls $(BUILD)/deb/*.deb
