// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The NATS options relay-collect --sink nats:// and relay-gather share
 * (docs/fleet.md): parsed and checked here, one place for both tools.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet.h"

const struct option relay_nats_longopts[] = {
	{ "subject", required_argument, NULL, RELAY_NOPT_SUBJECT },
	{ "stream", required_argument, NULL, RELAY_NOPT_STREAM },
	{ "user", required_argument, NULL, RELAY_NOPT_USER },
	{ "password", required_argument, NULL, RELAY_NOPT_PASSWORD },
	{ "creds", required_argument, NULL, RELAY_NOPT_CREDS },
	{ "tls-ca", required_argument, NULL, RELAY_NOPT_CA },
	{ "tls-cert", required_argument, NULL, RELAY_NOPT_CERT },
	{ "tls-key", required_argument, NULL, RELAY_NOPT_KEY },
	{ "create-stream", no_argument, NULL, RELAY_NOPT_CREATE_STREAM },
	{ "replicas", required_argument, NULL, RELAY_NOPT_REPLICAS },
	{ "retention", required_argument, NULL, RELAY_NOPT_RETENTION },
	{ "max-age", required_argument, NULL, RELAY_NOPT_MAX_AGE },
	{ "max-bytes", required_argument, NULL, RELAY_NOPT_MAX_BYTES },
	{ "spool", required_argument, NULL, RELAY_NOPT_SPOOL },
	{ "spool-size", required_argument, NULL, RELAY_NOPT_SPOOL_SIZE },
	{ "window", required_argument, NULL, RELAY_NOPT_WINDOW },
	{ "ack-timeout", required_argument, NULL, RELAY_NOPT_ACK_TIMEOUT },
	{ "drain-timeout", required_argument, NULL, RELAY_NOPT_DRAIN_TIMEOUT },
	{ 0 }
};

void relay_nats_opts_init(struct relay_nats_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->subject = "relayfs";
	o->stream = "RELAYFS";
	o->spool_size = 256ULL << 20;
	o->window = 256;
	o->ack_timeout = 2.0;
	o->drain_timeout = 30.0;
}

/* A subject prefix: tokens of [A-Za-z0-9_-], dot-separated, no wildcard. */
static int bad_subject(const char *s, int filter)
{
	const char *p;
	size_t tok = 0;

	if (!*s || strlen(s) > 200)
		return 1;
	for (p = s; *p; p++) {
		if (*p == '.') {
			if (!tok)
				return 1;
			tok = 0;
			continue;
		}
		if (filter && (*p == '*' || *p == '>') &&
		    (p[1] == '.' || !p[1]) && !tok) {
			if (*p == '>' && p[1])
				return 1;
			tok++;
			continue;
		}
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '_' && *p != '-')
			return 1;
		tok++;
	}
	return !tok;
}

static int bad_name(const char *s)
{
	const char *p;

	if (!*s || strlen(s) > 64)
		return 1;
	for (p = s; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '_' && *p != '-')
			return 1;
	return 0;
}

int relay_nats_parse(struct relay_nats_opts *o, int opt, const char *arg,
		     char *err, size_t n)
{
	size_t sz;
	char *end;
	long v;

	switch (opt) {
	case RELAY_NOPT_SUBJECT:
		/* checked in relay_nats_check: a filter may have wildcards */
		o->subject = arg;
		return 0;
	case RELAY_NOPT_STREAM:
		if (bad_name(arg))
			break;
		o->stream = arg;
		return 0;
	case RELAY_NOPT_USER:
		o->user = arg;
		return 0;
	case RELAY_NOPT_PASSWORD:
		o->password = arg;
		return 0;
	case RELAY_NOPT_CREDS:
		o->creds = arg;
		return 0;
	case RELAY_NOPT_CA:
		o->ca = arg;
		return 0;
	case RELAY_NOPT_CERT:
		o->cert = arg;
		return 0;
	case RELAY_NOPT_KEY:
		o->key = arg;
		return 0;
	case RELAY_NOPT_CREATE_STREAM:
		o->create_stream = 1;
		return 0;
	case RELAY_NOPT_REPLICAS:
		v = strtol(arg, &end, 10);
		if (*end || v < 1 || v > 5)
			break;
		o->replicas = v;
		return 0;
	case RELAY_NOPT_RETENTION:
		if (strcmp(arg, "limits") && strcmp(arg, "interest") &&
		    strcmp(arg, "workqueue"))
			break;
		o->retention = arg;
		return 0;
	case RELAY_NOPT_MAX_AGE:
		if (relay_parse_duration(arg, &o->max_age) ||
		    !(o->max_age > 0))
			break;
		return 0;
	case RELAY_NOPT_MAX_BYTES:
		if (relay_parse_size(arg, &sz) || !sz)
			break;
		o->max_bytes = sz;
		return 0;
	case RELAY_NOPT_SPOOL:
		o->spool = arg;
		return 0;
	case RELAY_NOPT_SPOOL_SIZE:
		if (relay_parse_size(arg, &sz) || sz < 65536)
			break;
		o->spool_size = sz;
		return 0;
	case RELAY_NOPT_WINDOW:
		v = strtol(arg, &end, 10);
		if (*end || v < 1 || v > 65536)
			break;
		o->window = v;
		return 0;
	case RELAY_NOPT_ACK_TIMEOUT:
		if (relay_parse_duration(arg, &o->ack_timeout) ||
		    !(o->ack_timeout > 0))
			break;
		return 0;
	case RELAY_NOPT_DRAIN_TIMEOUT:
		if (relay_parse_duration(arg, &o->drain_timeout) ||
		    o->drain_timeout < 0)
			break;
		return 0;
	default:
		return -ENOENT;
	}
	snprintf(err, n, "bad value for --%s: '%s'",
		 relay_nats_longopts[opt - RELAY_NOPT_SUBJECT].name, arg);
	return -EINVAL;
}

