// SPDX-License-Identifier: GPL-2.0
/*
 * kmsg-dump STATEFILE: print the kernel log records that appeared since the
 * last call, every level, as the console would show them ("[ sec.usec]
 * text"), then one line "# kmsg-lost N": the records the ring buffer lost
 * before they could be read (a gap in the sequence numbers, or EPIPE).
 *
 * The test VM's init runs it after every suite and sends the output to the
 * host (tests/vm/init), which scans it for kernel reports
 * (tests/vm/kernel-log-scan.py).  It reads /dev/kmsg, not the console: a
 * suite may quiet the console (dmesg -n 1) for speed, and `dmesg -c`
 * (syslog's clear) does not touch what /dev/kmsg readers see.  STATEFILE
 * keeps the next sequence number to print; without it, everything still in
 * the buffer is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A record is at most 8 KiB of text (PRINTK_MESSAGE_MAX) plus a prefix. */
#define RECORD_MAX	(16 * 1024)

static unsigned long long load_state(const char *path)
{
	unsigned long long next = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%llu", &next) != 1)
			next = 0;
		fclose(f);
	}
	return next;
}

static int save_state(const char *path, unsigned long long next)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%llu\n", next);
	return fclose(f) ? -errno : 0;
}

/*
 * One record: "prio,seq,usec,flags[,...];text\n", then dictionary lines
 * starting with a space.  Print the text with its time stamp; the kernel
 * already escaped unprintable bytes (\xNN).  Returns the sequence number,
 * or -1 for a malformed record.
 */
static long long print_record(char *rec, unsigned long long next)
{
	unsigned long long seq, usec;
	unsigned int prio;
	char *text, *nl;

	if (sscanf(rec, "%u,%llu,%llu,", &prio, &seq, &usec) != 3)
		return -1;
	text = strchr(rec, ';');
	if (!text)
		return -1;
	text++;
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	if (seq >= next)
		printf("[%5llu.%06llu] %s\n", usec / 1000000, usec % 1000000,
		       text);
	return (long long)seq;
}

int main(int argc, char **argv)
{
	unsigned long long next, lost = 0;
	static char rec[RECORD_MAX];
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: kmsg-dump STATEFILE\n");
		return 2;
	}
	next = load_state(argv[1]);
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		perror("kmsg-dump: /dev/kmsg");
		return 1;
	}
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		long long seq;

		if (n < 0 && errno == EPIPE) {
			/* Overwritten under us: the gap counts below. */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			perror("kmsg-dump: read");
			return 1;
		}
		rec[n] = '\0';
		seq = print_record(rec, next);
		if (seq < 0) {
			fprintf(stderr, "kmsg-dump: malformed record\n");
			return 1;
		}
		if ((unsigned long long)seq < next)
			continue;	/* printed by an earlier call */
		lost += seq - next;
		next = seq + 1;
	}
	close(fd);
	printf("# kmsg-lost %llu\n", lost);
	if (fflush(stdout))
		return 1;
	return save_state(argv[1], next) ? 1 : 0;
}
