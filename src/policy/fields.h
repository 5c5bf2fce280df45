/*
 * fields.h - the facts a condition may read, and their types.
 *
 * Conditions in a policy name facts ("applicant.sme", "compute.domestic");
 * names are resolved to a field id when the policy is checked, so deciding an
 * application never looks a name up. struct facts holds one application's
 * values in flat slots indexed by field id; the engine fills it once per
 * decision (engine/facts.h) from the application, the chip catalog and, later,
 * the applicant's history.
 *
 * Derived facts (related_party, compute.domestic, ...) never come from the
 * applicant's word: see the comment on each.
 */
#ifndef QUAN_FIELDS_H
#define QUAN_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum qtype {
	QT_NONE = 0,
	QT_BOOL,   /* 0 or 1 */
	QT_INT,	   /* plain integer */
	QT_MONEY,  /* fen */
	QT_RATE,   /* basis points */
	QT_DATE,   /* qdate, days since 1970-01-01 */
	QT_STRING, /* const char *, in facts.s[] */
	QT_NULL,   /* the literal null, comparable with nullable fields */
	QT__COUNT
};

/* The name of a type as policy authors see it ("money"). */
const char *qtype_name(enum qtype t);

enum field_id {
	F_APPLICANT_USCC,
	F_APPLICANT_NAME,
	F_APPLICANT_REGISTERED_CITY,
	F_APPLICANT_INDUSTRY,
	F_APPLICANT_SME,
	F_APPLICANT_STARTUP,
	F_APPLICANT_REGISTERED_MODEL,
	F_APPLICANT_LAST_BAD_CREDIT_ON, /* date, null when there is no record */
	/* Derived: the value of the applicant's compute contracts (rent, buy,
	 * build) signed in the calendar year of this contract, this one
	 * included. Without a database: this contract alone. */
	F_APPLICANT_COMPUTE_CONTRACTS_YEAR,
	/* Derived: what the applicant has been awarded in this program in the
	 * fiscal year of this contract, before this application. Without a
	 * database: 0. */
	F_APPLICANT_AWARDED_YEAR,
	/* Derived from the first two characters of the applicant's USCC
	 * (core/uscc.h): "enterprise", "individual", "institution", "social"
	 * or "other"; never the applicant's word. */
	F_APPLICANT_KIND,
	F_SUPPLIER_USCC,
	F_SUPPLIER_NAME,
	F_SUPPLIER_PLATFORM_LISTED,
	/* The supplier's qualifications as the application states them:
	 * the compute its centre offers in PFLOPS and the racks of its data
	 * centre, each null when not given. */
	F_SUPPLIER_PFLOPS,
	F_SUPPLIER_RACKS,
	F_CONTRACT_NUMBER,
	F_CONTRACT_KIND,  /* "rent", "buy", ... */
	F_CONTRACT_VALUE, /* money: face value */
	F_CONTRACT_SIGNED_ON,
	F_CONTRACT_TERM_MONTHS,
	F_CONTRACT_USES_REGISTERED_MODEL,
	F_CONTRACT_OTHER_SUBSIDIES_TOTAL, /* money: sum of other_subsidies */
	F_CONTRACT_OTHER_SUBSIDIES_COUNT, /* int */
	/* money: other_subsidies by the level of government that pays them;
	 * entries whose level the application does not give are summed in
	 * ..._UNLEVELED, so a condition can treat them as it must. */
	F_CONTRACT_OTHER_SUBSIDIES_NATIONAL,
	F_CONTRACT_OTHER_SUBSIDIES_PROVINCE,
	F_CONTRACT_OTHER_SUBSIDIES_CITY,
	F_CONTRACT_OTHER_SUBSIDIES_DISTRICT,
	F_CONTRACT_OTHER_SUBSIDIES_UNLEVELED,
	F_COMPUTE_PRESENT, /* bool: the contract has a compute section */
	F_COMPUTE_CHIP,	   /* "" when absent */
	F_COMPUTE_ACCELERATORS,
	F_COMPUTE_HOURS,
	F_COMPUTE_LOCATION, /* "" when absent */
	/* Derived from the chip catalog, never from the applicant. */
	F_COMPUTE_DOMESTIC,
	/* Derived: hours x accelerators x the chip's throughput relative to an
	 * H100, rounded down. */
	F_COMPUTE_H100_HOURS,
	/* Derived: contract.value / compute.h100_hours, in fen, rounded down
	 * (money_scale); null without compute or with no H100-equivalent
	 * hours. */
	F_COMPUTE_PRICE_PER_H100_HOUR,
	/* From the chip catalog: the chip's reference market price per
	 * H100-equivalent hour; null without compute or when the catalog
	 * gives none. */
	F_COMPUTE_REF_PRICE_PER_H100_HOUR,
	/* Derived: applicant and supplier share a USCC or a controller. */
	F_RELATED_PARTY,
	/* The date the office received the application (its calendar, UTC+8). */
	F_RECEIVED_ON,
	F__COUNT
};

