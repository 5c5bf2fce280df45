/*
 * sql.h - every statement and every migration of the store, written once
 * for both back ends (sql.c).
 *
 * A text is common to both back ends, or a dialect entry with one text
 * each: the migrations that shipped with two texts keep them as they were,
 * and the few statements that differ are built from one macro with the
 * difference as its argument. Parameters are written ?1, ?2 ... in every
 * text (PostgreSQL's driver spells them $1, $2 ...), numbered densely from
 * 1 and the same in both texts of an entry, so one binding serves both.
 */
#ifndef QUAN_STORE_SQL_H
#define QUAN_STORE_SQL_H

#include <stdint.h>

#include "store/driver.h"

/* One text for both back ends (all), or one each (sqlite and pg). */
struct sql_text {
	const char *all;
	const char *sqlite;
	const char *pg;
};

/* The text that a back end of dialect d runs (never NULL). */
const char *sql_for(const struct sql_text *t, enum drv_dialect d);

/* The parameters ?N that sql names, as bit N - 1 of the answer (N in
 * 1..64); the text between quotes is skipped. */
uint64_t sql_params(const char *sql);

/* --- the schema ------------------------------------------------------------ */

/* The schema version the migrations bring a database to. */
#define SQL_SCHEMA_VERSION 22

/* Migration i brings the schema from version i to version i + 1. Append
 * only: a migration that shipped is never edited. */
extern const struct sql_text sql_migrations[SQL_SCHEMA_VERSION];

/* Where the schema version is kept: made ready before the migrations run
 * (an empty text: nothing to do), read by statement ST_SCHEMA_VERSION (one
 * row, one column), and written by sql_version_set followed by the
 * number. */
extern const struct sql_text sql_version_init;
extern const struct sql_text sql_version_set;

/* --- statements -------------------------------------------------------------- */

/* Rows an iterator reads before it visits them (the LIMIT of its page). */
#define SQL_PAGE 64

