# relayfs: top-level build.
#
#   make            kernel modules for every installed kernel + user space
#   make check      the whole test suite (installs what it needs first)
#   make vm-test KERNEL=<release> SUITES=a,b   one suite, one kernel
#   make demo       the demo in a VM
#   make bench      the write-path benchmark on both kernels (docs/benchmarks.md)
#   make torture-singlestep   the torture suite under qemu -singlestep
#                   (docs/torture.md; not in make check: it is slow)
#
# KDIRS selects the kernels to build for (default: every
# /lib/modules/*/build present).

KDIRS ?= $(wildcard /lib/modules/*/build)
CC ?= gcc
BUILD := build
PREFIX ?= /usr/local

USER_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror \
	-D_GNU_SOURCE -Iinclude/uapi -Iinclude -Itests/user
VM_TEST_SRCS := $(wildcard tests/user/*.c)
VM_TESTS := $(patsubst tests/user/%.c,$(BUILD)/user/vm/%,$(VM_TEST_SRCS))
# Programs also built for 32-bit user space, to test the compat ioctl path.
M32_TESTS := $(BUILD)/user/vm/rfs-core-m32 $(BUILD)/user/vm/rfs-read-m32
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/user/unit/%,$(UNIT_SRCS))
USER_HDRS := $(wildcard include/uapi/linux/*.h tests/user/*.h include/relayfs/*.h \
	tests/user/lib/*.h)
# Linked into every in-VM test program.
VM_TEST_LIB := $(wildcard tests/user/lib/*.c)

# librelay (static and shared) and the tools built on it.
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
LIB_PIC_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/pic/%.o,$(LIB_SRCS))
# The one version of the tools, the library and the packages.
VERSION := $(shell cat VERSION)
VERSION_CFLAGS := -DRELAY_VERSION='"$(VERSION)"'
LIB_CFLAGS := $(USER_CFLAGS) -Ilib -fvisibility=default $(VERSION_CFLAGS)
LIBRELAY_SOVER := 1
# What librelay needs linked after it (zstd, the compression thread).
LIB_LIBS := -lzstd -lpthread
LIBS := $(BUILD)/lib/librelay.a $(BUILD)/lib/librelay.so \
	$(BUILD)/lib/librelay.pc
TOOLS := $(BUILD)/bin/relay-collect $(BUILD)/bin/relay-merge
# The VM has no libc: its copies of the tools are static.
VM_TOOLS := $(BUILD)/user/vm/relay-collect $(BUILD)/user/vm/relay-merge \
	$(patsubst bench/user/%.c,$(BUILD)/user/vm/%,$(wildcard bench/user/*.c))

.PHONY: all modules user lib tools check deps vm-test demo bench \
	torture-singlestep clean

all: modules lib tools user

lib: $(LIBS)

tools: $(TOOLS)

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) VERSION $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(BUILD)/lib/pic/%.o: lib/%.c $(wildcard lib/*.h) VERSION $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -fPIC -c -o $@ $<

$(BUILD)/lib/librelay.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/lib/librelay.so: $(LIB_PIC_OBJS)
	$(CC) -shared -Wl,-soname,librelay.so.$(LIBRELAY_SOVER) -o $@.$(LIBRELAY_SOVER) $^ $(LIB_LIBS)
	ln -sf librelay.so.$(LIBRELAY_SOVER) $@

$(BUILD)/lib/librelay.pc: lib/librelay.pc.in VERSION
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< >$@

$(BUILD)/bin/%: tools/%.c $(BUILD)/lib/librelay.a
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -o $@ $< $(BUILD)/lib/librelay.a $(LIB_LIBS)

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

user: $(VM_TESTS) $(M32_TESTS) $(UNIT_TESTS) $(VM_TOOLS)

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

check:
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
