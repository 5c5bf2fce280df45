/*
 * expr.h - the condition language.
 *
 * A small, total expression language, modelled on CEL: an expression is
 * parsed, type-checked against the fields of fields.h and the policy's
 * parameters, and compiled to a flat program once, when the policy is
 * loaded. Evaluation then needs no allocation and no name look-up and runs
 * in time linear in the expression (no loops, no calls but the built-ins).
 *
 * Syntax (precedence from low to high):
 *   a || b        a && b        !a
 *   a == b  a != b  a < b  a <= b  a > b  a >= b  a in [x, y, ...]
 *   a + b  a - b          a * b  a / b          -a (int only)
 *   ( e )  min(a, b)  max(a, b)  add_years(date, int)  add_days(date, int)
 *   industry_in(s, ["I63", "C", ...])   s lies within one of the GB/T 4754
 *                        codes (core/industry.h), each checked at compile
 *   supplier_on("list")  the supplier is on the policy's named list
 * Atoms:
 *   true false null
 *   42                   int
 *   1200000.00  5.5      money (a '.' and one or two decimals: yuan)
 *   30%  12.5%           rate
 *   2025-06-13           date
 *   "shanghai"           string (\" and \\ escapes only)
 *   applicant.sme        a field (fields.h)
 *   param.sme_rate       a parameter of the policy
 *
 * Types: bool, int, money, rate, date, string. Arithmetic: money +/- money,
 * money * rate (rounded down to the fen by money_apply_rate), money * int,
 * money / int (rounded down by money_scale), int +-* / int, rate +/- rate,
 * date +/- nothing (use add_days). Comparisons need both sides of one type;
 * == and != also take null on one side against a nullable field, and strings
 * and bools. Ordering comparisons (< <= > >=) with a null field are false.
 * `x in [...]` takes a list of literals of x's type. min/max take two values
 * of one numeric type (int, money, rate, date).
 *
 * Errors at compile time carry a byte offset into the source so the policy
 * loader can print file:line:column.
 */
#ifndef QUAN_EXPR_H
#define QUAN_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/fields.h"

/* Hard limits, so no policy can make evaluation unbounded. */
#define EXPR_MAX_SOURCE 4096 /* bytes of source */
#define EXPR_MAX_DEPTH 64    /* nesting of parentheses and operators */
#define EXPR_MAX_LIST 256    /* items in an `in [...]` list */

/* Status of an evaluation. */
enum expr_status {
	EXPR_OK = 0,
	EXPR_NOT_IN_FORCE, /* a parameter it reads is null on that date */
	EXPR_OVERFLOW,	   /* money or int arithmetic overflowed */
	EXPR_DIV_ZERO,	   /* division by zero */
	/* It reads a named supplier list, and the facts say the lists were
	 * not looked up (struct facts, lists_known). */
	EXPR_LISTS_UNKNOWN,
};

/* How the compiler learns the policy's parameters: lookup returns the
 * parameter's index (>= 0) and sets *type, or returns -1 if there is no
 * parameter of that name. */
struct expr_env {
	int (*param_lookup)(void *ctx, const char *name, size_t len,
			    enum qtype *type);
	/* The index (0..63) of the named supplier list, or -1; may be NULL
	 * (then no list is known). */
	int (*list_lookup)(void *ctx, const char *name, size_t len);
	void *ctx;
};

/* Where and why compilation failed. */
struct expr_error {
	size_t offset; /* byte offset into the source */
	char msg[256]; /* "unknown field 'applicant.sme_flag'" */
};

struct expr; /* opaque, immutable after compile */

/* Compile src (len bytes). want is the type the context needs (QT_BOOL for
 * a condition, QT_RATE for a rate, QT_MONEY for a cap or base), or QT_NONE
 * to accept any. On success *out is a new expression the caller frees with
 * expr_free(). Returns 0, or -1 with *err filled. env may be NULL (then
 * `param.x` is an unknown parameter). */
int expr_compile(const char *src, size_t len, const struct expr_env *env,
		 enum qtype want, struct expr **out, struct expr_error *err);

/* The type of a compiled expression. */
enum qtype expr_type(const struct expr *x);

/* Evaluate x over the facts f and the parameter values in force (params[i]
 * and param_null[i] != 0 when parameter i is null on the decision's date;
 * both may be NULL if the expression reads no parameter). The result goes
 * to *out (bool 0/1, int, fen, bp, qdate); a string-typed expression is
 * not allowed at top level. Returns an enum expr_status. */
int expr_eval(const struct expr *x, const struct facts *f,
	      const int64_t *params, const uint8_t *param_null, int64_t *out);

/* The source text the expression was compiled from (NUL-terminated copy). */
const char *expr_source(const struct expr *x);

/* Whether x is the literal `true` (used to prove table overlaps). */
int expr_is_const_true(const struct expr *x);

/* The canonical form of x (tokens re-joined with single spaces), for
 * comparing two conditions; owned by x. */
const char *expr_canonical(const struct expr *x);

/* The earliest date that x compares the date field `field` with directly
 * (`contract.signed_on >= 2025-06-13`): 1 with *out set, or 0 when x
 * compares it with no date literal. */
int expr_date_floor(const struct expr *x, int field, int64_t *out);

/* The string fields x compares with a literal (bit id per field id), whose
 * keys make those comparisons integer compares (facts_keys). */
uint64_t expr_string_fields(const struct expr *x);

/* Every field x reads, its value or whether it is null (bit id per field
 * id). */
uint64_t expr_fields(const struct expr *x);

