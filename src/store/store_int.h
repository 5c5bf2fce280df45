/*
 * store_int.h - what a back end of the store (store.h) provides: a table of
 * its functions, one per function of store.h, which store.c calls through.
 *
 * A back end's own struct begins with a struct store whose ops point at
 * its table; store.c never looks past that. Each entry has the contract of
 * the store.h function of the same name.
 */
#ifndef QUAN_STORE_INT_H
#define QUAN_STORE_INT_H

#include "store/store.h"

struct store_ops {
	const char *name; /* "sqlite", "postgres" */
	void (*close)(struct store *s);
	int (*schema_version)(struct store *s);
	int (*begin)(struct store *s, struct qerr *e);
	int (*commit)(struct store *s, struct qerr *e);
	void (*rollback)(struct store *s);
	int (*savepoint)(struct store *s, struct qerr *e);
	int (*savepoint_release)(struct store *s, struct qerr *e);
	void (*savepoint_rollback)(struct store *s);
	const struct ledger_io *(*ledger_io)(struct store *s);
	int (*ledger_error)(struct store *s, struct qerr *e);
	int (*policy_add)(struct store *s, const char *program,
			  const char *hash, const char *path, const char *text,
			  size_t len, int64_t now, bool *is_new,
			  struct qerr *e);
	int (*policy_current)(struct store *s, const char *program, char *hash,
			      char **text, size_t *len, struct qerr *e);
	int (*policy_text)(struct store *s, const char *hash, char **text,
			   size_t *len, struct qerr *e);
	int (*policy_path)(struct store *s, const char *hash, char *path,
			   size_t n, struct qerr *e);
	int (*programs_each)(struct store *s,
			     int (*fn)(void *arg, const char *program,
				       const char *hash),
			     void *arg, struct qerr *e);
	int (*policy_each_version)(struct store *s,
				   int (*fn)(void *arg,
					     const struct store_policy *p),
				   void *arg, struct qerr *e);
	int (*app_insert)(struct store *s, struct store_app *a, struct qerr *e);
	int (*app_get)(struct store *s, const char *id, struct store_app *out,
		       struct qerr *e);
	int (*app_by_ref)(struct store *s, const char *uscc,
			  const char *client_ref, struct store_app *out,
			  struct qerr *e);
	int (*app_number)(struct store *s, const char *program, int year,
			  int64_t *n, struct qerr *e);
	int (*app_numbers_each)(struct store *s,
				int (*fn)(void *arg, const char *program,
					  int year, int64_t last),
				void *arg, struct qerr *e);
	int (*app_number_set)(struct store *s, const char *program, int year,
			      int64_t last, struct qerr *e);
	int (*app_update)(struct store *s, const struct store_app *a,
			  struct qerr *e);
	int (*app_each)(struct store *s, const char *program, int st,
			int (*fn)(void *arg, const struct store_app *a),
			void *arg, struct qerr *e);
	int (*applicant_year)(struct store *s, const char *program,
			      const char *measure, const char *uscc, int year,
			      const char *except_id, money_t *awarded,
			      money_t *compute_contracts, struct qerr *e);
	int (*app_any)(struct store *s, const char *program,
		       const char *measure, int fiscal_year, int state,
		       bool *out, struct qerr *e);
	int (*app_list)(struct store *s, const struct store_app_filter *f,
			int (*fn)(void *arg, const struct store_app *a),
			void *arg, struct qerr *e);
	int (*event_append)(struct store *s, struct store_event *ev,
			    struct qerr *e);
	int (*event_each)(struct store *s,
			  int (*fn)(void *arg, const struct store_event *ev),
			  void *arg, struct qerr *e);
	int (*event_each_subject)(struct store *s, const char *subject,
				  int (*fn)(void *arg,
					    const struct store_event *ev),
				  void *arg, struct qerr *e);
	int (*user_add)(struct store *s, const struct store_user *u,
			const char *token_hash, struct qerr *e);
	int (*user_remove)(struct store *s, const char *name, struct qerr *e);
	int (*user_by_token)(struct store *s, const char *token_hash,
			     struct store_user *out, struct qerr *e);
	int (*user_each)(struct store *s,
			 int (*fn)(void *arg, const struct store_user *u,
				   const char *token_hash),
			 void *arg, struct qerr *e);
	int (*account_each)(struct store *s,
			    int (*fn)(void *arg,
				      const struct ledger_account *a),
			    void *arg, struct qerr *e);
	int (*transfer_each)(struct store *s, const char *ref,
			     int (*fn)(void *arg,
				       const struct ledger_transfer *t),
			     void *arg, struct qerr *e);
	int (*contract_add)(struct store *s, const struct store_contract *c,
			    struct qerr *e);
	int (*contract_same)(struct store *s, const struct store_contract *c,
			     int days, struct store_contract_row *out,
			     size_t max, size_t *n, struct qerr *e);
	int (*contract_between)(struct store *s, const struct store_contract *c,
				int32_t from, int32_t to, money_t lo,
				money_t hi, struct store_contract_row *out,
				size_t max, size_t *n, int64_t *count,
				money_t *sum, struct qerr *e);
	int (*controller_add)(struct store *s, const struct store_controller *c,
			      struct qerr *e);
	int (*controllers_of)(struct store *s, const char *uscc,
			      struct store_controller *out, size_t max,
			      size_t *n, struct qerr *e);
	int (*listing_add)(struct store *s, const struct store_listing *l,
			   struct qerr *e);
	int (*listing_get)(struct store *s, const char *list, const char *uscc,
			   struct store_listing *out, struct qerr *e);
	int (*screens_each)(
		struct store *s,
		int (*contract)(void *arg, const struct store_contract *c),
		int (*controller)(void *arg, const struct store_controller *c),
		int (*listing)(void *arg, const struct store_listing *l),
		void *arg, struct qerr *e);
};

/* Bytes of a program's name with its NUL, as struct store_app.program. */
#define STORE_PROGRAM_MAX 64

/* The head of every back end's store. */
struct store {
	const struct store_ops *ops;
};

/* Open the SQLite database file at path (":memory:" for a private one). */
int store_sqlite_open(const char *path, struct store **out, struct qerr *e);

/* Connect to the PostgreSQL database at the libpq URI url
 * ("postgres://..." or "postgresql://..."). */
int store_pg_open(const char *url, struct store **out, struct qerr *e);

/* Cut buf (NUL-terminated) back to a UTF-8 character boundary, after a
 * column was cut to fit a fixed-size field. */
void store_utf8_trim(char *buf);

/* The enum app_state named name, or -1. */
int app_state_parse(const char *name);

#endif
