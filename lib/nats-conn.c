// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The connection to the NATS cluster and its JetStream stream: servers,
 * TLS, credentials; the stream checked (or created with
 * --create-stream).  Every refusal at start is one clear line and an
 * errno, never a retry loop: a wrong password or certificate does not
 * get better by trying again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nats/nats.h>
#include "fleet.h"

struct relay_nats {
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
};

void *relay_nats_conn(struct relay_nats *n)
{
	return n->nc;
}

void *relay_nats_js(struct relay_nats *n)
{
	return n->js;
}

int relay_nats_up(struct relay_nats *n)
{
	return natsConnection_Status(n->nc) == NATS_CONN_STATUS_CONNECTED;
}

void relay_nats_close(struct relay_nats *n)
{
	if (!n)
		return;
	if (n->js)
		jsCtx_Destroy(n->js);
	if (n->nc) {
		natsConnection_Close(n->nc);
		natsConnection_Destroy(n->nc);
	}
	natsOptions_Destroy(n->opts);
	free(n);
	nats_Close();
}

/* The servers of "nats://a:1,nats://b:2" into libnats' list. */
static natsStatus set_servers(natsOptions *opts, const char *url)
{
	char *copy = strdup(url), *save = NULL, *tok;
	const char *list[16];
	int n = 0;
	natsStatus s;

	if (!copy)
		return NATS_NO_MEMORY;
	for (tok = strtok_r(copy, ",", &save); tok && n < 16;
	     tok = strtok_r(NULL, ",", &save))
		list[n++] = tok;
	s = natsOptions_SetServers(opts, list, n);
	free(copy);
	return s;
}

/* libnats' last error, as one line with the cause it names. */
static int nats_err(natsStatus s, const char *what, char *err, size_t n)
{
	const char *text = nats_GetLastError(NULL);
	int e;

	switch (s) {
	case NATS_NOT_PERMITTED:
		e = -EACCES;
		break;
	case NATS_SSL_ERROR:
		e = -EPROTO;
		break;
	case NATS_NO_SERVER:
		e = -ECONNREFUSED;
		break;
	case NATS_TIMEOUT:
		e = -ETIMEDOUT;
		break;
	case NATS_NO_MEMORY:
		e = -ENOMEM;
		break;
	default:
		e = -EIO;
	}
	if (text && strstr(text, "uthorization"))
		e = -EACCES;
	snprintf(err, n, "%s: %s%s%s", what, natsStatus_GetText(s),
		 text && *text ? ": " : "", text ? text : "");
	return e;
}

static natsStatus make_opts(const struct relay_nats_opts *o, natsOptions **p)
{
	natsOptions *opts;
	natsStatus s = natsOptions_Create(&opts);

	if (s != NATS_OK)
		return s;
	*p = opts;
	s = set_servers(opts, o->url);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(opts, 5000);
	/* Once connected, reconnect for ever: the spool covers the gap. */
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(opts, 250);
	if (s == NATS_OK && (o->ca || !strncmp(o->url, "tls://", 6)))
		s = natsOptions_SetSecure(opts, true);
	if (s == NATS_OK && o->ca)
		s = natsOptions_LoadCATrustedCertificates(opts, o->ca);
	if (s == NATS_OK && o->cert)
		s = natsOptions_LoadCertificatesChain(opts, o->cert, o->key);
	if (s == NATS_OK && o->user)
		s = natsOptions_SetUserInfo(opts, o->user, o->password);
	if (s == NATS_OK && o->creds)
		s = natsOptions_SetUserCredentialsFromFiles(opts, o->creds,
							    NULL);
	return s;
}

static jsRetentionPolicy retention(const char *r)
{
	if (r && !strcmp(r, "interest"))
		return js_InterestPolicy;
	if (r && !strcmp(r, "workqueue"))
		return js_WorkQueuePolicy;
	return js_LimitsPolicy;
}

static const char *retention_name(jsRetentionPolicy r)
{
	return r == js_InterestPolicy ? "interest" :
	       r == js_WorkQueuePolicy ? "workqueue" : "limits";
}

