/*
 * policy.h - a program as data: the parsed, checked policy file.
 *
 * policy_load() reads a YAML policy (docs/policy-format.md), reports every
 * problem as file:line:column, compiles every condition, rate and limit
 * (expr.h), and returns an immutable struct policy. Nothing in it changes
 * after loading, so one policy may be shared by many threads.
 *
 * Every rule a decision can name (an eligibility condition, a rate row, a
 * cap, the base, the window, the accepted kinds) has an entry in rules[];
 * decisions refer to rules by index, and the text is looked up only when a
 * decision is shown.
 *
 * Parameters are dated in the OpenFisca manner: each value takes effect on
 * a date, and a null value ends it. The loader splits time into epochs at
 * every change date and stores the full vector of values per epoch, so a
 * decision finds the values in force with one binary search.
 */
#ifndef QUAN_POLICY_H
#define QUAN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/date.h"
#include "core/money.h"
#include "policy/diag.h"
#include "policy/expr.h"

#define POLICY_MAX_BYTES (4u << 20) /* a policy file above 4 MiB is refused */
#define POLICY_HASH_TEXT 72	    /* "sha256:" + 64 hex + NUL */

enum contract_kind {
	KIND_RENT,
	KIND_BUY,
	KIND_BUILD,
	KIND_API,
	KIND_PRIVATE_DEPLOYMENT,
	KIND_CORPUS,
	KIND_GRANT,
	KIND__COUNT
};

/* "rent" .. "grant"; kind_lookup returns -1 for an unknown name. */
const char *kind_name(enum contract_kind k);
int kind_lookup(const char *s, size_t len);

enum alloc_mode { ALLOC_FCFS, ALLOC_PRO_RATA };
/* How a first come first served measure's waitlist is served: strict
 * arrival order (nothing overtakes the first in line), or fit (whatever
 * fits the pool's available amount is reserved, in arrival order). */
enum waitlist_mode { WAITLIST_STRICT, WAITLIST_FIT };
enum hit_policy { HIT_FIRST, HIT_MAX, HIT_UNIQUE };
/* What a cap's limit counts against: this contract's subsidy, the
 * applicant's awards this fiscal year, or (stacked) the subsidies of every
 * scheme for this contract together, the other schemes' taken off. */
enum cap_per { CAP_PER_CONTRACT, CAP_PER_APPLICANT_YEAR, CAP_PER_STACKED };

/* Levels of government whose other subsidies a stacked cap counts: bit
 * (1 << enum subsidy_level) of engine/app.h; entries without a level are
 * always counted. */
#define CAP_LEVELS_ALL 0x1fu
enum clawback_to { CLAWBACK_TO_POOL, CLAWBACK_TO_TREASURY };

enum rule_kind {
	RULE_KIND,   /* the measure accepts the contract's kind */
	RULE_WINDOW, /* received inside the application window */
	RULE_ELIGIBILITY,
	RULE_BASE,
	RULE_RATE_ROW,
	RULE_CAP,
	RULE_CAP_RELAXED,
	RULE_POOL, /* a pool's entry, "pool.<id>", for its source and line */
	RULE_SUBSIDISED_MONTHS, /* the base limited to N months of the term */
	RULE_FUNDER,		/* a funder's share of the amount */
	RULE_SCREEN, /* a screen: "screen.<name>" or "<measure>.screen.<name>" */
	RULE_FROM,   /* the measure applies to contracts signed from a date */
	RULE_UNTIL,  /* ... and until a date */
	RULE_KIND_DATES, /* "<measure>.kind.<kind>": a kind from/until dates */
	RULE_PRIORITY,	 /* "<measure>.priority": who comes first in review */
	RULE_PUBLIC_NOTICE, /* "<measure>.public-notice": 公示 before payment */
};

/* A rule a decision can name. id is "compute-rent.rate.default"; line and
 * col point at the rule in the policy file. */
struct policy_rule {
	char *id;
	enum rule_kind kind;
	char *says;	  /* plain words, may be NULL */
	char *source;	  /* source id, may be NULL */
	char *assumption; /* set when the value is an assumption */
	/* The same in Chinese (`says_zh`, `assumption_zh`), each NULL when
	 * the policy gives none; zh_source is where says_zh comes from:
	 * "office" (the office's own wording) or a source id whose published
	 * text it quotes. */
	char *says_zh, *assumption_zh, *zh_source;
	int line, col;
	uint32_t measure; /* index of its measure; UINT32_MAX for a pool */
};