/* One application's facts, in flat slots indexed by field id. A field is
 * either a string (read through s[]) or a number (bool, int, money, rate,
 * date: read through i[]), never both, so the two views share storage and a
 * decision reads half the memory. Strings are borrowed from the
 * application, never NULL ("" when absent); null_mask has bit (1 << id) set
 * for a field whose value is null. received_at and kind are not fields:
 * the engine reads them for the window and kind checks.
 *
 * supplier_lists has bit k set when the supplier is on the policy's named
 * list k (policy.lists), as the office's imported lists say; it means
 * something only when lists_known is set, since only the office can look
 * the lists up (screen_supplier_lists). A condition that reads a list
 * while the lists are not known cannot be decided (EXPR_LISTS_UNKNOWN). */
/* String keys: a condition `field == "literal"` compares integers, not
 * bytes. The key of a string is its first FACTS_SKEY_BYTES bytes, zero
 * padded, and a bit that says whether it is longer; two strings of at most
 * that many bytes are equal exactly when their keys are, and longer ones
 * compare the rest only when their keys agree. Keys are computed once per
 * application (facts_keys), for the string fields a policy compares
 * (policy->string_fields), into the slot facts_skey_slot gives. */
#define FACTS_SKEY_BYTES 8
#define FACTS_NSKEY 11 /* string fields */

struct facts {
	union {
		int64_t i[F__COUNT];
		const char *s[F__COUNT];
	};
	uint64_t null_mask;
	int64_t received_at; /* epoch seconds, for the window check */
	int32_t kind;	     /* enum contract_kind of the contract */
	bool lists_known;
	uint64_t supplier_lists;
	/* skey[k] is the key of the string field in slot k when bit k of
	 * skey_mask is set (otherwise unset, and strcmp decides); bit k of
	 * skey_long when that string is longer than its key. */
	uint16_t skey_mask, skey_long;
	uint64_t skey[FACTS_NSKEY];
};

/* The key slot of string field id (0 .. FACTS_NSKEY - 1), or -1 for a
 * field that is not a string. */
static inline int facts_skey_slot(int id)
{
	switch (id) {
	case F_APPLICANT_USCC:
		return 0;
	case F_APPLICANT_NAME:
		return 1;
	case F_APPLICANT_REGISTERED_CITY:
		return 2;
	case F_APPLICANT_INDUSTRY:
		return 3;
	case F_APPLICANT_KIND:
		return 4;
	case F_SUPPLIER_USCC:
		return 5;
	case F_SUPPLIER_NAME:
		return 6;
	case F_CONTRACT_NUMBER:
		return 7;
	case F_CONTRACT_KIND:
		return 8;
	case F_COMPUTE_CHIP:
		return 9;
	case F_COMPUTE_LOCATION:
		return 10;
	default:
		return -1;
	}
}

/* The key of s (NUL-terminated); *longer set when s has more than
 * FACTS_SKEY_BYTES bytes. */
static inline uint64_t facts_skey(const char *s, bool *longer)
{
	uint64_t k = 0;
	int i;

	for (i = 0; i < FACTS_SKEY_BYTES && s[i]; i++)
		k |= (uint64_t)(unsigned char)s[i] << (8 * i);
	*longer = i == FACTS_SKEY_BYTES && s[i] != '\0';
	return k;
}

/* Compute the keys of the string fields in mask (bit id per field id, as
 * policy->string_fields) on facts whose strings are set; the keys of the
 * other fields are dropped. */
void facts_keys(struct facts *f, uint64_t mask);

_Static_assert(sizeof(const char *) <= sizeof(int64_t),
	       "a string slot must fit in a number slot");
_Static_assert(F__COUNT <= 64, "null_mask has one bit per field");

struct field_info {
	const char *name; /* "applicant.sme" */
	enum qtype type;
	bool nullable;
	const char *doc; /* one line for `quan policy fields` and errors */
};

/* The table of every field, indexed by enum field_id. */
extern const struct field_info field_table[F__COUNT];

/* For a string field that takes only some values (applicant.kind,
 * contract.kind): those values, NULL-terminated, so that a condition
 * comparing it with any other literal is refused when the policy is
 * loaded. NULL for any other field. */
const char *const *field_values(int id);

/* Resolve a dotted name (len bytes); returns the id or -1. */
int field_lookup(const char *name, size_t len);

#endif
