/*
 * app: what the services share while hanzepost runs — the loaded config,
 * the open database, the country names and the templates.  Owned by
 * main/cli; services borrow it.  Opening and closing live in cli.c.
 */
#ifndef HP_APP_H
#define HP_APP_H

#include <time.h>

#include <libpsl.h>

#include "config.h"
#include "country.h"
#include "store.h"
#include "templates.h"

struct app {
	struct config *cfg;
	struct store *store;
	struct country_db *countries;
	struct templates *templates;
	psl_ctx_t *psl;		/* public suffix list, loaded on first use */
	int verbose;
};

/* Service outcomes (ARCHITECTURE.md L3). */
enum hp_status { HP_OK, HP_REJECT, HP_RETRY, HP_FATAL };

#endif