/* A published text. Either url (the article's own page, never a site's
 * root) or document (its number, "沪经信智〔2025〕489号") with published,
 * or all three; url and document may be NULL, not both. */
struct policy_source {
	char *id, *title, *url, *published; /* published may be NULL */
	char *document;
	int url_line, url_col; /* where url is, for policy_check_sources */
};

/* A named list of suppliers (Beijing's 算力伙伴), imported by the office
 * under its id; conditions ask supplier_on("<id>"). Index k of a policy's
 * lists is bit k of facts.supplier_lists. */
struct policy_list {
	char *id, *name;
	char *source, *assumption;
};

#define POLICY_MAX_LISTS 32
/* A list's id is stored with each listed firm (store_listing.list). */
#define POLICY_LIST_ID_MAX 15

struct policy_budget {
	int year; /* fiscal year */
	money_t amount;
};

/* A pool holds yearly budgets, or (`commitment:`) one budget of
 * commitment authority for the fiscal years from..until: then budgets has
 * one entry, year = commit_from, and every year of the span draws on the
 * same ledger accounts, kept under commit_from. */
struct policy_pool {
	char *id, *name;
	struct policy_budget *budgets;
	size_t nbudgets;
	bool rollover;
	bool commitment;
	int commit_from, commit_until; /* 0 unless a commitment */
	uint32_t rule;		       /* for its source and line */
};

/* One dated value of a parameter: in force from `from` until the next. */
struct policy_param_value {
	qdate from;
	bool is_null;
	int64_t v;
};

struct policy_param {
	char *name;			   /* referenced as param.<name> */
	enum qtype type;		   /* int, money, rate, date or bool */
	struct policy_param_value *values; /* sorted by from */
	size_t nvalues;
	char *source, *assumption;
	int line, col;
};

struct policy_cond { /* an eligibility condition */
	uint32_t rule;
	struct expr *when; /* QT_BOOL */
};

struct policy_row { /* a row of a rate table */
	uint32_t rule;
	struct expr *when; /* QT_BOOL, NULL = always */
	struct expr *rate; /* QT_RATE */
};

struct policy_cap {
	uint32_t rule;
	enum cap_per per;
	struct expr *when;  /* QT_BOOL, NULL = always */
	struct expr *limit; /* QT_MONEY */
	/* A condition that relaxes the cap to another limit; both NULL when
	 * the cap is never relaxed. */
	uint32_t relaxed_rule;
	struct expr *relaxed_when;
	struct expr *relaxed_limit;
	/* A soft cap: `limit` is what is paid "in principle"; up to
	 * hard_limit only with a reviewer's say. NULL for an ordinary cap. */
	struct expr *hard_limit; /* QT_MONEY */
	/* For a stacked cap: the levels whose subsidies count. */
	uint32_t levels;
};

/* One funder's share of a measure's amount (province : city = 1 : 1). */
struct policy_funder {
	uint32_t rule; /* "<measure>.funder.<id>" */
	char *id, *name;
	int64_t weight; /* the funder's part in the ratio, >= 1 */
	/* The share is paid from outside the program's pools (a district's
	 * part of a city-and-district subsidy): the pool is charged only the
	 * shares that are not external. At least one funder is not. */
	bool external;
};

/* The screens (engine/screen.h) a policy can run on every application
 * before deciding it, by name in the policy file. */
enum screen_kind {
	SCREEN_RELATED_PARTY,	   /* "related-party" */
	SCREEN_DUPLICATE_CLAIM,	   /* "duplicate-claim" */
	SCREEN_CONTRACT_SPLITTING, /* "contract-splitting" */
	SCREEN_PRICE,		   /* "price" */
	SCREEN_RESTRICTED_LIST,	   /* "restricted-list" */
	SCREEN_COMPUTE_REGION,	   /* "compute-region" */
	SCREEN__COUNT
};

/* What a screen's flag does: nothing (the screen does not run), send the
 * application to a reviewer with the flag, or block it (recorded as not
 * eligible, the flag its reason, nothing reserved). */
enum screen_action { SCREEN_OFF, SCREEN_REVIEW, SCREEN_BLOCK };

/* The lists an office can import (restricted-list screen): bit
 * (1 << enum screen_list). */
enum screen_list { SCREEN_LIST_DISHONEST, SCREEN_LIST_RESTRICTED };

#define SCREEN_MAX_REGIONS 8
#define SCREEN_REGION_MAX 32 /* bytes of a region name, with the NUL */