int relay_nats_check(const struct relay_nats_opts *o, char *err, size_t n)
{
	const char *u = o->url;

	if (!u || (strncmp(u, "nats://", 7) && strncmp(u, "tls://", 6))) {
		snprintf(err, n, "the cluster's URL must start with nats:// or "
			 "tls://, not '%s'", u ? u : "");
		return -EINVAL;
	}
	if (bad_subject(o->subject, 1)) {
		snprintf(err, n, "bad subject '%s': tokens of letters, digits, "
			 "'_' and '-' joined by '.' (a filter may use '*' and "
			 "a last '>')", o->subject);
		return -EINVAL;
	}
	if (!!o->user != !!o->password) {
		snprintf(err, n, "--user and --password go together");
		return -EINVAL;
	}
	if (!!o->cert != !!o->key) {
		snprintf(err, n, "--tls-cert and --tls-key go together");
		return -EINVAL;
	}
	if (o->creds && o->user) {
		snprintf(err, n, "--user and --creds conflict");
		return -EINVAL;
	}
	if (!o->create_stream && (o->replicas || o->retention ||
				  o->max_age > 0 || o->max_bytes)) {
		snprintf(err, n, "--replicas, --retention, --max-age and "
			 "--max-bytes are settings of --create-stream");
		return -EINVAL;
	}
	return 0;
}

void relay_nats_token(const char *s, char *tok, size_t n)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < n; i++) {
		unsigned char c = s[i];

		tok[i] = (c <= ' ' || c == '.' || c == '*' || c == '>' ||
			  c >= 0x7f) ? '_' : c;
	}
	if (!i && n > 1)
		tok[i++] = '_';
	tok[i] = '\0';
}

void relay_nats_usage(FILE *f, int producer)
{
	fprintf(f,
"NATS (docs/fleet.md):\n"
"      --subject %-10s subjects PREFIX.<host>.<app>.<cpu|run> (default:\n"
"                           relayfs)\n"
"      --stream NAME        the JetStream stream (default: RELAYFS)\n"
"      --user U --password P   user and password\n"
"      --creds FILE         a credentials file (JWT and NKey seed)\n"
"      --tls-ca FILE        TLS: trust this CA (the server is verified)\n"
"      --tls-cert FILE --tls-key FILE   TLS: this client certificate\n"
"      --create-stream      create the stream if it is missing, with:\n"
"      --replicas N  --retention limits|interest|workqueue\n"
"      --max-age TIME  --max-bytes SIZE\n",
		producer ? "PREFIX" : "FILTER");
	if (producer)
		fprintf(f,
"      --spool DIR          where frames wait while the cluster is away\n"
"                           (default: DIR of -o, else .)\n"
"      --spool-size SIZE    at most this much spooled (default: 256M); when\n"
"                           full, draining stops and the kernel counts drops\n"
"      --window N           unacknowledged frames at most (default: 256)\n"
"      --ack-timeout TIME   an ack later than this: spool (default: 2s)\n"
"      --drain-timeout TIME at the end, wait for the cluster (default: 30s)\n");
}

struct option *relay_nats_merge_longopts(const struct option *a)
{
	size_t na = 0, nb = 0;
	struct option *m;

	while (a[na].name)
		na++;
	while (relay_nats_longopts[nb].name)
		nb++;
	m = calloc(na + nb + 1, sizeof(*m));
	if (!m)
		return NULL;
	memcpy(m, a, na * sizeof(*m));
	memcpy(m + na, relay_nats_longopts, nb * sizeof(*m));
	return m;
}