/* What differs between the stream and what was asked, or "". */
static void compare(const struct relay_nats_opts *o, const jsStreamConfig *c,
		    const char *want, char *d, size_t n)
{
	size_t l = 0;
	int i, covered = 0;

	d[0] = '\0';
	for (i = 0; i < c->SubjectsLen; i++)
		if (!strcmp(c->Subjects[i], want))
			covered = 1;
	if (!covered)
		l += snprintf(d + l, n - l, " subjects %s (need %s);",
			      c->SubjectsLen ? c->Subjects[0] : "none", want);
	if (c->Duplicates <= 0 && l < n)
		l += snprintf(d + l, n - l, " no duplicate window;");
	if (!o->create_stream)
		return;
	if (o->replicas && c->Replicas != o->replicas && l < n)
		l += snprintf(d + l, n - l, " replicas %lld (asked %d);",
			      (long long)c->Replicas, o->replicas);
	if (o->retention && c->Retention != retention(o->retention) && l < n)
		l += snprintf(d + l, n - l, " retention %s (asked %s);",
			      retention_name(c->Retention), o->retention);
	if (o->max_age > 0 && c->MaxAge != (int64_t)(o->max_age * 1e9) &&
	    l < n)
		l += snprintf(d + l, n - l, " max age %.0fs (asked %.0fs);",
			      c->MaxAge / 1e9, o->max_age);
	if (o->max_bytes && c->MaxBytes != o->max_bytes && l < n)
		snprintf(d + l, n - l, " max bytes %lld (asked %lld);",
			 (long long)c->MaxBytes, (long long)o->max_bytes);
}

static int stream_setup(struct relay_nats *r, const struct relay_nats_opts *o,
			char *err, size_t n)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	jsStreamConfig cfg;
	char want[256], diff[512];
	const char *subjects[1] = { want };
	natsStatus s;

	/* The stream holds the first token's subjects: prefix or filter. */
	snprintf(want, sizeof(want), "%.*s.>", (int)strcspn(o->subject, "."),
		 o->subject);
	s = js_GetStreamInfo(&si, r->js, o->stream, NULL, &jerr);
	if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
		if (!o->create_stream) {
			snprintf(err, n, "stream %s does not exist "
				 "(--create-stream makes it)", o->stream);
			return -ENOENT;
		}
		jsStreamConfig_Init(&cfg);
		cfg.Name = o->stream;
		cfg.Subjects = subjects;
		cfg.SubjectsLen = 1;
		cfg.Retention = retention(o->retention);
		cfg.Storage = js_FileStorage;
		cfg.Replicas = o->replicas ? o->replicas : 1;
		cfg.MaxAge = (int64_t)(o->max_age * 1e9);
		cfg.MaxBytes = o->max_bytes ? o->max_bytes : -1;
		cfg.Duplicates = 120LL * 1000000000LL;
		s = js_AddStream(&si, r->js, &cfg, NULL, &jerr);
		if (s != NATS_OK)
			return nats_err(s, "creating the stream", err, n);
	} else if (s != NATS_OK) {
		return nats_err(s, "the stream", err, n);
	}
	compare(o, si->Config, want, diff, sizeof(diff));
	jsStreamInfo_Destroy(si);
	if (diff[0]) {
		snprintf(err, n, "stream %s exists with other settings:%s",
			 o->stream, diff);
		return -EEXIST;
	}
	return 0;
}

int relay_nats_connect(const struct relay_nats_opts *o,
		       struct relay_nats **np, char *err, size_t n)
{
	struct relay_nats *r = calloc(1, sizeof(*r));
	natsStatus s;
	int e;

	if (!r)
		return -ENOMEM;
	s = make_opts(o, &r->opts);
	if (s != NATS_OK) {
		e = nats_err(s, "options (a certificate or credentials file?)",
			     err, n);
		goto fail;
	}
	s = natsConnection_Connect(&r->nc, r->opts);
	if (s != NATS_OK) {
		e = nats_err(s, o->url, err, n);
		goto fail;
	}
	s = natsConnection_JetStream(&r->js, r->nc, NULL);
	if (s != NATS_OK) {
		e = nats_err(s, "JetStream", err, n);
		goto fail;
	}
	e = stream_setup(r, o, err, n);
	if (e)
		goto fail;
	*np = r;
	return 0;
fail:
	relay_nats_close(r);
	return e;
}