/* "related-party" ... "compute-region"; screen_lookup returns -1 for an
 * unknown name. */
const char *screen_name(enum screen_kind k);
int screen_lookup(const char *s, size_t len);
/* "dishonest", "restricted"; -1 for an unknown name. */
const char *screen_list_name(enum screen_list l);
int screen_list_lookup(const char *s, size_t len);

/* One screen as a measure runs it. A plain value (no pointers), so the
 * program-wide entry is copied into each measure and a measure's own entry
 * replaces it. The parameters that do not belong to the screen are 0. */
struct policy_screen {
	uint8_t action; /* enum screen_action; SCREEN_OFF when not listed */
	uint32_t rule;	/* the screen's rule (its source, says, line) */
	/* duplicate-claim: the same parties and value signed this many days
	 * apart or less are the same contract; contract-splitting: the
	 * window, in days either side of signed_on, that contracts between
	 * the same parties are counted in. */
	int window_days;
	/* contract-splitting: a contract is "just under" the threshold when
	 * threshold - threshold x just_under <= value < threshold. */
	money_t threshold;
	rate_bp just_under;
	/* price: flagged when the price per H100-equivalent hour is above
	 * the catalog's reference x factor (15000 = 1.5 x). */
	rate_bp factor;
	uint32_t lists; /* restricted-list: bits (1 << enum screen_list) */
	/* compute-region: where compute may be located. */
	char regions[SCREEN_MAX_REGIONS][SCREEN_REGION_MAX];
	uint8_t nregions;
};

/* The trace entries and reasons a decision holds (DECISION_MAX_TRACE and
 * DECISION_MAX_REASONS of engine/decide.h, which asserts them equal). */
#define POLICY_PLAN_MAX_TRACE 64
#define POLICY_PLAN_MAX_REASONS 32

/* One eligibility condition as decide_facts runs it from a measure's plan
 * (policy_measure.plan_conds): its rule and its form (expr_form_of), so
 * the common forms are read without calling the interpreter. */
struct policy_plan_cond {
	uint32_t rule;
	uint8_t form; /* enum expr_form */
	uint8_t cmp;
	uint8_t longer;
	int8_t slot; /* the string key's slot (facts_skey_slot), or -1 */
	int32_t field;
	int64_t imm;
	const char *str; /* owned by the condition's expression */
	uint64_t key;
	/* One test for the commonest forms, without a branch on the form:
	 * x = (the 8 bytes at byte off of struct facts >> shift) & bits,
	 * and the condition holds when bit (x > imm) - (x < imm) + 1 of
	 * pass is set (1 less, 2 equal, 4 greater). A string compare reads
	 * the key, and only when the facts hold a key for slot `need` (a
	 * bit of skey_mask) that is no longer than a key; otherwise, and
	 * for the forms that are not one test (test false), the form
	 * decides. `x == null || ...` tests the null bit and, when it is
	 * clear, leaves the rest to the form (or_form). */
	bool test;
	bool or_form;
	uint8_t pass;
	uint8_t shift;
	uint16_t need;
	uint32_t off;
	uint64_t bits;
	/* `a && b` or `a || b` of two one-step sides (EXPR_FORM_JOIN2):
	 * join2, and the second side's test, of a number field (off2, imm2,
	 * pass2), joined to the first by || (join_or) or &&. */
	bool join2;
	bool join_or;
	uint8_t pass2;
	uint32_t off2;
	int64_t imm2;
};