/* Fusing: the eligibility conditions of a measure as one program, so that
 * deciding runs them in one call, over the same instructions each was
 * compiled to. At most EXPR_MAX_FUSED conditions. */
#define EXPR_MAX_FUSED 64

/* Fuse xs[0..n) (each QT_BOOL, not itself fused) into *out, which the
 * caller frees with expr_free(); xs must outlive it (it reads their `in`
 * lists and string literals). Returns 0, or -1 (n out of range, out of
 * memory). */
int expr_fuse(const struct expr *const *xs, size_t n, struct expr **out);

/* Evaluate every condition of a fused program, in order: bit k of *pass
 * when condition k holds, of *not_in_force when it reads a parameter null
 * on the date. Returns EXPR_OK, or the first other failure (an enum
 * expr_status) with *bad its condition. */
int expr_eval_fused(const struct expr *x, const struct facts *f,
		    const int64_t *params, const uint8_t *param_null,
		    uint64_t *pass, uint64_t *not_in_force, int *bad);

/* Condition k of a fused program alone, as expr_eval_fused runs it: its
 * value in *out; returns an enum expr_status. */
int expr_eval_cond(const struct expr *x, int k, const struct facts *f,
		   const int64_t *params, const uint8_t *param_null,
		   int64_t *out);

/* The same as expr_eval and expr_eval_cond through the interpreter loop
 * alone, without the one-step forms: the reference the forms are tested
 * against (decide_facts_ref). */
int expr_eval_plain(const struct expr *x, const struct facts *f,
		    const int64_t *params, const uint8_t *param_null,
		    int64_t *out);
int expr_eval_cond_plain(const struct expr *x, int k, const struct facts *f,
			 const int64_t *params, const uint8_t *param_null,
			 int64_t *out);

/* What a program is when a caller can compute it without calling in (the
 * policy's compile step plans each measure with it, and decide_facts
 * runs the plan). */
enum expr_form {
	EXPR_FORM_CODE,	 /* only expr_eval (or expr_eval_cond) knows */
	EXPR_FORM_CONST, /* the value is imm */
	EXPR_FORM_FIELD, /* the value is f->i[field] */
	/* f->i[field] <cmp> imm; cmp 0 ==, 1 !=, 2 <, 3 <=, 4 >, 5 >= */
	EXPR_FORM_CMP,
	/* string field `field` == (cmp 0) or != (cmp 1) the literal str,
	 * whose string key (facts_skey) is key, longer set as there */
	EXPR_FORM_STR,
	/* `field == null || ...`: true when field is null, otherwise what
	 * expr_eval_cond says */
	EXPR_FORM_NULL_OR,
	/* side[0] && side[1] (join_or false) or side[0] || side[1], each
	 * side f->i[field] (cmp -1: a bool field) or f->i[field] <cmp> imm;
	 * neither side can fail, so both may be read */
	EXPR_FORM_JOIN2,
};

struct expr_form_info {
	int form; /* enum expr_form */
	int cmp;
	int field;
	int64_t imm;
	const char *str; /* owned by the expression */
	uint64_t key;
	bool longer;
	bool join_or; /* EXPR_FORM_JOIN2 */
	struct {
		int field, cmp;
		int64_t imm;
	} side[2];
};

/* The form of x (k < 0) or of condition k of fused program x. */
void expr_form_of(const struct expr *x, int k, struct expr_form_info *out);

void expr_free(struct expr *x);

/* ---- over columns (struct of arrays), for the simulator ------------------- */

/* Rows one columnar evaluation takes at most. */
#define EXPR_COLS_MAX 256

/* The facts of up to EXPR_COLS_MAX applications by field: row r of field
 * id is col[id][r], what facts.i[id] (or .s[id], as a pointer) holds for
 * that application; the other members likewise. A column the program does
 * not read may be NULL. The parameters in force are per row (each row's
 * signing date: policy_params_on): params[r], param_null[r]. skey[k] is
 * the column of the string keys of slot k (facts_keys), NULL when unset
 * for every row. */
struct expr_cols {
	const int64_t *col[F__COUNT];
	const uint64_t *null_mask;
	const uint8_t *lists_known;
	const uint64_t *supplier_lists;
	const uint16_t *skey_mask, *skey_long;
	const uint64_t *skey[FACTS_NSKEY];
	const int64_t *const *params;
	const uint8_t *const *param_null;
};

/* Scratch for one columnar evaluation: the value stack of every row and
 * where each row resumes after a jump. About 140 KiB: from the heap. */
struct expr_cols_scratch {
	int64_t st[EXPR_MAX_DEPTH + 1][EXPR_COLS_MAX];
	int32_t resume[EXPR_COLS_MAX];
};

/* expr_eval over rows 0..n) of c (n <= EXPR_COLS_MAX) whose live[r] is
 * set: out[r] and status[r] (an enum expr_status) are what expr_eval gives
 * for that row's facts; rows not live are left as they are. The same
 * instructions as expr_eval, each run over the block before the next. */
void expr_eval_columns(const struct expr *x, const struct expr_cols *c,
		       size_t n, const uint8_t *live, int64_t *out,
		       uint8_t *status, struct expr_cols_scratch *sc);

/* expr_eval_fused over the live rows of c: pass[r], not_in_force[r] as
 * expr_eval_fused sets them; status[r] is EXPR_OK or the first other
 * failure, with bad[r] its condition. */
void expr_eval_fused_columns(const struct expr *x, const struct expr_cols *c,
			     size_t n, const uint8_t *live, uint64_t *pass,
			     uint64_t *not_in_force, uint8_t *status,
			     uint8_t *bad, struct expr_cols_scratch *sc);

#endif