/* The statements the store prepares, by id (driver.h prepare). */
enum sql_stmt {
	ST_POLICY_PROGRAM,
	ST_POLICY_INSERT,
	ST_CURRENT_SET,
	ST_POLICY_CURRENT,
	ST_POLICY_TEXT,
	ST_POLICY_PATH,
	ST_PROGRAMS_PAGE,
	ST_POLICY_VERSIONS_PAGE,
	ST_APP_EXISTS,
	ST_APP_ID_BETWEEN,
	ST_APP_NEXT_SEQ,
	ST_APP_INSERT,
	ST_APP_GET,
	ST_APP_BY_REF,
	ST_GENERATION_BUMP,
	ST_APP_NUMBER,
	ST_APP_NUMBER_SET,
	ST_APP_NUMBERS_PAGE,
	ST_APP_UPDATE,
	ST_APPS_PAGE,	      /* any program, any state */
	ST_APPS_PAGE_STATE,   /* any program, one state */
	ST_APPS_PAGE_PROGRAM, /* one program, any state */
	ST_APPS_PAGE_BOTH,    /* one program, one state */
	/* Newest first, ST_APPS_LIST + a sum of the filters given. */
	ST_APPS_LIST,
	ST_APPS_LIST_LAST = ST_APPS_LIST + 7,
	ST_APPLICANT_YEAR,
	ST_APP_ANY,
	ST_APP_COUNT,
	ST_APP_USCCS_AFTER,
	ST_ACCOUNT_GET,
	ST_ACCOUNT_PUT,
	ST_ACCOUNTS_PAGE,
	ST_TRANSFER_GET,
	ST_TRANSFER_PUT,
	ST_TRANSFERS_PAGE,
	ST_TRANSFERS_PAGE_REF,
	ST_PENDING_STATE,
	ST_LAST_TIMESTAMP,
	ST_EVENT_LAST,
	ST_EVENT_INSERT,
	ST_EVENTS_PAGE,
	ST_EVENTS_SUBJECT_PAGE,
	ST_USER_INSERT,
	ST_USER_DELETE,
	ST_USER_BY_TOKEN,
	ST_USER_GET,
	ST_USER_UPDATE,
	ST_USER_TOKEN_SET,
	ST_USERS_PAGE,
	ST_SESSION_INSERT,
	ST_SESSION_GET,
	ST_SESSION_TOUCH,
	ST_SESSION_DELETE,
	ST_SESSIONS_DELETE_USER,
	ST_SESSIONS_DELETE_OLD,
	ST_CONTRACT_INSERT,
	ST_CONTRACT_SAME,
	ST_CONTRACT_BETWEEN,
	ST_CONTRACT_BETWEEN_SUM,
	ST_CONTRACTS_PAGE,
	ST_CONTRACTS_OF,
	ST_CONTROLLER_PUT,
	ST_CONTROLLERS_OF,
	ST_CONTROLLERS_PAGE,
	ST_LISTING_PUT,
	ST_LISTING_GET,
	ST_LISTINGS_PAGE,
	ST_NOTICE_COUNT,
	ST_NOTICE_INSERT,
	ST_NOTICE_GET,
	ST_NOTICE_CLOSE,
	ST_NOTICE_AWARDS_OF,
	ST_NOTICE_AWARD_INSERT,
	ST_NOTICE_OF_APP,
	ST_OBJECTION_INSERT,
	ST_OBJECTION_COUNT,
	ST_OBJECTION_OPEN,
	ST_OBJECTION_DECIDE,
	ST_NOTICES_PAGE,
	ST_NOTICE_AWARDS_PAGE,
	ST_OBJECTIONS_PAGE,
	ST_KEY_GET,
	ST_KEY_PUT,
	ST_KEYS_PAGE,
	ST_APP_TALLIES_PAGE,
	ST_ACCOUNT_TALLY,
	ST_GENERATION_READ,
	ST_DOC_PUT,
	ST_DOC_GET,
	ST_DOC_INFO,
	ST_DOC_NEXT,
	ST_DOC_LINK,
	ST_DOC_LINK_COUNT,
	ST_DOC_LINKS_OF,
	ST_DOC_LINKS_PAGE,
	ST_DOC_KIND_COUNT,
	ST_DOC_READABLE,
	ST_SCHEMA_VERSION,
	ST_EVENTS_FIND,
	ST_EVENTS_FIND_SUBJECT,
	/* payment batches (migration 19, store_batches.c) */
	ST_BATCH_NEXT,
	ST_VOUCHER_NEXT,
	ST_BATCH_INSERT,
	ST_PAY_ITEM_INSERT,
	ST_BATCH_GET,
	ST_BATCHES_PAGE,
	ST_PAY_ITEMS_PAGE,
	ST_PAY_ITEM_GET,
	ST_PAY_ITEM_PLANNED_OF,
	ST_PAY_ITEM_PAID,
	ST_PAY_ITEM_SETTLE,
	/* The queue's search (store_search.c): ST_APP_SEARCH + 3 * sort +
	 * driver, sort and driver as SQL_SEARCH_* below. */
	/* + k - 1: k rows of app_grams in one INSERT (?1 the seq, ?2 ..
	 * ?k+1 the grams), k = 1 .. SQL_GRAMS_MAX. */
	ST_APP_GRAMS,
	ST_APP_GRAMS_LAST = ST_APP_GRAMS + 15,
	ST_APP_GRAM_COUNT,
	ST_APP_USCC_COUNT,
	ST_APP_SEARCH,
	ST_APP_SEARCH_LAST = ST_APP_SEARCH + 11,
	/* + sort: the sort key of the ?3-th row after the cursor (?1, ?2),
	 * counting from 0: where a bounded walk in the sort's order ends. */
	ST_APP_SEARCH_EDGE,
	ST_APP_SEARCH_EDGE_LAST = ST_APP_SEARCH_EDGE + 3,
	ST__COUNT
};

/* The most bigrams one ST_APP_GRAMS statement writes. */
#define SQL_GRAMS_MAX 16

/* The filters of ST_APPS_LIST, added to it; their parameters follow ?1
 * (before this seq) and ?2 (the limit) in this order. */
enum {
	SQL_LIST_PROGRAM = 1,
	SQL_LIST_STATE = 2,
	SQL_LIST_USCC = 4,
};

/* What leads a search: the sort's own index (every filter read on the
 * way), the USCC prefix's range, or a bigram of the firm's name. */
enum {
	SQL_SEARCH_BY_ORDER = 0,
	SQL_SEARCH_BY_USCC = 1,
	SQL_SEARCH_BY_GRAM = 2,
};

extern const struct sql_text sql_stmts[ST__COUNT];

#endif