struct policy_measure {
	char *id, *name;
	uint32_t pool;	/* index into pools */
	uint32_t kinds; /* bit (1 << enum contract_kind) */
	uint32_t kind_rule;
	enum alloc_mode alloc;
	int64_t window_opens;  /* epoch seconds, INT64_MIN if none */
	int64_t window_closes; /* inclusive, INT64_MAX if none */
	uint32_t window_rule;
	/* The measure covers contracts signed from `from` until `until`
	 * (inclusive); INT32_MIN / INT32_MAX and no rule when open. */
	qdate from, until;
	uint32_t from_rule, until_rule;
	/* A kind listed with its own dates: contracts of kind k signed
	 * outside [kind_from[k], kind_until[k]] fail kind_rules[k];
	 * UINT32_MAX when kind k has no dates. */
	qdate kind_from[KIND__COUNT], kind_until[KIND__COUNT];
	uint32_t kind_rules[KIND__COUNT];
	struct expr *base; /* QT_MONEY; default contract.value */
	uint32_t base_rule;
	/* The subsidy covers at most this many months of the contract: the
	 * base becomes base x min(term, N) / term. 0: the whole term. */
	int subsidised_months;
	uint32_t subsidised_months_rule;
	/* Funders sharing the amount by weight; none: one funder (the
	 * program). The shares are whole fen and add up to the amount. */
	struct policy_funder *funders;
	size_t nfunders;
	/* Applicants holding an award of program priority_of (in the same
	 * office) come first in the review queue; the decision and the money
	 * are the same either way. NULL: no priority. */
	char *priority_of;
	uint32_t priority_rule;
	struct policy_cond *conds;
	size_t nconds;
	/* conds[].when fused into one program (expr_fuse), which decide
	 * runs; NULL without conditions. */
	struct expr *fused;
	enum hit_policy hit;
	/* The text names a plain rate ("按…的20%予以奖励"), not a ceiling:
	 * a reviewer may not approve at a lower one (rates: fixed: true). */
	bool rate_fixed;
	struct policy_row *rows;
	size_t nrows;
	struct policy_cap *caps;
	size_t ncaps;
	money_t second_approver_above; /* -1 when never needed */
	enum clawback_to clawback;
	int grant_years_min, grant_years_max; /* 0 unless a grant */
	/* A reservation not approved within this many days expires and
	 * its money returns to the pool; 0: reservations do not expire. */
	int reservation_days;
	/* `waitlist:`; strict unless the policy says fit. */
	enum waitlist_mode waitlist;
	/* Its awards are posted in a public notice (公示) of this many
	 * working days before any is paid; 0: no notice is needed. */
	int notice_days;
	uint32_t notice_rule;
	/* The kinds of document (bits of policy_doc_kind_name's index) an
	 * application must hold before approval, and a tranche before it is
	 * paid (`evidence:`); 0: none required. */
	unsigned evidence_approve, evidence_pay;
	/* The screens this measure runs: the program-wide `screens:` with
	 * the measure's own entries in their place. */
	struct policy_screen screens[SCREEN__COUNT];
	/* The plan decide_facts follows, set when the policy is loaded: the
	 * conditions with their forms (nconds of them, NULL without), and
	 * what the base, the rate table and the caps reduce to. plan_fast is
	 * false when a decision could outgrow the trace or the reasons; then
	 * decide_facts takes the plain reading (decide_facts_ref). */
	size_t id_len; /* strlen(id), for policy_find_measure */
	/* The id's first and last eight bytes (policy_find_measure). */
	uint64_t id_head, id_tail;
	struct policy_plan_cond *plan_conds;
	bool plan_fast;
	bool plan_yearly_caps; /* a cap per applicant-year */
	/* Every field an expression of the measure reads (bit id per field
	 * id): the facts decide() builds for it. */
	uint64_t plan_fields;
	/* The base is field plan_base_field alone (-1: not). */
	int32_t plan_base_field;
	/* One row, no condition, a constant rate: plan_rate (-1: not). */
	int64_t plan_rate;
	/* Every cap is per contract, unconditional, not relaxed, not soft,
	 * with a constant limit (plan_cap_limits[i], ncaps of them). */
	bool plan_caps_const;
	money_t *plan_cap_limits;
	/* The conditions (bit k for plan_conds[k]) whose test does not
	 * decide them: their form does (plan_conds[k].test false). */
	uint64_t plan_untested;
	uint64_t plan_all;	/* bit k for every condition k */
	uint64_t plan_or_forms; /* `x == null || ...`: open when x is set */
	/* Every funder's weight is positive: the sum of the weights, by
	 * which each share but the first is one 64-bit division; 0: not
	 * planned (split_funders). */
	int64_t plan_funder_total;
};

#define POLICY_NOTICE_DAYS_MAX 30 /* the longest public notice */

/* The kinds of document evidence is filed as: 0 contract, 1 invoice,
 * 2 receipt, 3 acceptance (its acceptance report). */
#define POLICY_DOC_KINDS 4

/* The name of kind k (0 .. POLICY_DOC_KINDS - 1). */
const char *policy_doc_kind_name(int k);

/* The kind named s (len bytes), or -1. */
int policy_doc_kind_parse(const char *s, size_t len);
#define POLICY_PREFIX_MAX 8
/* The program id and a pool id together, at most: the ledger's account
 * codes ("<program>/<pool>/<year>/awarded/<uscc>") must fit. */
#define POLICY_ACCOUNT_IDS_MAX 80

