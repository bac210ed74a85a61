# relayfs: top-level build.
#
#   make            kernel modules for every installed kernel + user space
#   make check      the whole test suite (installs what it needs first)
#   make vm-test KERNEL=<release> SUITES=a,b   one suite, one kernel
#   make demo       the demo in a VM
#
# KDIRS selects the kernels to build for (default: every
# /lib/modules/*/build present).

KDIRS ?= $(wildcard /lib/modules/*/build)
CC ?= gcc
BUILD := build

USER_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror \
	-D_GNU_SOURCE -Iinclude/uapi -Itests/user
VM_TEST_SRCS := $(wildcard tests/user/*.c)
VM_TESTS := $(patsubst tests/user/%.c,$(BUILD)/user/vm/%,$(VM_TEST_SRCS))
# Programs also built for 32-bit user space, to test the compat ioctl path.
M32_TESTS := $(BUILD)/user/vm/rfs-core-m32 $(BUILD)/user/vm/rfs-read-m32
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/user/unit/%,$(UNIT_SRCS))
USER_HDRS := $(wildcard include/uapi/linux/*.h tests/user/*.h tests/kmod/*.h \
	tests/user/lib/*.h)
# Linked into every in-VM test program.
VM_TEST_LIB := $(wildcard tests/user/lib/*.c)

.PHONY: all modules user check deps vm-test demo clean

all: modules user

deps:
	scripts/install-deps.sh

modules:
	@[ -n "$(KDIRS)" ] || { echo "no kernel headers: make deps" >&2; exit 1; }
	@set -e; for k in $(KDIRS); do scripts/build-modules.sh $$k; done

user: $(VM_TESTS) $(M32_TESTS) $(UNIT_TESTS)

# In-VM test programs are static: the initramfs has no libc.
$(BUILD)/user/vm/%: tests/user/%.c $(VM_TEST_LIB) $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -static -o $@ $< $(VM_TEST_LIB) -lpthread

$(BUILD)/user/vm/%-m32: tests/user/%.c $(VM_TEST_LIB) $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -m32 -static -o $@ $< $(VM_TEST_LIB) -lpthread

$(BUILD)/user/unit/%: tests/unit/%.c $(USER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -o $@ $<

check:
	scripts/check.sh

vm-test: all
	tests/vm/run.sh $(KERNEL) $(SUITES)

demo:
	scripts/demo.sh

clean:
	rm -rf $(BUILD)
