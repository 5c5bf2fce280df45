/*
 * app.h - an application, parsed and validated (DESIGN.md, "Application").
 *
 * app_parse_json() reads the JSON application format strictly: unknown
 * fields, missing required fields, money given as a JSON number, a bad USCC,
 * an impossible date, duplicate keys and bodies above APP_MAX_BYTES are all
 * errors naming the field ("contract.value") and the reason. A parsed
 * application owns all its strings (one arena); it is freed with
 * app_release().
 */
#ifndef QUAN_APP_H
#define QUAN_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/date.h"
#include "core/err.h"
#include "core/money.h"
#include "core/uscc.h"
#include "policy/policy.h"

#define APP_MAX_BYTES (1u << 20) /* 1 MiB: an application is a few KiB */
#define APP_MAX_CONTROLLERS 64
#define APP_MAX_OTHER_SUBSIDIES 32
#define APP_MAX_STRING 512 /* bytes of any one string field */
#define APP_MAX_REF 64	   /* bytes of a client_ref */
#define APP_MAX_NAME 63	   /* bytes of a program or measure id */

struct app_party {
	const char *uscc;
	const char *name;
	/* Derived from the USCC, never the applicant's word; an applicant
	 * may declare "kind", which must then agree with it. */
	enum uscc_kind kind;
	const char *registered_city; /* applicant only; "" for a supplier */
	const char *industry; /* applicant only: a GB/T 4754 code, checked */
	bool sme, startup, registered_model; /* applicant only */
	bool has_bad_credit;		     /* applicant only */
	qdate last_bad_credit_on;	     /* when has_bad_credit */
	bool platform_listed;		     /* supplier only */
	/* Supplier only, optional: its computing capacity in PFLOPS and its
	 * data centre's racks, as stated. */
	bool has_pflops, has_racks;
	int64_t pflops, racks;
	const char **controllers;
	size_t ncontrollers;
};

/* The level of government that pays another subsidy of the same contract;
 * SUBSIDY_LEVEL_UNKNOWN when the application does not say. */
enum subsidy_level {
	SUBSIDY_LEVEL_UNKNOWN,
	SUBSIDY_LEVEL_NATIONAL,
	SUBSIDY_LEVEL_PROVINCE,
	SUBSIDY_LEVEL_CITY,
	SUBSIDY_LEVEL_DISTRICT,
	SUBSIDY_LEVEL__COUNT
};

struct app_other_subsidy {
	const char *program;
	money_t amount;
	enum subsidy_level level; /* optional "level" in the application */
};

struct app_compute {
	const char *chip; /* catalog id, checked when deciding */
	int64_t accelerators;
	int64_t hours;
	const char *location;
};

struct app_contract {
	const char *number;
	enum contract_kind kind;
	money_t value;
	qdate signed_on;
	int64_t term_months;
	bool uses_registered_model;
	struct app_other_subsidy *other_subsidies;
	size_t nother_subsidies;
	bool has_compute;
	struct app_compute compute;
};

/* An application. The applicant writes neither its number nor when it was
 * received: the office numbers it (id) and stamps it from its own clock
 * (app_receive), and the window, the fiscal year and the waiting order
 * follow that time. */
struct application {
	const char *id;		/* the office's number; NULL until numbered */
	const char *client_ref; /* the applicant's own reference, or NULL */
	const char *program;
	const char *measure;
	int64_t received_at; /* epoch seconds, UTC: set by app_receive */
	qdate received_on;   /* its date in the office's calendar (UTC+8) */
	struct app_party applicant;
	struct app_party supplier;
	struct app_contract contract;
	struct arena arena; /* private: owns every string above */
};

/* Parse buf (len bytes, need not be NUL-terminated) into *out. On error
 * returns the code, fills e (e->field names the offending field), and
 * leaves *out empty (safe to app_release). On success the caller releases
 * *out with app_release(). */
int app_parse_json(const char *buf, size_t len, struct application *out,
		   struct qerr *e);

/* Read a file (refusing more than APP_MAX_BYTES before reading it all) and
 * parse it. Errors as app_parse_json, or Q_ERR_IO / Q_ERR_TOO_LARGE. */
int app_load_file(const char *path, struct application *out, struct qerr *e);

/* Stamp a with the time the office received it (epoch seconds, from the
 * office's clock or an administrator's import). Refuses (Q_ERR_INVALID,
 * field contract.signed_on) a contract signed after the day it was
 * received. */
int app_receive(struct application *a, int64_t at, struct qerr *e);

/* Whether s (len bytes) is a well-formed reference: 1..APP_MAX_REF bytes
 * of A-Z a-z 0-9 and . _ - (a client_ref, an office's application id). */
bool app_ref_valid(const char *s, size_t len);

/* Free what *a owns and zero it. */
void app_release(struct application *a);

#endif