/* The slots of a policy's measure index: at least twice the most
 * measures a policy holds (64). */
#define POLICY_MEASURE_SLOTS 128
#define POLICY_NO_MEASURE 0xff

struct policy {
	char *path;		     /* as given to policy_load */
	char hash[POLICY_HASH_TEXT]; /* "sha256:<hex of the file's bytes>" */
	char *program, *name, *issuer, *currency;
	/* The office numbers this program's applications PREFIX-YEAR-NNNNNN;
	 * the prefix is unique within an office. */
	char number_prefix[POLICY_PREFIX_MAX + 1];
	struct policy_source *sources;
	size_t nsources;
	/* The program's own text (`published_in:`, a source with a date):
	 * no window, measure or condition reaches before `published`, or
	 * before `retroactive_to` when the text says it reaches back.
	 * published_in is -1 when the policy names none. */
	int published_in;
	qdate published, retroactive_to;
	struct policy_list *lists;
	size_t nlists;
	struct policy_pool *pools;
	size_t npools;
	struct policy_param *params;
	size_t nparams;
	struct policy_measure *measures;
	size_t nmeasures;
	/* A hashed index of the measures' ids (policy_find_measure), set
	 * when the policy loads (measure_indexed): measure_index[h] is the
	 * position of a measure, POLICY_NO_MEASURE when the slot is empty,
	 * the next slot tried on a collision. */
	bool measure_indexed;
	uint8_t measure_index[POLICY_MEASURE_SLOTS];
	struct policy_rule *rules;
	size_t nrules;
	/* The string fields its conditions compare with a literal (bit id per
	 * field id): the keys to compute for a decision (facts_keys). */
	uint64_t string_fields;
	/* Every field an expression of it reads (bit id per field id). */
	uint64_t fields_read;
	/* Epochs: epoch k covers [epoch_from[k], epoch_from[k+1]); epoch 0
	 * starts at the beginning of time. Values in force during epoch k are
	 * epoch_vals[k * nparams + i], null when epoch_null[...] is 1. */
	size_t nepochs;
	qdate *epoch_from;
	int64_t *epoch_vals;
	uint8_t *epoch_null;
};

/* Load and check the policy at path. Every problem goes to d; returns 0,
 * Q_ERR_POLICY (problems in d), Q_ERR_TOO_LARGE or Q_ERR_IO. On success
 * the caller owns *out and frees it with policy_free(). */
int policy_load(const char *path, struct policy **out, struct diag_list *d);

/* Same from a buffer; name stands for the file in diagnostics and in
 * policy->path. The hash is over the buffer's bytes. */
int policy_load_buf(const char *name, const char *buf, size_t len,
		    struct policy **out, struct diag_list *d);

/* The checks an auditor needs beyond a loadable policy, which `quan
 * policy check` runs: every source url leads to an article, not a site's
 * root page (https://host, https://host/, https://host/index.html) and is
 * an http or https address. Each problem goes to d at the url's
 * file:line:column; returns how many there were. */
int policy_check_sources(const struct policy *p, struct diag_list *d);

/* Every rule whose `says` or `assumption` lacks its Chinese (`says_zh`,
 * `assumption_zh`) goes to d as a warning at the rule's file:line:column;
 * returns how many there were. `quan policy check` prints them. */
int policy_check_zh(const struct policy *p, struct diag_list *d);

/* The rule's text in lang ("zh" or anything else for English): the
 * Chinese when the policy gives it, else the English. May be NULL. */
const char *policy_rule_says(const struct policy_rule *r, const char *lang);

void policy_free(struct policy *p);

/* Index of the measure with this id, or -1. */
int policy_find_measure(const struct policy *p, const char *id, size_t len);

/* The parameter values in force on date t. Never fails. */
void policy_params_on(const struct policy *p, qdate t, const int64_t **vals,
		      const uint8_t **nulls);

/* The index of the named supplier list `id`, or -1. */
int policy_find_list(const struct policy *p, const char *id, size_t len);

/* The budget that pays pool `pool`'s fiscal year `year`, or -1 if none:
 * a commitment's whole amount for every year from..until. */
money_t policy_pool_budget(const struct policy *p, uint32_t pool, int year);

/* The fiscal year whose ledger accounts pay pool `pool` in `year`: year
 * itself for a yearly budget, commit_from for every year of a commitment;
 * -1 when the pool has no budget for year. */
int policy_pool_account_year(const struct policy *p, uint32_t pool, int year);

#endif
