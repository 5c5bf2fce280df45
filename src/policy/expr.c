/*
 * expr.c - the condition language: lexer, parser, type checker and a small
 * stack machine.
 *
 * Compilation runs in three steps over bounded arrays sized from the source
 * length: the lexer turns the source into tokens (each at least one byte,
 * so at most len + 1 of them), the recursive-descent parser builds an AST
 * and type-checks every node as it is made, and the code generator walks
 * the AST once and writes postfix instructions. Evaluation is a switch loop
 * over those instructions with a fixed int64 stack: no allocation, no name
 * look-up, every jump forward, so time is linear in the program.
 *
 * Nulls: only a nullable field can be null. A comparison whose operands read
 * a nullable field starts with a guard that tests the fields' null bits at
 * once and, if any is set, pushes the comparison's null result (false, or
 * true for !=) and jumps past it, so null values never reach arithmetic.
 * Anything else that would see a possibly null value (&&, ||, !, the top
 * level) is a compile error that asks for an explicit `x == null`.
 */
#include "policy/expr.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/date.h"
#include "core/industry.h"
#include "core/money.h"

_Static_assert(F__COUNT <= 64, "null_mask holds one bit per field");

/* A chain like `a + b + c + ...` nests to the left; its height bounds the
 * code generator's recursion, so it is limited too. */
#define EXPR_MAX_HEIGHT 512

/* Quote at most this many bytes of a token in an error. */
#define QUOTE_MAX 40

/* qdate of 1900-01-01 and 2200-12-31: the range date.h can represent and
 * the range add_days and add_years must stay within. */
#define DATE_LO (-25567)
#define DATE_HI 84370

/* ---- tokens --------------------------------------------------------------- */

enum tok_kind {
	T_END,
	T_INT,
	T_MONEY,
	T_RATE,
	T_DATE,
	T_STRING,
	T_IDENT,
	T_TRUE,
	T_FALSE,
	T_NULL,
	T_IN,
	T_LPAREN,
	T_RPAREN,
	T_LBRACK,
	T_RBRACK,
	T_COMMA,
	T_OR,
	T_AND,
	T_NOT,
	T_EQ,
	T_NE,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
	T_PLUS,
	T_MINUS,
	T_STAR,
	T_SLASH,
};

/* One token: where it is in the source and, for a literal, its value (a
 * string's value is its offset in the expression's string pool). */
struct token {
	enum tok_kind kind;
	uint32_t off;
	uint32_t len;
	int64_t val;
};

/* ---- the program ---------------------------------------------------------- */

enum op {
	OP_END,
	OP_PUSH,    /* imm */
	OP_FIELD,   /* f->i[a] */
	OP_FIELD_S, /* f->s[a] as a pointer */
	OP_PARAM,   /* params[a], or not in force */
	OP_ISNULL,  /* bit a of null_mask */
	OP_NOTNULL,
	OP_JNULL,  /* if null_mask & imm: push b, jump to a */
	OP_JFALSE, /* if top is 0 jump to a (keeping it), else pop */
	OP_JTRUE,  /* if top is not 0 jump to a (keeping it), else pop */
	OP_NOT,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_SEQ, /* strcmp of two string pointers */
	OP_SNE,
	/* field <op> constant, the commonest comparison, in one step; the
	 * order follows T_EQ .. T_GE. */
	OP_FEQK,
	OP_FNEK,
	OP_FLTK,
	OP_FLEK,
	OP_FGTK,
	OP_FGEK,
	OP_FSEQK, /* strcmp(f->s[a], imm) == 0 */
	OP_FSNEK,
	OP_IN,	/* top in pool[a .. a + imm) */
	OP_SIN, /* the same, of strings */
	OP_NEG, /* int */
	OP_ADD, /* int or rate, checked */
	OP_SUB,
	OP_MUL,
	OP_DIV,	  /* int, rounded down */
	OP_MADD,  /* money_add */
	OP_MSUB,  /* money_sub */
	OP_MMULI, /* money x int, either order */
	OP_MMULR, /* money x rate, either order, rounded down */
	OP_MDIVI, /* money / int, rounded down */
	OP_MIN,
	OP_MAX,
	OP_ADD_DAYS,
	OP_ADD_YEARS,
	OP_INDUSTRY_IN, /* top within one of pool[a .. a + imm) */
	OP_SUPPLIER_ON, /* bit a of the supplier's lists */
	/* Only in a fused program (expr_fuse): the end of condition a, whose
	 * value is on top of the stack; the next one starts after it. */
	OP_COND,
};

/* One instruction; a is a field, parameter, jump target or pool index.
 * OP_FSEQK and OP_FSNEK also carry the literal's string key (facts_skey)
 * in key and, in b, whether the literal is longer than a key holds; in a
 * fused program the list ops carry their own program's pool in key. */
struct insn {
	uint8_t op;
	uint8_t b;
	int32_t a;
	int64_t imm;
	uint64_t key;
};

/* What a program is when it is one step: its value without a loop. The
 * same shapes name how expr_eval_fused runs each condition of a fused
 * program (struct expr, cshape). */
enum expr_shape {
	SHAPE_CODE,  /* run the code */
	SHAPE_CONST, /* OP_PUSH: the value is imm */
	SHAPE_FIELD, /* OP_FIELD: the value is f->i[a] */
	SHAPE_FCMPK, /* OP_FEQK .. OP_FGEK: f->i[a] <op> imm */
	SHAPE_FSEQK, /* OP_FSEQK, OP_FSNEK: a string field and a literal */
	/* `x == null || rest` (OP_ISNULL, then OP_JTRUE to the end): true
	 * when x is null, else rest, run from the third instruction. */
	SHAPE_NULL_OR,
	/* `a && b` or `a || b` (OP_JFALSE or OP_JTRUE to the end between
	 * them), a and b each one OP_FIELD or one of OP_FEQK .. OP_FGEK:
	 * both read without the loop (neither can fail), joined as the jump
	 * joins them. */
	SHAPE_JOIN2,
	/* `a * min(t, K) / t`, a money field and t an int field (OP_FIELD a,
	 * OP_FIELD t, OP_PUSH K, OP_MIN, OP_MMULI, OP_FIELD t, OP_MDIVI): the
	 * base pro rata over the first K months of a term. Read without the
	 * loop when a >= 0, t > 0 and K >= 0, where the floor is the
	 * quotient; otherwise run. */
	SHAPE_PRORATA,
};

struct expr {
	enum qtype type;
	uint8_t shape; /* enum expr_shape */
	bool const_true;
	int ncond;		   /* fused: the conditions it holds */
	const struct insn **start; /* fused: where condition k begins */
	uint8_t *cshape;	   /* fused: condition k's enum expr_shape */
	int max_stack;
	struct insn *code;
	int64_t *pool; /* `in` list items; strings as pointers into strs */
	char *strs;    /* decoded string literals, each NUL-terminated */
	char *source;
	char *canonical;
};

/* ---- the AST -------------------------------------------------------------- */

enum node_kind {
	N_LIT,
	N_FIELD,
	N_PARAM,
	N_UNARY,
	N_BINARY,
	N_IN,
	N_CALL,
	N_INDUSTRY, /* industry_in(l, [pool a .. a + n)) */
	N_LIST,	    /* supplier_on: list a */
};

enum builtin {
	B_MIN,
	B_MAX,
	B_ADD_YEARS,
	B_ADD_DAYS,
	B_INDUSTRY_IN,
	B_SUPPLIER_ON,
	B__COUNT
};

static const char *const builtin_names[B__COUNT] = {
	"min", "max", "add_years", "add_days", "industry_in", "supplier_on"};

/* One node. A node's type is known when it is made; nullmask has the bits
 * of the nullable fields its value may come from (0 once a comparison has
 * tested them). */
struct node {
	uint8_t kind;
	uint8_t type;
	uint8_t op;   /* enum tok_kind of an operator, enum builtin of a call */
	bool int_lit; /* a plain int literal, for hints */
	int32_t a;    /* field, parameter, or first pool index of a list */
	int32_t n;    /* items of a list */
	int32_t l, r; /* children, -1 when absent */
	int32_t height;	 /* 1 for a leaf */
	uint32_t off;	 /* first byte of the node */
	uint32_t op_off; /* its operator */
	uint32_t tok;	 /* its literal's token */
	uint64_t nullmask;
	int64_t val;
};

struct parser {
	const char *src;
	size_t len;
	struct token *tok;
	size_t ntok;
	size_t pos;
	struct node *nodes;
	size_t nnodes;
	size_t capnodes;
	int64_t *pool;
	size_t npool;
	size_t cappool;
	char *strs;
	size_t nstrs;
	const struct expr_env *env;
	struct expr_error *err;
	int depth;
};

static int fail(struct parser *p, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first error; every later one is a consequence of it. */
static int fail(struct parser *p, size_t off, const char *fmt, ...)
{
	va_list ap;

	p->err->offset = off;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- lexer ---------------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident(char c)
{
	return is_ident_start(c) || is_digit(c);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The message of a core parser without its "x: " prefix. */
static const char *core_msg(const struct qerr *e)
{
	return strncmp(e->msg, "x: ", 3) == 0 ? e->msg + 3 : e->msg;
}

/* A number: int 42, money 5.5, rate 12.5%, or date 2025-06-13. */
static int lex_number(struct parser *p, size_t i, struct token *t)
{
	const char *s = p->src;
	size_t j = i;
	struct qerr e;

	while (j < p->len && is_digit(s[j]))
		j++;
	if (j - i == 4 && j + 1 < p->len && s[j] == '-' && is_digit(s[j + 1])) {
		qdate d;

		while (j < p->len && (is_digit(s[j]) || s[j] == '-'))
			j++;
		if (date_parse(s + i, j - i, &d, "x", &e))
			return fail(p, i, "invalid date: %s", core_msg(&e));
		t->kind = T_DATE;
		t->val = d;
		t->len = (uint32_t)(j - i);
		return 0;
	}
	t->kind = T_INT;
	if (j < p->len && s[j] == '.') {
		t->kind = T_MONEY;
		for (j++; j < p->len && is_digit(s[j]); j++)
			;
	}
	if (j < p->len && s[j] == '%') {
		t->kind = T_RATE;
		j++;
	}
	if (j < p->len && (is_ident(s[j]) || s[j] == '.' || s[j] == '%')) {
		while (j < p->len && (is_ident(s[j]) || s[j] == '.'))
			j++;
		return fail(p, i, "malformed number '%.*s%s'",
			    (int)(j - i > QUOTE_MAX ? QUOTE_MAX : j - i), s + i,
			    j - i > QUOTE_MAX ? "..." : "");
	}
	t->len = (uint32_t)(j - i);
	if (t->kind == T_RATE) {
		rate_bp r;

		if (rate_parse(s + i, j - i, &r, "x", &e))
			return fail(p, i, "invalid rate: %s", core_msg(&e));
		t->val = r;
	} else if (t->kind == T_MONEY) {
		money_t m;

		if (money_parse(s + i, j - i, &m, "x", &e))
			return fail(p, i, "invalid money: %s", core_msg(&e));
		t->val = m;
	} else {
		int64_t v = 0;

		for (size_t k = i; k < j; k++)
			if (__builtin_mul_overflow(v, 10, &v) ||
			    __builtin_add_overflow(v, s[k] - '0', &v))
				return fail(
					p, i, "integer '%.*s%s' is too large",
					(int)(j - i > QUOTE_MAX ? QUOTE_MAX
								: j - i),
					s + i, j - i > QUOTE_MAX ? "..." : "");
		t->val = v;
	}
	return 0;
}

/* A string: its decoded bytes go to the pool, NUL-terminated. */
static int lex_string(struct parser *p, size_t i, struct token *t)
{
	size_t j = i + 1;

	t->kind = T_STRING;
	t->val = (int64_t)p->nstrs;
	for (;;) {
		char c;

		if (j >= p->len)
			return fail(p, i, "unterminated string");
		c = p->src[j];
		if (c == '"')
			break;
		if (c == '\0')
			return fail(p, j, "NUL byte in a string");
		if (c == '\\') {
			if (j + 1 < p->len &&
			    (p->src[j + 1] == '"' || p->src[j + 1] == '\\')) {
				c = p->src[j + 1];
				j++;
			} else {
				return fail(
					p, j,
					"unknown escape in a string: only \\\" and \\\\ are allowed");
			}
		}
		p->strs[p->nstrs++] = c;
		j++;
	}
	p->strs[p->nstrs++] = '\0';
	t->len = (uint32_t)(j + 1 - i);
	return 0;
}

static const struct {
	const char *text;
	enum tok_kind kind;
} keywords[] = {
	{"true", T_TRUE},
	{"false", T_FALSE},
	{"null", T_NULL},
	{"in", T_IN},
};

/* An identifier: letters, digits and '_', with dots between the parts. */
static void lex_ident(struct parser *p, size_t i, struct token *t)
{
	size_t j = i;

	for (;;) {
		while (j < p->len && is_ident(p->src[j]))
			j++;
		if (j + 1 < p->len && p->src[j] == '.' &&
		    is_ident_start(p->src[j + 1]))
			j++;
		else
			break;
	}
	t->kind = T_IDENT;
	t->len = (uint32_t)(j - i);
	for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
		if (strlen(keywords[k].text) == t->len &&
		    memcmp(keywords[k].text, p->src + i, t->len) == 0)
			t->kind = keywords[k].kind;
}

/* The operator at s[i]: its kind and length, or 0. */
static size_t lex_op(const char *s, size_t i, size_t len, enum tok_kind *k)
{
	char c = s[i];
	char d = i + 1 < len ? s[i + 1] : '\0';

	switch (c) {
	case '(':
		*k = T_LPAREN;
		return 1;
	case ')':
		*k = T_RPAREN;
		return 1;
	case '[':
		*k = T_LBRACK;
		return 1;
	case ']':
		*k = T_RBRACK;
		return 1;
	case ',':
		*k = T_COMMA;
		return 1;
	case '+':
		*k = T_PLUS;
		return 1;
	case '-':
		*k = T_MINUS;
		return 1;
	case '*':
		*k = T_STAR;
		return 1;
	case '/':
		*k = T_SLASH;
		return 1;
	case '|':
		*k = T_OR;
		return d == '|' ? 2 : 0;
	case '&':
		*k = T_AND;
		return d == '&' ? 2 : 0;
	case '=':
		*k = T_EQ;
		return d == '=' ? 2 : 0;
	case '!':
		*k = d == '=' ? T_NE : T_NOT;
		return d == '=' ? 2 : 1;
	case '<':
		*k = d == '=' ? T_LE : T_LT;
		return d == '=' ? 2 : 1;
	case '>':
		*k = d == '=' ? T_GE : T_GT;
		return d == '=' ? 2 : 1;
	default:
		return 0;
	}
}

static int lex(struct parser *p)
{
	size_t i = 0;

	for (;;) {
		struct token *t;
		enum tok_kind k;
		size_t n;
		char c;

		while (i < p->len && is_space(p->src[i]))
			i++;
		assert(p->ntok <= p->len);
		t = &p->tok[p->ntok++];
		memset(t, 0, sizeof(*t));
		t->off = (uint32_t)i;
		if (i >= p->len) {
			t->kind = T_END;
			return 0;
		}
		c = p->src[i];
		if (is_digit(c)) {
			if (lex_number(p, i, t))
				return -1;
		} else if (c == '"') {
			if (lex_string(p, i, t))
				return -1;
		} else if (is_ident_start(c)) {
			lex_ident(p, i, t);
		} else if ((n = lex_op(p->src, i, p->len, &k)) > 0) {
			t->kind = k;
			t->len = (uint32_t)n;
		} else if (c == '=') {
			return fail(p, i, "unexpected '=': compare with '=='");
		} else if (c == '&') {
			return fail(p, i,
				    "unexpected '&': 'and' is written '&&'");
		} else if (c == '|') {
			return fail(p, i,
				    "unexpected '|': 'or' is written '||'");
		} else if (c > 0x20 && c < 0x7f) {
			return fail(p, i, "unexpected character '%c'", c);
		} else {
			return fail(p, i, "unexpected byte 0x%02x",
				    (unsigned)(unsigned char)c);
		}
		i += t->len;
	}
}

/* ---- parser --------------------------------------------------------------- */

static const struct token *peek(const struct parser *p)
{
	return &p->tok[p->pos];
}

static const struct token *next(struct parser *p)
{
	const struct token *t = &p->tok[p->pos];

	if (t->kind != T_END)
		p->pos++;
	return t;
}

/* How an error names a token: quoted source text, or "the end". */
static void tok_quote(const struct parser *p, const struct token *t, char *buf,
		      size_t size)
{
	if (t->kind == T_END)
		snprintf(buf, size, "the end of the expression");
	else
		snprintf(buf, size, "'%.*s%s'",
			 (int)(t->len > QUOTE_MAX ? QUOTE_MAX : t->len),
			 p->src + t->off, t->len > QUOTE_MAX ? "..." : "");
}

static int new_node(struct parser *p, enum node_kind kind, enum qtype type,
		    uint32_t off)
{
	struct node *n;

	assert(p->nnodes < p->capnodes);
	n = &p->nodes[p->nnodes];
	memset(n, 0, sizeof(*n));
	n->kind = (uint8_t)kind;
	n->type = (uint8_t)type;
	n->off = off;
	n->l = -1;
	n->r = -1;
	n->height = 1;
	return (int)p->nnodes++;
}

/* Make an inner node over l and r (r may be -1); checks its height. */
static int new_inner(struct parser *p, enum node_kind kind, enum qtype type,
		     int l, int r, uint32_t op_off, int op)
{
	int h = p->nodes[l].height;
	int id;

	if (r >= 0 && p->nodes[r].height > h)
		h = p->nodes[r].height;
	if (h + 1 > EXPR_MAX_HEIGHT)
		return fail(
			p, op_off,
			"expression too long: more than %d operators in a chain",
			EXPR_MAX_HEIGHT);
	id = new_node(p, kind, type, p->nodes[l].off);
	p->nodes[id].l = l;
	p->nodes[id].r = r;
	p->nodes[id].op_off = op_off;
	p->nodes[id].op = (uint8_t)op;
	p->nodes[id].height = h + 1;
	p->nodes[id].nullmask =
		p->nodes[l].nullmask | (r >= 0 ? p->nodes[r].nullmask : 0);
	return id;
}

static const char *nullable_name(uint64_t mask)
{
	return field_table[__builtin_ctzll(mask)].name;
}

/* A value that may be null cannot be used where a plain value is needed. */
static int check_not_null(struct parser *p, int id)
{
	const struct node *n = &p->nodes[id];

	if (n->nullmask)
		return fail(
			p, n->off,
			"'%s' may be null here: test it with '%s == null' first",
			nullable_name(n->nullmask), nullable_name(n->nullmask));
	return 0;
}

static int check_bool(struct parser *p, int id, const char *op)
{
	const struct node *n = &p->nodes[id];

	if (n->type != QT_BOOL)
		return fail(p, n->off, "'%s' needs bool operands, got %s", op,
			    qtype_name(n->type));
	return check_not_null(p, id);
}

/* A hint for an int literal where money or a rate was meant. */
static void int_hint(const struct parser *p, const struct node *lit,
		     enum qtype want, char *buf, size_t size)
{
	const struct token *t = &p->tok[lit->tok];
	int n = (int)(t->len > QUOTE_MAX ? QUOTE_MAX : t->len);

	/* No hint for -5: money and rate literals have no sign. */
	buf[0] = '\0';
	if (!lit->int_lit || lit->val < 0)
		return;
	if (want == QT_MONEY)
		snprintf(buf, size, ": write the amount as %.*s.00", n,
			 p->src + t->off);
	else if (want == QT_RATE)
		snprintf(buf, size, ": write the rate as %.*s%%", n,
			 p->src + t->off);
}

/* The hint for a pair of operand types where one is an int literal. */
static void pair_hint(const struct parser *p, int l, int r, char *buf,
		      size_t size)
{
	const struct node *a = &p->nodes[l];
	const struct node *b = &p->nodes[r];

	buf[0] = '\0';
	if (a->int_lit && b->type != QT_INT)
		int_hint(p, a, b->type, buf, size);
	else if (b->int_lit && a->type != QT_INT)
		int_hint(p, b, a->type, buf, size);
}

static int parse_or(struct parser *p);
static int parse_industry_in(struct parser *p, const struct token *name);
static int parse_supplier_on(struct parser *p, const struct token *name);

static int enter(struct parser *p)
{
	if (++p->depth > EXPR_MAX_DEPTH)
		return fail(
			p, peek(p)->off,
			"expression nested too deeply (more than %d levels)",
			EXPR_MAX_DEPTH);
	return 0;
}

static bool is_numeric(enum qtype t)
{
	return t == QT_INT || t == QT_MONEY || t == QT_RATE || t == QT_DATE;
}

/* min(a, b), max(a, b), add_years(d, n), add_days(d, n). */
static int parse_call(struct parser *p, const struct token *name,
		      enum builtin b)
{
	const char *fn = builtin_names[b];
	char hint[96];
	int l, r, id;
	enum qtype lt, rt, type;

	if (peek(p)->kind != T_LPAREN)
		return fail(p, peek(p)->off, "expected '(' after '%s'", fn);
	next(p);
	l = parse_or(p);
	if (l < 0)
		return -1;
	if (peek(p)->kind != T_COMMA)
		return fail(p, peek(p)->off,
			    "expected ',' after the first argument of '%s'",
			    fn);
	next(p);
	r = parse_or(p);
	if (r < 0)
		return -1;
	if (peek(p)->kind != T_RPAREN)
		return fail(p, peek(p)->off,
			    "expected ')' after arguments of '%s'", fn);
	next(p);
	lt = (enum qtype)p->nodes[l].type;
	rt = (enum qtype)p->nodes[r].type;
	if (b == B_MIN || b == B_MAX) {
		if (!is_numeric(lt))
			return fail(p, p->nodes[l].off,
				    "'%s' needs numbers or dates, got %s", fn,
				    qtype_name(lt));
		if (lt != rt) {
			pair_hint(p, l, r, hint, sizeof(hint));
			return fail(
				p, p->nodes[r].off,
				"'%s' needs two values of one type, got %s and %s%s",
				fn, qtype_name(lt), qtype_name(rt), hint);
		}
		type = lt;
	} else {
		if (lt != QT_DATE)
			return fail(p, p->nodes[l].off,
				    "'%s' needs a date first, got %s", fn,
				    qtype_name(lt));
		if (rt != QT_INT)
			return fail(
				p, p->nodes[r].off,
				"'%s' needs an int number of %s second, got %s",
				fn, b == B_ADD_DAYS ? "days" : "years",
				qtype_name(rt));
		type = QT_DATE;
	}
	id = new_inner(p, N_CALL, type, l, r, name->off, b);
	if (id >= 0)
		p->nodes[id].off = name->off;
	return id;
}

/* A field or param.NAME. */
static int parse_name(struct parser *p, const struct token *t)
{
	const char *s = p->src + t->off;
	int id, f;

	if (t->len > 6 && memcmp(s, "param.", 6) == 0) {
		enum qtype type = QT_NONE;
		int ix = -1;

		if (p->env && p->env->param_lookup)
			ix = p->env->param_lookup(p->env->ctx, s + 6,
						  t->len - 6, &type);
		if (ix < 0)
			return fail(p, t->off, "unknown parameter '%.*s'",
				    (int)t->len, s);
		if (type != QT_BOOL && !is_numeric(type))
			return fail(
				p, t->off,
				"parameter '%.*s' has a type expressions cannot use (%s)",
				(int)t->len, s, qtype_name(type));
		id = new_node(p, N_PARAM, type, t->off);
		p->nodes[id].a = ix;
		return id;
	}
	f = field_lookup(s, t->len);
	if (f < 0)
		return fail(p, t->off, "unknown field '%.*s%s'",
			    (int)(t->len > 80 ? 80 : t->len), s,
			    t->len > 80 ? "..." : "");
	id = new_node(p, N_FIELD, field_table[f].type, t->off);
	p->nodes[id].a = f;
	if (field_table[f].nullable)
		p->nodes[id].nullmask = 1ull << f;
	return id;
}

static enum qtype literal_type(enum tok_kind k)
{
	switch (k) {
	case T_INT:
		return QT_INT;
	case T_MONEY:
		return QT_MONEY;
	case T_RATE:
		return QT_RATE;
	case T_DATE:
		return QT_DATE;
	case T_STRING:
		return QT_STRING;
	case T_TRUE:
	case T_FALSE:
		return QT_BOOL;
	case T_NULL:
		return QT_NULL;
	default:
		return QT_NONE;
	}
}

/* A string literal compared with a field that takes only some values must
 * be one of them, so that a misspelt "entreprise" is refused at load rather
 * than never matching. */
static int check_enum(struct parser *p, const struct node *f, uint32_t off,
		      const char *lit)
{
	const char *const *all = f->kind == N_FIELD ? field_values(f->a) : NULL;
	const char *const *v;
	char list[160];
	size_t used = 0;

	if (!all)
		return 0;
	for (v = all; *v; v++)
		if (!strcmp(*v, lit))
			return 0;
	list[0] = '\0';
	for (v = all; *v && used < sizeof(list); v++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s\"%s\"",
				 v == all ? "" : ", ", *v);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return fail(p, off, "'%s' is never \"%.*s\": it is one of %s",
		    field_table[f->a].name, QUOTE_MAX, lit, list);
}

/* industry_in(s, ["I63", "C", ...]): s lies within one of the codes. Each
 * code must be a GB/T 4754 code, checked here. */
static int parse_industry_in(struct parser *p, const struct token *name)
{
	size_t start = p->npool;
	char q[64];
	int l, id;

	if (peek(p)->kind != T_LPAREN)
		return fail(p, peek(p)->off,
			    "expected '(' after 'industry_in'");
	next(p);
	l = parse_or(p);
	if (l < 0)
		return -1;
	if (p->nodes[l].type != QT_STRING)
		return fail(p, p->nodes[l].off,
			    "'industry_in' needs a string first, got %s",
			    qtype_name(p->nodes[l].type));
	if (peek(p)->kind != T_COMMA)
		return fail(
			p, peek(p)->off,
			"expected ',' after the first argument of 'industry_in'");
	next(p);
	if (peek(p)->kind != T_LBRACK)
		return fail(
			p, peek(p)->off,
			"'industry_in' needs a list of codes, as [\"I65\", \"C\"]");
	next(p);
	for (;;) {
		const struct token *t = next(p);
		const char *code;
		struct qerr e;

		if (t->kind != T_STRING) {
			tok_quote(p, t, q, sizeof(q));
			return fail(
				p, t->off,
				"expected an industry code in quotes, as \"I65\", got %s",
				q);
		}
		code = p->strs + t->val;
		if (industry_check(code, strlen(code), "x", &e))
			return fail(p, t->off, "%s", core_msg(&e));
		if (p->npool - start >= EXPR_MAX_LIST)
			return fail(p, t->off, "more than %d items in a list",
				    EXPR_MAX_LIST);
		assert(p->npool < p->cappool);
		p->pool[p->npool++] = (int64_t)(intptr_t)code;
		t = next(p);
		if (t->kind == T_RBRACK)
			break;
		if (t->kind != T_COMMA) {
			tok_quote(p, t, q, sizeof(q));
			return fail(p, t->off,
				    "expected ',' or ']' in the list, got %s",
				    q);
		}
	}
	if (peek(p)->kind != T_RPAREN)
		return fail(p, peek(p)->off,
			    "expected ')' after the list of 'industry_in'");
	next(p);
	id = new_inner(p, N_INDUSTRY, QT_BOOL, l, -1, name->off, B_INDUSTRY_IN);
	if (id >= 0) {
		p->nodes[id].off = name->off;
		p->nodes[id].a = (int32_t)start;
		p->nodes[id].n = (int32_t)(p->npool - start);
	}
	return id;
}

/* supplier_on("list"): a list the policy declares. */
static int parse_supplier_on(struct parser *p, const struct token *name)
{
	const struct token *t;
	const char *list;
	int ix = -1, id;

	if (next(p)->kind != T_LPAREN)
		return fail(p, name->off, "expected '(' after 'supplier_on'");
	t = next(p);
	if (t->kind != T_STRING)
		return fail(p, t->off,
			    "'supplier_on' needs a list's id in quotes");
	list = p->strs + t->val;
	if (p->env && p->env->list_lookup)
		ix = p->env->list_lookup(p->env->ctx, list, strlen(list));
	if (ix < 0 || ix >= 64)
		return fail(
			p, t->off,
			"unknown supplier list \"%.*s\": declare it under 'lists'",
			QUOTE_MAX, list);
	if (next(p)->kind != T_RPAREN)
		return fail(p, t->off + t->len,
			    "expected ')' after the list of 'supplier_on'");
	id = new_node(p, N_LIST, QT_BOOL, name->off);
	p->nodes[id].a = ix;
	return id;
}

static int parse_primary(struct parser *p)
{
	const struct token *t = next(p);
	enum qtype lt = literal_type(t->kind);
	char q[64];
	int id;

	if (lt != QT_NONE) {
		id = new_node(p, N_LIT, lt, t->off);
		p->nodes[id].tok = (uint32_t)(t - p->tok);
		p->nodes[id].int_lit = t->kind == T_INT;
		p->nodes[id].val = t->kind == T_TRUE ? 1 : t->val;
		return id;
	}
	if (t->kind == T_LPAREN) {
		id = parse_or(p);
		if (id < 0)
			return -1;
		if (peek(p)->kind != T_RPAREN) {
			tok_quote(p, peek(p), q, sizeof(q));
			return fail(
				p, peek(p)->off,
				"expected ')' to close the '(' at offset %u, got %s",
				t->off, q);
		}
		next(p);
		/* A parenthesised literal is no longer a bare literal. */
		p->nodes[id].int_lit = false;
		return id;
	}
	if (t->kind == T_IDENT) {
		for (int b = 0; b < B__COUNT; b++) {
			if (strlen(builtin_names[b]) != t->len ||
			    memcmp(builtin_names[b], p->src + t->off, t->len))
				continue;
			if (b == B_INDUSTRY_IN)
				return parse_industry_in(p, t);
			if (b == B_SUPPLIER_ON)
				return parse_supplier_on(p, t);
			return parse_call(p, t, (enum builtin)b);
		}
		return parse_name(p, t);
	}
	if (t->kind == T_END)
		return fail(
			p, t->off,
			"unexpected end of the expression: expected a value");
	tok_quote(p, t, q, sizeof(q));
	return fail(p, t->off, "expected a value, got %s", q);
}

static int parse_unary(struct parser *p)
{
	const struct token *t = peek(p);
	int e, id;

	if (t->kind != T_MINUS)
		return parse_primary(p);
	next(p);
	/* -42 is a literal, so that `in [-1, 2]` and hints work. */
	if (peek(p)->kind == T_INT) {
		id = parse_primary(p);
		p->nodes[id].val = -p->nodes[id].val;
		p->nodes[id].off = t->off;
		return id;
	}
	if (enter(p))
		return -1;
	e = parse_unary(p);
	if (e < 0)
		return -1;
	p->depth--;
	if (p->nodes[e].type != QT_INT)
		return fail(p, t->off, "'-' needs an int operand, got %s",
			    qtype_name(p->nodes[e].type));
	id = new_inner(p, N_UNARY, QT_INT, e, -1, t->off, T_MINUS);
	if (id >= 0)
		p->nodes[id].off = t->off;
	return id;
}

/* The type of l op r for + - * /, or QT_NONE. */
static enum qtype arith_type(enum tok_kind op, enum qtype l, enum qtype r)
{
	switch (op) {
	case T_PLUS:
	case T_MINUS:
		if (l == r && (l == QT_INT || l == QT_MONEY || l == QT_RATE))
			return l;
		return QT_NONE;
	case T_STAR:
		if (l == QT_INT && r == QT_INT)
			return QT_INT;
		if ((l == QT_MONEY && (r == QT_INT || r == QT_RATE)) ||
		    (r == QT_MONEY && (l == QT_INT || l == QT_RATE)))
			return QT_MONEY;
		return QT_NONE;
	case T_SLASH:
		if (r == QT_INT && (l == QT_INT || l == QT_MONEY))
			return l;
		return QT_NONE;
	default:
		return QT_NONE;
	}
}

static int arith_error(struct parser *p, enum tok_kind op, int l, int r,
		       uint32_t off)
{
	const char *lt = qtype_name(p->nodes[l].type);
	const char *rt = qtype_name(p->nodes[r].type);
	char hint[96];

	pair_hint(p, l, r, hint, sizeof(hint));
	if (!hint[0] &&
	    (p->nodes[l].type == QT_DATE || p->nodes[r].type == QT_DATE))
		snprintf(
			hint, sizeof(hint),
			": move a date with add_days(date, n) or add_years(date, n)");
	switch (op) {
	case T_PLUS:
		return fail(p, off, "cannot add %s and %s%s", lt, rt, hint);
	case T_MINUS:
		return fail(p, off, "cannot subtract %s from %s%s", rt, lt,
			    hint);
	case T_STAR:
		return fail(p, off, "cannot multiply %s by %s%s", lt, rt, hint);
	default:
		return fail(p, off, "cannot divide %s by %s%s", lt, rt, hint);
	}
}

static int parse_mul(struct parser *p)
{
	int l = parse_unary(p);

	while (l >= 0 &&
	       (peek(p)->kind == T_STAR || peek(p)->kind == T_SLASH)) {
		const struct token *op = next(p);
		int r = parse_unary(p);
		enum qtype t;

		if (r < 0)
			return -1;
		t = arith_type(op->kind, p->nodes[l].type, p->nodes[r].type);
		if (t == QT_NONE)
			return arith_error(p, op->kind, l, r, op->off);
		l = new_inner(p, N_BINARY, t, l, r, op->off, op->kind);
	}
	return l;
}

static int parse_add(struct parser *p)
{
	int l = parse_mul(p);

	while (l >= 0 &&
	       (peek(p)->kind == T_PLUS || peek(p)->kind == T_MINUS)) {
		const struct token *op = next(p);
		int r = parse_mul(p);
		enum qtype t;

		if (r < 0)
			return -1;
		t = arith_type(op->kind, p->nodes[l].type, p->nodes[r].type);
		if (t == QT_NONE)
			return arith_error(p, op->kind, l, r, op->off);
		l = new_inner(p, N_BINARY, t, l, r, op->off, op->kind);
	}
	return l;
}

static bool is_cmp(enum tok_kind k)
{
	return k >= T_EQ && k <= T_GE;
}

static const char *tok_text(enum tok_kind k)
{
	static const char *const text[] = {
		[T_EQ] = "==", [T_NE] = "!=", [T_LT] = "<",
		[T_LE] = "<=", [T_GT] = ">",  [T_GE] = ">=",
	};

	return is_cmp(k) ? text[k] : "?";
}

/* x == null, null != x: x must be a nullable field. */
static int compare_null(struct parser *p, const struct token *op, int l, int r)
{
	int other = p->nodes[l].type == QT_NULL ? r : l;
	const struct node *o = &p->nodes[other];
	int id;

	if (op->kind != T_EQ && op->kind != T_NE)
		return fail(p, op->off, "'%s' cannot compare with null",
			    tok_text(op->kind));
	if (o->type == QT_NULL)
		return fail(p, op->off, "cannot compare null with null");
	if (o->kind == N_FIELD && !field_table[o->a].nullable)
		return fail(p, o->off, "'%s' is never null",
			    field_table[o->a].name);
	if (o->kind != N_FIELD)
		return fail(
			p, o->off,
			"only a field that may be null can be compared with null, not a %s expression",
			qtype_name(o->type));
	id = new_inner(p, N_BINARY, QT_BOOL, l, r, op->off, op->kind);
	if (id >= 0)
		p->nodes[id].nullmask = 0;
	return id;
}

static int compare(struct parser *p, const struct token *op, int l, int r)
{
	enum qtype lt = (enum qtype)p->nodes[l].type;
	enum qtype rt = (enum qtype)p->nodes[r].type;
	char hint[96];
	int id;

	if (lt == QT_NULL || rt == QT_NULL)
		return compare_null(p, op, l, r);
	if (lt != rt) {
		pair_hint(p, l, r, hint, sizeof(hint));
		return fail(p, op->off, "cannot compare %s with %s%s",
			    qtype_name(lt), qtype_name(rt), hint);
	}
	if (op->kind != T_EQ && op->kind != T_NE && !is_numeric(lt))
		return fail(
			p, op->off,
			"'%s' needs numbers or dates, got %s: only == and != compare a %s",
			tok_text(op->kind), qtype_name(lt), qtype_name(lt));
	if (lt == QT_STRING) {
		const struct node *a = &p->nodes[l], *b = &p->nodes[r];

		if (a->kind == N_LIT &&
		    check_enum(p, b, a->off, p->strs + a->val))
			return -1;
		if (b->kind == N_LIT &&
		    check_enum(p, a, b->off, p->strs + b->val))
			return -1;
	}
	/* The comparison tests its operands' nulls (see guard()). */
	id = new_inner(p, N_BINARY, QT_BOOL, l, r, op->off, op->kind);
	if (id >= 0)
		p->nodes[id].nullmask = 0;
	return id;
}

/* x in [a, b, ...]: literals of x's type, stored in the pool. */
static int parse_in(struct parser *p, const struct token *op, int l)
{
	enum qtype lt = (enum qtype)p->nodes[l].type;
	size_t start = p->npool;
	char q[64];
	int id;

	if (lt == QT_NULL || lt == QT_NONE)
		return fail(p, p->nodes[l].off, "'in' needs a value, got %s",
			    qtype_name(lt));
	if (peek(p)->kind != T_LBRACK)
		return fail(p, peek(p)->off, "expected '[' after 'in'");
	next(p);
	for (;;) {
		const struct token *t = next(p);
		bool neg = false;
		int64_t v;

		if (t->kind == T_MINUS && peek(p)->kind == T_INT) {
			neg = true;
			t = next(p);
		}
		if (literal_type(t->kind) == QT_NONE ||
		    literal_type(t->kind) == QT_NULL) {
			tok_quote(p, t, q, sizeof(q));
			return fail(p, t->off,
				    "expected a literal in the list, got %s",
				    q);
		}
		if (literal_type(t->kind) != lt) {
			char hint[96] = "";

			if (t->kind == T_INT && !neg &&
			    (lt == QT_MONEY || lt == QT_RATE))
				snprintf(hint, sizeof(hint),
					 ": write it as %.*s%s", (int)t->len,
					 p->src + t->off,
					 lt == QT_MONEY ? ".00" : "%");
			return fail(p, t->off,
				    "list item is %s but the value is %s%s",
				    qtype_name(literal_type(t->kind)),
				    qtype_name(lt), hint);
		}
		if (p->npool - start >= EXPR_MAX_LIST)
			return fail(p, t->off, "more than %d items in a list",
				    EXPR_MAX_LIST);
		if (t->kind == T_STRING &&
		    check_enum(p, &p->nodes[l], t->off, p->strs + t->val))
			return -1;
		if (t->kind == T_STRING)
			v = (int64_t)(intptr_t)(p->strs + t->val);
		else if (t->kind == T_TRUE)
			v = 1;
		else if (t->kind == T_FALSE)
			v = 0;
		else
			v = neg ? -t->val : t->val;
		assert(p->npool < p->cappool);
		p->pool[p->npool++] = v;
		t = next(p);
		if (t->kind == T_RBRACK)
			break;
		if (t->kind != T_COMMA) {
			tok_quote(p, t, q, sizeof(q));
			return fail(p, t->off,
				    "expected ',' or ']' in the list, got %s",
				    q);
		}
	}
	id = new_inner(p, N_IN, QT_BOOL, l, -1, op->off, T_IN);
	if (id >= 0) {
		p->nodes[id].nullmask = 0;
		p->nodes[id].a = (int32_t)start;
		p->nodes[id].n = (int32_t)(p->npool - start);
	}
	return id;
}

static int parse_cmp(struct parser *p)
{
	int l = parse_add(p);
	const struct token *op = peek(p);
	int r, id;

	if (l < 0)
		return -1;
	if (op->kind == T_IN) {
		next(p);
		id = parse_in(p, op, l);
	} else if (is_cmp(op->kind)) {
		next(p);
		r = parse_add(p);
		if (r < 0)
			return -1;
		id = compare(p, op, l, r);
	} else {
		return l;
	}
	if (id >= 0 && (is_cmp(peek(p)->kind) || peek(p)->kind == T_IN))
		return fail(
			p, peek(p)->off,
			"comparisons cannot be chained: join them with '&&'");
	return id;
}

static int parse_not(struct parser *p)
{
	const struct token *t = peek(p);
	int e, id;

	if (t->kind != T_NOT)
		return parse_cmp(p);
	next(p);
	if (enter(p))
		return -1;
	e = parse_not(p);
	if (e < 0)
		return -1;
	p->depth--;
	if (p->nodes[e].type != QT_BOOL)
		return fail(p, p->nodes[e].off,
			    "'!' needs a bool operand, got %s",
			    qtype_name(p->nodes[e].type));
	if (check_not_null(p, e))
		return -1;
	id = new_inner(p, N_UNARY, QT_BOOL, e, -1, t->off, T_NOT);
	if (id >= 0)
		p->nodes[id].off = t->off;
	return id;
}

static int parse_and(struct parser *p)
{
	int l = parse_not(p);

	while (l >= 0 && peek(p)->kind == T_AND) {
		const struct token *op = next(p);
		int r;

		if (check_bool(p, l, "&&"))
			return -1;
		r = parse_not(p);
		if (r < 0 || check_bool(p, r, "&&"))
			return -1;
		l = new_inner(p, N_BINARY, QT_BOOL, l, r, op->off, T_AND);
	}
	return l;
}

static int parse_or(struct parser *p)
{
	int l;

	if (enter(p))
		return -1;
	l = parse_and(p);
	while (l >= 0 && peek(p)->kind == T_OR) {
		const struct token *op = next(p);
		int r;

		if (check_bool(p, l, "||"))
			return -1;
		r = parse_and(p);
		if (r < 0 || check_bool(p, r, "||"))
			return -1;
		l = new_inner(p, N_BINARY, QT_BOOL, l, r, op->off, T_OR);
	}
	p->depth--;
	return l;
}

/* ---- code generation ------------------------------------------------------ */

struct gen {
	const struct parser *p;
	struct insn *code;
	size_t n;
	size_t cap;
	int sp;
	int max;
	int32_t deep_off; /* where the stack first got too deep, or -1 */
};

static size_t emit(struct gen *g, enum op op, int32_t a, int64_t imm)
{
	assert(g->n < g->cap);
	g->code[g->n].op = (uint8_t)op;
	g->code[g->n].b = 0;
	g->code[g->n].a = a;
	g->code[g->n].imm = imm;
	g->code[g->n].key = 0;
	return g->n++;
}

static void push(struct gen *g, const struct node *n)
{
	if (++g->sp > g->max)
		g->max = g->sp;
	if (g->sp > EXPR_MAX_DEPTH && g->deep_off < 0)
		g->deep_off = (int32_t)n->off;
}

static enum op cmp_op(enum tok_kind k, enum qtype t)
{
	if (t == QT_STRING)
		return k == T_EQ ? OP_SEQ : OP_SNE;
	switch (k) {
	case T_EQ:
		return OP_EQ;
	case T_NE:
		return OP_NE;
	case T_LT:
		return OP_LT;
	case T_LE:
		return OP_LE;
	case T_GT:
		return OP_GT;
	default:
		return OP_GE;
	}
}

static enum op arith_op(enum tok_kind k, enum qtype t, enum qtype lt,
			enum qtype rt)
{
	if (t == QT_MONEY) {
		switch (k) {
		case T_PLUS:
			return OP_MADD;
		case T_MINUS:
			return OP_MSUB;
		case T_STAR:
			return (lt == QT_RATE || rt == QT_RATE) ? OP_MMULR
								: OP_MMULI;
		default:
			return OP_MDIVI;
		}
	}
	switch (k) {
	case T_PLUS:
		return OP_ADD;
	case T_MINUS:
		return OP_SUB;
	case T_STAR:
		return OP_MUL;
	default:
		return OP_DIV;
	}
}

static void gen_node(struct gen *g, int id);

/* A null guard before a comparison over nullable fields: if one is null the
 * comparison's value is `res` and its code is skipped. Returns the guard's
 * index to patch, or -1. */
static int guard(struct gen *g, uint64_t mask, int res)
{
	size_t at;

	if (!mask)
		return -1;
	at = emit(g, OP_JNULL, 0, (int64_t)mask);
	g->code[at].b = (uint8_t)res;
	return (int)at;
}

static void patch(struct gen *g, int at)
{
	if (at >= 0)
		g->code[at].a = (int32_t)g->n;
}

/* field <op> literal (or literal <op> field) as one instruction. */
static bool gen_field_const(struct gen *g, const struct node *n,
			    const struct node *l, const struct node *r)
{
	/* The same comparison with its operands swapped: 3 < x is x > 3. */
	static const enum tok_kind flip[] = {
		[T_EQ] = T_EQ, [T_NE] = T_NE, [T_LT] = T_GT,
		[T_LE] = T_GE, [T_GT] = T_LT, [T_GE] = T_LE,
	};
	enum tok_kind k = (enum tok_kind)n->op;
	const struct node *f = l, *c = r;
	int64_t imm;

	if (l->kind == N_LIT && r->kind == N_FIELD) {
		f = r;
		c = l;
		k = flip[k];
	}
	if (f->kind != N_FIELD || c->kind != N_LIT)
		return false;
	if (f->type == QT_STRING) {
		const char *lit = g->p->strs + c->val;
		size_t at;
		bool longer;

		imm = (int64_t)(intptr_t)lit;
		at = emit(g, k == T_EQ ? OP_FSEQK : OP_FSNEK, f->a, imm);
		g->code[at].key = facts_skey(lit, &longer);
		g->code[at].b = longer;
	} else {
		emit(g, (enum op)(OP_FEQK + (k - T_EQ)), f->a, c->val);
	}
	push(g, n);
	return true;
}

static void gen_binary(struct gen *g, const struct node *n)
{
	const struct node *l = &g->p->nodes[n->l];
	const struct node *r = &g->p->nodes[n->r];
	size_t j;
	int gd;

	switch (n->op) {
	case T_AND:
	case T_OR:
		gen_node(g, n->l);
		j = emit(g, n->op == T_AND ? OP_JFALSE : OP_JTRUE, 0, 0);
		g->sp--;
		gen_node(g, n->r);
		g->code[j].a = (int32_t)g->n;
		return;
	case T_EQ:
	case T_NE:
		if (l->type == QT_NULL || r->type == QT_NULL) {
			const struct node *f = l->type == QT_NULL ? r : l;

			emit(g, n->op == T_EQ ? OP_ISNULL : OP_NOTNULL, f->a,
			     0);
			push(g, n);
			return;
		}
		/* fall through */
	case T_LT:
	case T_LE:
	case T_GT:
	case T_GE:
		gd = guard(g, l->nullmask | r->nullmask, n->op == T_NE);
		if (gen_field_const(g, n, l, r)) {
			patch(g, gd);
			return;
		}
		gen_node(g, n->l);
		gen_node(g, n->r);
		emit(g, cmp_op((enum tok_kind)n->op, (enum qtype)l->type), 0,
		     0);
		g->sp--;
		patch(g, gd);
		return;
	default:
		gen_node(g, n->l);
		gen_node(g, n->r);
		emit(g,
		     arith_op((enum tok_kind)n->op, (enum qtype)n->type,
			      (enum qtype)l->type, (enum qtype)r->type),
		     0, 0);
		g->sp--;
		return;
	}
}

static void gen_node(struct gen *g, int id)
{
	const struct node *n = &g->p->nodes[id];
	static const enum op call_ops[B__COUNT] = {
		[B_MIN] = OP_MIN,
		[B_MAX] = OP_MAX,
		[B_ADD_YEARS] = OP_ADD_YEARS,
		[B_ADD_DAYS] = OP_ADD_DAYS,
	};
	int gd;

	switch (n->kind) {
	case N_LIT:
		assert(n->type != QT_NULL);
		if (n->type == QT_STRING)
			emit(g, OP_PUSH, 0,
			     (int64_t)(intptr_t)(g->p->strs + n->val));
		else
			emit(g, OP_PUSH, 0, n->val);
		push(g, n);
		return;
	case N_FIELD:
		emit(g, n->type == QT_STRING ? OP_FIELD_S : OP_FIELD, n->a, 0);
		push(g, n);
		return;
	case N_PARAM:
		emit(g, OP_PARAM, n->a, 0);
		push(g, n);
		return;
	case N_UNARY:
		gen_node(g, n->l);
		emit(g, n->op == T_NOT ? OP_NOT : OP_NEG, 0, 0);
		return;
	case N_IN:
		gd = guard(g, g->p->nodes[n->l].nullmask, 0);
		gen_node(g, n->l);
		emit(g, g->p->nodes[n->l].type == QT_STRING ? OP_SIN : OP_IN,
		     n->a, n->n);
		patch(g, gd);
		return;
	case N_CALL:
		gen_node(g, n->l);
		gen_node(g, n->r);
		emit(g, call_ops[n->op], 0, 0);
		g->sp--;
		return;
	case N_INDUSTRY:
		gen_node(g, n->l);
		emit(g, OP_INDUSTRY_IN, n->a, n->n);
		return;
	case N_LIST:
		emit(g, OP_SUPPLIER_ON, n->a, 0);
		push(g, n);
		return;
	default:
		gen_binary(g, n);
		return;
	}
}

/* Whether in is a step of SHAPE_JOIN2: a field, or a field compared with
 * a constant. */
static bool one_test(const struct insn *in)
{
	return in->op == OP_FIELD || (in->op >= OP_FEQK && in->op <= OP_FGEK);
}

/* The shape of a program of n instructions before its OP_END (or OP_COND):
 * how it can be run without the interpreter loop, or SHAPE_CODE. */
static uint8_t shape_of(const struct insn *code, size_t n)
{
	assert(code && n >= 1);
	if (n == 1)
		switch ((enum op)code[0].op) {
		case OP_PUSH:
			return SHAPE_CONST;
		case OP_FIELD:
			return SHAPE_FIELD;
		case OP_FEQK:
		case OP_FNEK:
		case OP_FLTK:
		case OP_FLEK:
		case OP_FGTK:
		case OP_FGEK:
			return SHAPE_FCMPK;
		case OP_FSEQK:
		case OP_FSNEK:
			return SHAPE_FSEQK;
		default:
			return SHAPE_CODE;
		}
	/* The jump is to the program's own end: the || is the root. */
	if (n >= 3 && code[0].op == OP_ISNULL && code[1].op == OP_JTRUE &&
	    code[1].a == (int32_t)n)
		return SHAPE_NULL_OR;
	if (n == 7 && code[0].op == OP_FIELD && code[1].op == OP_FIELD &&
	    code[2].op == OP_PUSH && code[3].op == OP_MIN &&
	    code[4].op == OP_MMULI && code[5].op == OP_FIELD &&
	    code[5].a == code[1].a && code[6].op == OP_MDIVI)
		return SHAPE_PRORATA;
	if (n == 3 && one_test(&code[0]) && one_test(&code[2]) &&
	    (code[1].op == OP_JFALSE || code[1].op == OP_JTRUE) &&
	    code[1].a == 3)
		return SHAPE_JOIN2;
	return SHAPE_CODE;
}

/* ---- compile -------------------------------------------------------------- */

static const char *want_what(enum qtype want)
{
	switch (want) {
	case QT_BOOL:
		return "a condition";
	case QT_RATE:
		return "a rate";
	case QT_MONEY:
		return "an amount";
	default:
		return "the expression";
	}
}

/* Check the root against the type the context wants. */
static int check_root(struct parser *p, int root, enum qtype want)
{
	const struct node *n = &p->nodes[root];
	char hint[96] = "";

	if (want != QT_NONE && n->type != want) {
		int_hint(p, n, want, hint, sizeof(hint));
		return fail(p, n->off, "%s must be %s, got %s%s",
			    want_what(want), qtype_name(want),
			    qtype_name(n->type), hint);
	}
	if (n->type == QT_STRING)
		return fail(
			p, n->off,
			"a string cannot stand alone: compare it, as in x == \"text\"");
	if (n->type == QT_NULL)
		return fail(p, n->off,
			    "null cannot stand alone: compare a field with it");
	return check_not_null(p, root);
}

/* Tokens joined by single spaces. */
static char *canonical_of(const struct parser *p)
{
	size_t size = 1;
	char *c, *w;

	for (size_t i = 0; i + 1 < p->ntok; i++)
		size += p->tok[i].len + 1;
	c = malloc(size);
	if (!c)
		return NULL;
	w = c;
	for (size_t i = 0; i + 1 < p->ntok; i++) {
		if (i > 0)
			*w++ = ' ';
		memcpy(w, p->src + p->tok[i].off, p->tok[i].len);
		w += p->tok[i].len;
	}
	*w = '\0';
	return c;
}

int expr_compile(const char *src, size_t len, const struct expr_env *env,
		 enum qtype want, struct expr **out, struct expr_error *err)
{
	struct expr_error spare;
	struct parser p;
	struct gen g;
	struct expr *x = NULL;
	int root;

	if (!err)
		err = &spare;
	memset(err, 0, sizeof(*err));
	memset(&p, 0, sizeof(p));
	*out = NULL;
	p.src = src;
	p.len = len;
	p.env = env;
	p.err = err;
	if (len > EXPR_MAX_SOURCE)
		return fail(&p, EXPR_MAX_SOURCE,
			    "expression longer than %d bytes", EXPR_MAX_SOURCE);
	x = calloc(1, sizeof(*x));
	p.tok = calloc(len + 1, sizeof(*p.tok));
	p.capnodes = len + 1;
	p.nodes = calloc(p.capnodes, sizeof(*p.nodes));
	p.cappool = len + 1;
	p.pool = calloc(p.cappool, sizeof(*p.pool));
	p.strs = calloc(len + 1, 1);
	if (!x || !p.tok || !p.nodes || !p.pool || !p.strs) {
		fail(&p, 0, "out of memory");
		goto err;
	}
	x->strs = p.strs;
	x->pool = p.pool;
	if (lex(&p))
		goto err;
	if (p.ntok == 1) {
		fail(&p, 0, "empty expression");
		goto err;
	}
	root = parse_or(&p);
	if (root < 0)
		goto err;
	if (peek(&p)->kind != T_END) {
		fail(&p, peek(&p)->off, "trailing input after expression");
		goto err;
	}
	if (check_root(&p, root, want))
		goto err;

	memset(&g, 0, sizeof(g));
	g.p = &p;
	g.cap = 2 * p.nnodes + 1;
	g.deep_off = -1;
	g.code = calloc(g.cap, sizeof(*g.code));
	if (!g.code) {
		fail(&p, 0, "out of memory");
		goto err;
	}
	x->code = g.code;
	gen_node(&g, root);
	emit(&g, OP_END, 0, 0);
	assert(g.sp == 1);
	if (g.deep_off >= 0) {
		fail(&p, (size_t)g.deep_off,
		     "expression too deeply nested: it needs more than %d stack slots",
		     EXPR_MAX_DEPTH);
		goto err;
	}
	x->type = (enum qtype)p.nodes[root].type;
	x->shape = shape_of(g.code, g.n - 1);
	x->max_stack = g.max;
	x->const_true = p.ntok == 2 && p.tok[0].kind == T_TRUE;
	x->source = malloc(len + 1);
	x->canonical = canonical_of(&p);
	if (!x->source || !x->canonical) {
		fail(&p, 0, "out of memory");
		goto err;
	}
	memcpy(x->source, src, len);
	x->source[len] = '\0';
	free(p.tok);
	free(p.nodes);
	*out = x;
	return 0;
err:
	if (x) {
		x->strs = p.strs;
		x->pool = p.pool;
		expr_free(x);
	} else {
		free(p.strs);
		free(p.pool);
	}
	free(p.tok);
	free(p.nodes);
	return -1;
}

/* ---- evaluation ----------------------------------------------------------- */

/* floor(a / b) for b != 0, and not INT64_MIN / -1. */
static int64_t div_floor(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* money / int rounded down, through money_scale. */
static int money_div(int64_t a, int64_t k, int64_t *out)
{
	if (k > 0)
		return money_scale(a, 1, k, out);
	if (k != INT64_MIN)
		return money_scale(a, -1, -k, out);
	/* a / INT64_MIN lies in [0, 1] for a <= 0 and in (-1, 0) above. */
	*out = a == INT64_MIN ? 1 : a > 0 ? -1 : 0;
	return 0;
}

/* Whether string field in->a equals the literal of in. With the field's
 * key in the facts (facts_keys) the keys decide, and the bytes past the
 * key are compared only when both are longer than a key and agree in it;
 * without it, strcmp. Either way the answer is exact. */
static int field_eq_literal(const struct facts *f, const struct insn *in)
{
	const char *lit = (const char *)(intptr_t)in->imm;
	const char *s = f->s[in->a];
	int k = facts_skey_slot(in->a);

	if (k >= 0 && (f->skey_mask >> k) & 1) {
		if (f->skey[k] != in->key ||
		    (bool)((f->skey_long >> k) & 1) != (bool)in->b)
			return 0;
		return !in->b || strcmp(s + FACTS_SKEY_BYTES,
					lit + FACTS_SKEY_BYTES) == 0;
	}
	return strcmp(s ? s : "", lit) == 0;
}

uint64_t expr_string_fields(const struct expr *x)
{
	uint64_t m = 0;

	assert(x);
	for (const struct insn *in = x->code; in->op != OP_END; in++)
		if (in->op == OP_FSEQK || in->op == OP_FSNEK)
			m |= 1ull << in->a;
	return m;
}

uint64_t expr_fields(const struct expr *x)
{
	uint64_t m = 0;

	assert(x);
	for (const struct insn *in = x->code; in->op != OP_END; in++)
		switch ((enum op)in->op) {
		case OP_FIELD:
		case OP_FIELD_S:
		case OP_ISNULL:
		case OP_NOTNULL:
		case OP_FEQK:
		case OP_FNEK:
		case OP_FLTK:
		case OP_FLEK:
		case OP_FGTK:
		case OP_FGEK:
		case OP_FSEQK:
		case OP_FSNEK:
			m |= 1ull << in->a;
			break;
		case OP_JNULL:
			m |= (uint64_t)in->imm;
			break;
		default:
			break;
		}
	return m;
}

/* The `in` list of instruction in: its own program's pool, which a fused
 * program keeps a pointer to in key. */
static inline const int64_t *list_of(const struct expr *x,
				     const struct insn *in)
{
	return (in->key ? (const int64_t *)(intptr_t)in->key : x->pool) + in->a;
}

/* Run x's code from ip to its OP_END or, in a fused program, to the end
 * of the condition that ip is in: *out gets the value. The one
 * interpreter of every program, single or fused. */
static inline __attribute__((always_inline)) int
run(const struct expr *x, const struct insn *ip, const struct facts *f,
    const int64_t *params, const uint8_t *param_null, int64_t *out)
{
	int64_t st[EXPR_MAX_DEPTH];
	const struct insn *code = x->code;
	int n = 0;

	for (;;) {
		const struct insn *in = ip++;
		int64_t a, b;

		switch ((enum op)in->op) {
		case OP_END:
		case OP_COND:
			assert(n == 1);
			*out = st[0];
			return EXPR_OK;
		case OP_PUSH:
			st[n++] = in->imm;
			break;
		case OP_FIELD:
			st[n++] = f->i[in->a];
			break;
		case OP_FIELD_S: {
			const char *s = f->s[in->a];

			st[n++] = (int64_t)(intptr_t)(s ? s : "");
			break;
		}
		case OP_PARAM:
			if (!params || (param_null && param_null[in->a]))
				return EXPR_NOT_IN_FORCE;
			st[n++] = params[in->a];
			break;
		case OP_ISNULL:
			st[n++] = (f->null_mask >> in->a) & 1;
			break;
		case OP_NOTNULL:
			st[n++] = !((f->null_mask >> in->a) & 1);
			break;
		case OP_JNULL:
			if (f->null_mask & (uint64_t)in->imm) {
				st[n++] = in->b;
				ip = code + in->a;
			}
			break;
		case OP_JFALSE:
			if (!st[n - 1])
				ip = code + in->a;
			else
				n--;
			break;
		case OP_JTRUE:
			if (st[n - 1])
				ip = code + in->a;
			else
				n--;
			break;
		case OP_NOT:
			st[n - 1] = !st[n - 1];
			break;
		case OP_EQ:
			n--;
			st[n - 1] = st[n - 1] == st[n];
			break;
		case OP_NE:
			n--;
			st[n - 1] = st[n - 1] != st[n];
			break;
		case OP_LT:
			n--;
			st[n - 1] = st[n - 1] < st[n];
			break;
		case OP_LE:
			n--;
			st[n - 1] = st[n - 1] <= st[n];
			break;
		case OP_GT:
			n--;
			st[n - 1] = st[n - 1] > st[n];
			break;
		case OP_GE:
			n--;
			st[n - 1] = st[n - 1] >= st[n];
			break;
		case OP_FEQK:
			st[n++] = f->i[in->a] == in->imm;
			break;
		case OP_FNEK:
			st[n++] = f->i[in->a] != in->imm;
			break;
		case OP_FLTK:
			st[n++] = f->i[in->a] < in->imm;
			break;
		case OP_FLEK:
			st[n++] = f->i[in->a] <= in->imm;
			break;
		case OP_FGTK:
			st[n++] = f->i[in->a] > in->imm;
			break;
		case OP_FGEK:
			st[n++] = f->i[in->a] >= in->imm;
			break;
		case OP_FSEQK:
		case OP_FSNEK: {
			int eq = field_eq_literal(f, in);

			st[n++] = in->op == OP_FSEQK ? eq : !eq;
			break;
		}
		case OP_SEQ:
		case OP_SNE: {
			const char *l = (const char *)(intptr_t)st[n - 2];
			const char *r = (const char *)(intptr_t)st[n - 1];
			int eq = strcmp(l, r) == 0;

			n--;
			st[n - 1] = in->op == OP_SEQ ? eq : !eq;
			break;
		}
		case OP_IN: {
			const int64_t *it = list_of(x, in);
			int64_t v = st[n - 1];
			int hit = 0;

			for (int64_t k = 0; k < in->imm; k++)
				if (it[k] == v) {
					hit = 1;
					break;
				}
			st[n - 1] = hit;
			break;
		}
		case OP_SIN: {
			const int64_t *it = list_of(x, in);
			const char *v = (const char *)(intptr_t)st[n - 1];
			int hit = 0;

			for (int64_t k = 0; k < in->imm; k++)
				if (strcmp((const char *)(intptr_t)it[k], v) ==
				    0) {
					hit = 1;
					break;
				}
			st[n - 1] = hit;
			break;
		}
		case OP_INDUSTRY_IN: {
			const int64_t *it = list_of(x, in);
			const char *v = (const char *)(intptr_t)st[n - 1];
			int hit = 0;

			for (int64_t k = 0; k < in->imm && !hit; k++)
				hit = industry_within(
					v, (const char *)(intptr_t)it[k]);
			st[n - 1] = hit;
			break;
		}
		case OP_SUPPLIER_ON:
			if (!f->lists_known)
				return EXPR_LISTS_UNKNOWN;
			st[n++] = (int64_t)((f->supplier_lists >> in->a) & 1);
			break;
		case OP_NEG:
			if (__builtin_sub_overflow((int64_t)0, st[n - 1],
						   &st[n - 1]))
				return EXPR_OVERFLOW;
			break;
		case OP_ADD:
			n--;
			if (__builtin_add_overflow(st[n - 1], st[n],
						   &st[n - 1]))
				return EXPR_OVERFLOW;
			break;
		case OP_SUB:
			n--;
			if (__builtin_sub_overflow(st[n - 1], st[n],
						   &st[n - 1]))
				return EXPR_OVERFLOW;
			break;
		case OP_MUL:
			n--;
			if (__builtin_mul_overflow(st[n - 1], st[n],
						   &st[n - 1]))
				return EXPR_OVERFLOW;
			break;
		case OP_DIV:
			n--;
			a = st[n - 1];
			b = st[n];
			if (b == 0)
				return EXPR_DIV_ZERO;
			if (a == INT64_MIN && b == -1)
				return EXPR_OVERFLOW;
			st[n - 1] = div_floor(a, b);
			break;
		case OP_MADD:
			n--;
			if (money_add(st[n - 1], st[n], &st[n - 1]))
				return EXPR_OVERFLOW;
			break;
		case OP_MSUB:
			n--;
			if (money_sub(st[n - 1], st[n], &st[n - 1]))
				return EXPR_OVERFLOW;
			break;
		case OP_MMULI:
			n--;
			if (money_mul_int(st[n - 1], st[n], &st[n - 1]))
				return EXPR_OVERFLOW;
			break;
		case OP_MMULR:
			/* floor(a * b / 10000) is symmetric in a and b, so
			 * money * rate and rate * money share the op. */
			n--;
			if (money_scale(st[n - 1], st[n], RATE_BP_ONE,
					&st[n - 1]))
				return EXPR_OVERFLOW;
			break;
		case OP_MDIVI:
			n--;
			if (st[n] == 0)
				return EXPR_DIV_ZERO;
			if (money_div(st[n - 1], st[n], &st[n - 1]))
				return EXPR_OVERFLOW;
			break;
		case OP_MIN:
			n--;
			if (st[n] < st[n - 1])
				st[n - 1] = st[n];
			break;
		case OP_MAX:
			n--;
			if (st[n] > st[n - 1])
				st[n - 1] = st[n];
			break;
		case OP_ADD_DAYS:
			n--;
			a = st[n - 1];
			if (a < DATE_LO || a > DATE_HI ||
			    __builtin_add_overflow(a, st[n], &a) ||
			    a < DATE_LO || a > DATE_HI)
				return EXPR_OVERFLOW;
			st[n - 1] = a;
			break;
		case OP_ADD_YEARS:
			n--;
			a = st[n - 1];
			b = st[n];
			if (a < DATE_LO || a > DATE_HI ||
			    b < -(DATE_MAX_YEAR - DATE_MIN_YEAR) ||
			    b > DATE_MAX_YEAR - DATE_MIN_YEAR)
				return EXPR_OVERFLOW;
			a = date_add_years((qdate)a, (int)b);
			if (a < DATE_LO || a > DATE_HI)
				return EXPR_OVERFLOW;
			st[n - 1] = a;
			break;
		}
	}
}

/* field <op> constant, one of OP_FEQK .. OP_FGEK. */
static inline int64_t field_cmp_const(const struct facts *f,
				      const struct insn *in)
{
	int64_t v = f->i[in->a];

	switch ((enum op)in->op) {
	case OP_FEQK:
		return v == in->imm;
	case OP_FNEK:
		return v != in->imm;
	case OP_FLTK:
		return v < in->imm;
	case OP_FLEK:
		return v <= in->imm;
	case OP_FGTK:
		return v > in->imm;
	default:
		assert(in->op == OP_FGEK);
		return v >= in->imm;
	}
}

/* Run the program of shape `shape` that starts at ip: the one-step shapes
 * without the loop, the rest through run(). */
static inline __attribute__((always_inline)) int
run_shaped(const struct expr *x, uint8_t shape, const struct insn *ip,
	   const struct facts *f, const int64_t *params,
	   const uint8_t *param_null, int64_t *out)
{
	switch ((enum expr_shape)shape) {
	case SHAPE_CONST:
		*out = ip->imm;
		return EXPR_OK;
	case SHAPE_FIELD:
		*out = f->i[ip->a];
		return EXPR_OK;
	case SHAPE_FCMPK:
		*out = field_cmp_const(f, ip);
		return EXPR_OK;
	case SHAPE_FSEQK:
		*out = field_eq_literal(f, ip) == (ip->op == OP_FSEQK);
		return EXPR_OK;
	case SHAPE_NULL_OR:
		if ((f->null_mask >> ip->a) & 1) {
			*out = 1;
			return EXPR_OK;
		}
		return run(x, ip + 2, f, params, param_null, out);
	case SHAPE_JOIN2: {
		/* The value the interpreter leaves: a falsy left side of
		 * `&&`, a truthy one of `||`, otherwise the right side. */
		int64_t l = ip[0].op == OP_FIELD ? f->i[ip[0].a]
						 : field_cmp_const(f, &ip[0]);
		int64_t r = ip[2].op == OP_FIELD ? f->i[ip[2].a]
						 : field_cmp_const(f, &ip[2]);

		*out = (ip[1].op == OP_JTRUE) == (l != 0) ? l : r;
		return EXPR_OK;
	}
	case SHAPE_PRORATA: {
		int64_t a = f->i[ip[0].a], t = f->i[ip[1].a], k = ip[2].imm;
		int64_t prod;

		if (a >= 0 && t > 0 && k >= 0) {
			if (__builtin_mul_overflow(a, t < k ? t : k, &prod))
				return EXPR_OVERFLOW;
			*out = prod / t;
			return EXPR_OK;
		}
		break;
	}
	case SHAPE_CODE:
		break;
	}
	return run(x, ip, f, params, param_null, out);
}

int expr_eval(const struct expr *x, const struct facts *f,
	      const int64_t *params, const uint8_t *param_null, int64_t *out)
{
	assert(x && f && out);
	assert(x->ncond == 0);
	return run_shaped(x, x->shape, x->code, f, params, param_null, out);
}

int expr_fuse(const struct expr *const *xs, size_t n, struct expr **out)
{
	struct expr *x;
	size_t len = 1, at = 0;

	assert(xs && out);
	*out = NULL;
	if (n == 0 || n > EXPR_MAX_FUSED)
		return -1;
	for (size_t k = 0; k < n; k++) {
		const struct insn *in = xs[k]->code;

		assert(xs[k]->ncond == 0 && xs[k]->type == QT_BOOL);
		while (in->op != OP_END)
			in++, len++;
		len++; /* its OP_COND */
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	x->type = QT_BOOL;
	x->ncond = (int)n;
	x->code = calloc(len, sizeof(*x->code));
	x->start = calloc(n, sizeof(*x->start));
	x->cshape = calloc(n, sizeof(*x->cshape));
	x->source = strdup("(fused conditions)");
	x->canonical = strdup("(fused conditions)");
	if (!x->code || !x->start || !x->cshape || !x->source ||
	    !x->canonical) {
		expr_free(x);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		const struct expr *y = xs[k];
		size_t base = at;

		x->start[k] = x->code + at;
		if (y->max_stack > x->max_stack)
			x->max_stack = y->max_stack;
		for (const struct insn *in = y->code; in->op != OP_END; in++) {
			struct insn c = *in;

			/* Jumps are to indices of the program: move them by
			 * where this condition now begins. Pool indices and
			 * literal pointers stay with y, which must outlive
			 * the fused program. */
			if (c.op == OP_JNULL || c.op == OP_JFALSE ||
			    c.op == OP_JTRUE)
				c.a += (int32_t)base;
			if (c.op == OP_IN || c.op == OP_SIN ||
			    c.op == OP_INDUSTRY_IN)
				c.key = (uint64_t)(intptr_t)y->pool;
			x->code[at++] = c;
		}
		x->cshape[k] = shape_of(y->code, at - base);
		x->code[at].op = OP_COND;
		x->code[at].a = (int32_t)k;
		at++;
	}
	x->code[at].op = OP_END;
	assert(at + 1 == len);
	*out = x;
	return 0;
}

int expr_eval_fused(const struct expr *x, const struct facts *f,
		    const int64_t *params, const uint8_t *param_null,
		    uint64_t *pass, uint64_t *not_in_force, int *bad)
{
	uint64_t ok = 0, nif = 0;

	assert(x && f && pass && not_in_force && bad);
	assert(x->ncond > 0 && x->ncond <= EXPR_MAX_FUSED);
	for (int k = 0; k < x->ncond; k++) {
		int64_t v;
		int st = run_shaped(x, x->cshape[k], x->start[k], f, params,
				    param_null, &v);

		if (st == EXPR_NOT_IN_FORCE) {
			nif |= 1ull << k;
		} else if (st) {
			*bad = k;
			return st;
		} else if (v) {
			ok |= 1ull << k;
		}
	}
	*pass = ok;
	*not_in_force = nif;
	return EXPR_OK;
}

int expr_eval_cond(const struct expr *x, int k, const struct facts *f,
		   const int64_t *params, const uint8_t *param_null,
		   int64_t *out)
{
	assert(x && f && out);
	assert(k >= 0 && k < x->ncond);
	return run_shaped(x, x->cshape[k], x->start[k], f, params, param_null,
			  out);
}

int expr_eval_plain(const struct expr *x, const struct facts *f,
		    const int64_t *params, const uint8_t *param_null,
		    int64_t *out)
{
	assert(x && f && out);
	assert(x->ncond == 0);
	return run(x, x->code, f, params, param_null, out);
}

int expr_eval_cond_plain(const struct expr *x, int k, const struct facts *f,
			 const int64_t *params, const uint8_t *param_null,
			 int64_t *out)
{
	assert(x && f && out);
	assert(k >= 0 && k < x->ncond);
	return run(x, x->start[k], f, params, param_null, out);
}

void expr_form_of(const struct expr *x, int k, struct expr_form_info *out)
{
	const struct insn *in;
	uint8_t shape;

	assert(x && out);
	assert(k < x->ncond && (k >= 0 || x->ncond == 0));
	memset(out, 0, sizeof(*out));
	in = k < 0 ? x->code : x->start[k];
	shape = k < 0 ? x->shape : x->cshape[k];
	out->field = in->a;
	switch ((enum expr_shape)shape) {
	case SHAPE_CONST:
		out->form = EXPR_FORM_CONST;
		out->imm = in->imm;
		return;
	case SHAPE_FIELD:
		out->form = EXPR_FORM_FIELD;
		return;
	case SHAPE_FCMPK:
		out->form = EXPR_FORM_CMP;
		out->cmp = in->op - OP_FEQK;
		out->imm = in->imm;
		return;
	case SHAPE_FSEQK:
		out->form = EXPR_FORM_STR;
		out->cmp = in->op == OP_FSNEK;
		out->str = (const char *)(intptr_t)in->imm;
		out->key = in->key;
		out->longer = in->b != 0;
		return;
	case SHAPE_NULL_OR:
		out->form = EXPR_FORM_NULL_OR;
		return;
	case SHAPE_JOIN2:
		out->form = EXPR_FORM_JOIN2;
		out->join_or = in[1].op == OP_JTRUE;
		for (int i = 0; i < 2; i++) {
			const struct insn *t = &in[2 * i];

			out->side[i].field = t->a;
			out->side[i].cmp =
				t->op == OP_FIELD ? -1 : t->op - OP_FEQK;
			out->side[i].imm = t->imm;
		}
		return;
	case SHAPE_PRORATA: /* expr_eval reads it without the loop */
	case SHAPE_CODE:
		break;
	}
	out->form = EXPR_FORM_CODE;
	out->field = -1;
}

/* ---- accessors ------------------------------------------------------------ */

enum qtype expr_type(const struct expr *x)
{
	return x->type;
}

const char *expr_source(const struct expr *x)
{
	return x->source;
}

int expr_is_const_true(const struct expr *x)
{
	return x->const_true;
}

const char *expr_canonical(const struct expr *x)
{
	return x->canonical;
}

int expr_date_floor(const struct expr *x, int field, int64_t *out)
{
	int found = 0;

	assert(x && out);
	assert(field >= 0 && field < F__COUNT);
	for (const struct insn *in = x->code; in->op != OP_END; in++) {
		if (in->op < OP_FEQK || in->op > OP_FGEK || in->a != field)
			continue;
		if (!found || in->imm < *out)
			*out = in->imm;
		found = 1;
	}
	return found;
}

void expr_free(struct expr *x)
{
	if (!x)
		return;
	free(x->code);
	free(x->start);
	free(x->cshape);
	free(x->pool);
	free(x->strs);
	free(x->source);
	free(x->canonical);
	free(x);
}

/* ---- over columns --------------------------------------------------------- */

/* field_eq_literal for row r of the columns: the keys decide when the row
 * has its field's key, strcmp otherwise; the answer is exact either way. */
static int col_eq_literal(const struct expr_cols *c, size_t r,
			  const struct insn *in)
{
	const char *lit = (const char *)(intptr_t)in->imm;
	const char *s = (const char *)(intptr_t)c->col[in->a][r];
	int k = facts_skey_slot(in->a);

	if (k >= 0 && c->skey[k] && c->skey_mask &&
	    (c->skey_mask[r] >> k) & 1) {
		if (c->skey[k][r] != in->key ||
		    (bool)((c->skey_long[r] >> k) & 1) != (bool)in->b)
			return 0;
		return !in->b || strcmp(s + FACTS_SKEY_BYTES,
					lit + FACTS_SKEY_BYTES) == 0;
	}
	return strcmp(s ? s : "", lit) == 0;
}

/* The rows of one columnar run and where each stands: rs[r] is the
 * instruction row r resumes at (0: running; a jump's target: parked
 * until then; INT32_MAX: failed or not live). dense while every row
 * runs, so that an instruction need not look at rs. */
struct cols_run {
	int32_t *rs;
	uint8_t *status;
	size_t n;
	int32_t at; /* the instruction being run */
	bool dense;
	int changed; /* rows failed or parked by this instruction */
};

/* body for each row that runs the current instruction. */
#define EACH_ROW(...)                                                          \
	do {                                                                   \
		if (cr->dense) {                                               \
			for (size_t r = 0; r < cr->n; r++) {                   \
				__VA_ARGS__                                    \
			}                                                      \
		} else {                                                       \
			for (size_t r = 0; r < cr->n; r++)                     \
				if (cr->rs[r] <= cr->at) {                     \
					__VA_ARGS__                            \
				}                                              \
		}                                                              \
	} while (0)
#define ROW_FAILS(v)                                                           \
	do {                                                                   \
		cr->status[r] = (uint8_t)(v);                                  \
		cr->rs[r] = INT32_MAX;                                         \
		cr->changed++;                                                 \
	} while (0)

/* One instruction that pops two values and pushes one, over the running
 * rows: l is the lower operand and the result. */
static void cols_binary(struct cols_run *cr, const struct insn *in, int64_t *l,
			const int64_t *t)
{
	switch ((enum op)in->op) {
	case OP_EQ:
		EACH_ROW(l[r] = l[r] == t[r];);
		break;
	case OP_NE:
		EACH_ROW(l[r] = l[r] != t[r];);
		break;
	case OP_LT:
		EACH_ROW(l[r] = l[r] < t[r];);
		break;
	case OP_LE:
		EACH_ROW(l[r] = l[r] <= t[r];);
		break;
	case OP_GT:
		EACH_ROW(l[r] = l[r] > t[r];);
		break;
	case OP_GE:
		EACH_ROW(l[r] = l[r] >= t[r];);
		break;
	case OP_SEQ:
	case OP_SNE:
		EACH_ROW(int eq = strcmp((const char *)(intptr_t)l[r],
					 (const char *)(intptr_t)t[r]) == 0;
			 l[r] = in->op == OP_SEQ ? eq : !eq;);
		break;
	case OP_ADD:
		EACH_ROW(if (__builtin_add_overflow(l[r], t[r], &l[r]))
				 ROW_FAILS(EXPR_OVERFLOW););
		break;
	case OP_SUB:
		EACH_ROW(if (__builtin_sub_overflow(l[r], t[r], &l[r]))
				 ROW_FAILS(EXPR_OVERFLOW););
		break;
	case OP_MUL:
		EACH_ROW(if (__builtin_mul_overflow(l[r], t[r], &l[r]))
				 ROW_FAILS(EXPR_OVERFLOW););
		break;
	case OP_DIV:
		EACH_ROW(if (t[r] == 0) ROW_FAILS(EXPR_DIV_ZERO);
			 else if (l[r] == INT64_MIN && t[r] == -1)
				 ROW_FAILS(EXPR_OVERFLOW);
			 else l[r] = div_floor(l[r], t[r]););
		break;
	case OP_MADD:
		EACH_ROW(if (money_add(l[r], t[r], &l[r]))
				 ROW_FAILS(EXPR_OVERFLOW););
		break;
	case OP_MSUB:
		EACH_ROW(if (money_sub(l[r], t[r], &l[r]))
				 ROW_FAILS(EXPR_OVERFLOW););
		break;
	case OP_MMULI:
		EACH_ROW(if (money_mul_int(l[r], t[r], &l[r]))
				 ROW_FAILS(EXPR_OVERFLOW););
		break;
	case OP_MMULR:
		EACH_ROW(if (money_scale(l[r], t[r], RATE_BP_ONE, &l[r]))
				 ROW_FAILS(EXPR_OVERFLOW););
		break;
	case OP_MDIVI:
		EACH_ROW(if (t[r] == 0) ROW_FAILS(EXPR_DIV_ZERO);
			 else if (money_div(l[r], t[r], &l[r]))
				 ROW_FAILS(EXPR_OVERFLOW););
		break;
	case OP_MIN:
		EACH_ROW(if (t[r] < l[r]) l[r] = t[r];);
		break;
	case OP_MAX:
		EACH_ROW(if (t[r] > l[r]) l[r] = t[r];);
		break;
	case OP_ADD_DAYS:
		EACH_ROW(int64_t a = l[r];
			 if (a < DATE_LO || a > DATE_HI ||
			     __builtin_add_overflow(a, t[r], &a) ||
			     a < DATE_LO || a > DATE_HI)
				 ROW_FAILS(EXPR_OVERFLOW);
			 else l[r] = a;);
		break;
	case OP_ADD_YEARS:
		EACH_ROW(int64_t a = l[r]; int64_t b = t[r];
			 if (a < DATE_LO || a > DATE_HI ||
			     b < -(DATE_MAX_YEAR - DATE_MIN_YEAR) ||
			     b > DATE_MAX_YEAR - DATE_MIN_YEAR) {
				 ROW_FAILS(EXPR_OVERFLOW);
				 continue;
			 } a = date_add_years((qdate)a, (int)b);
			 if (a < DATE_LO || a > DATE_HI)
				 ROW_FAILS(EXPR_OVERFLOW);
			 else l[r] = a;);
		break;
	default:
		assert(!"not a binary instruction");
		break;
	}
}

/* One instruction that pushes a value read from the facts or the
 * parameters, over the running rows, into u. */
static void cols_push(struct cols_run *cr, const struct insn *in,
		      const struct expr_cols *c, int64_t *u)
{
	const int64_t *v =
		in->a >= 0 && in->a < F__COUNT ? c->col[in->a] : NULL;
	const int64_t k = in->imm;

	switch ((enum op)in->op) {
	case OP_PUSH:
		EACH_ROW(u[r] = k;);
		break;
	case OP_FIELD:
		EACH_ROW(u[r] = v[r];);
		break;
	case OP_FIELD_S:
		EACH_ROW(u[r] = v[r] ? v[r] : (int64_t)(intptr_t) "";);
		break;
	case OP_PARAM:
		EACH_ROW(const int64_t *pv = c->params ? c->params[r] : NULL;
			 const uint8_t *pn =
				 c->param_null ? c->param_null[r] : NULL;
			 if (!pv || (pn && pn[in->a]))
				 ROW_FAILS(EXPR_NOT_IN_FORCE);
			 else u[r] = pv[in->a];);
		break;
	case OP_ISNULL:
		EACH_ROW(u[r] = (int64_t)((c->null_mask[r] >> in->a) & 1););
		break;
	case OP_NOTNULL:
		EACH_ROW(u[r] = !((c->null_mask[r] >> in->a) & 1););
		break;
	case OP_FEQK:
		EACH_ROW(u[r] = v[r] == k;);
		break;
	case OP_FNEK:
		EACH_ROW(u[r] = v[r] != k;);
		break;
	case OP_FLTK:
		EACH_ROW(u[r] = v[r] < k;);
		break;
	case OP_FLEK:
		EACH_ROW(u[r] = v[r] <= k;);
		break;
	case OP_FGTK:
		EACH_ROW(u[r] = v[r] > k;);
		break;
	case OP_FGEK:
		EACH_ROW(u[r] = v[r] >= k;);
		break;
	case OP_FSEQK:
	case OP_FSNEK:
		EACH_ROW(int eq = col_eq_literal(c, r, in);
			 u[r] = in->op == OP_FSEQK ? eq : !eq;);
		break;
	case OP_SUPPLIER_ON:
		EACH_ROW(if (!c->lists_known[r]) ROW_FAILS(EXPR_LISTS_UNKNOWN);
			 else u[r] = (int64_t)((c->supplier_lists[r] >> in->a) &
					       1););
		break;
	default:
		assert(!"not a push");
		break;
	}
}

/* One instruction that replaces the top value, over the running rows. */
static void cols_unary(struct cols_run *cr, const struct expr *x,
		       const struct insn *in, int64_t *t)
{
	const int64_t *it = NULL;

	if (in->op == OP_IN || in->op == OP_SIN || in->op == OP_INDUSTRY_IN)
		it = list_of(x, in);
	switch ((enum op)in->op) {
	case OP_NOT:
		EACH_ROW(t[r] = !t[r];);
		break;
	case OP_NEG:
		EACH_ROW(if (__builtin_sub_overflow((int64_t)0, t[r], &t[r]))
				 ROW_FAILS(EXPR_OVERFLOW););
		break;
	case OP_IN:
		EACH_ROW(int hit = 0; for (int64_t k = 0; k < in->imm && !hit;
					   k++) hit = it[k] == t[r];
			 t[r] = hit;);
		break;
	case OP_SIN:
		EACH_ROW(const char *v = (const char *)(intptr_t)t[r];
			 int hit = 0;
			 for (int64_t k = 0; k < in->imm && !hit; k++) hit =
				 strcmp((const char *)(intptr_t)it[k], v) == 0;
			 t[r] = hit;);
		break;
	case OP_INDUSTRY_IN:
		EACH_ROW(const char *v = (const char *)(intptr_t)t[r];
			 int hit = 0;
			 for (int64_t k = 0; k < in->imm && !hit; k++) hit =
				 industry_within(v,
						 (const char *)(intptr_t)it[k]);
			 t[r] = hit;);
		break;
	default:
		assert(!"not a unary instruction");
		break;
	}
}

/* A jump over the running rows: JNULL parks the rows whose field is null
 * with b pushed (into u), JFALSE and JTRUE those whose top decides. */
static void cols_jump(struct cols_run *cr, const struct insn *in,
		      const struct expr_cols *c, int64_t *u, const int64_t *t)
{
	switch ((enum op)in->op) {
	case OP_JNULL:
		EACH_ROW(if (c->null_mask[r] & (uint64_t)in->imm) {
			u[r] = in->b;
			cr->rs[r] = in->a;
			cr->changed++;
		});
		break;
	case OP_JFALSE:
		EACH_ROW(if (!t[r]) {
			cr->rs[r] = in->a;
			cr->changed++;
		});
		break;
	case OP_JTRUE:
		EACH_ROW(if (t[r]) {
			cr->rs[r] = in->a;
			cr->changed++;
		});
		break;
	default:
		assert(!"not a jump");
		break;
	}
}

#undef EACH_ROW
#undef ROW_FAILS

/* What a fused program's run keeps of each condition (OP_COND): the
 * rows still on, and each one's bits and first failure. */
struct cols_fused {
	uint8_t *on;
	uint64_t *pass, *not_in_force;
	uint8_t *status, *bad;
};

/* The end of condition k of a fused program, at instruction `at`, with
 * the rows' values in t: a row that ran to it passes when its value
 * holds; one that met a parameter not in force is counted so and goes
 * on with the next condition; one that failed otherwise is out, with
 * its status. The next condition starts with every row that is on. */
static void cols_cond(struct cols_run *cr, struct cols_fused *fz, int k,
		      const int64_t *t)
{
	bool dense = true;

	for (size_t r = 0; r < cr->n; r++) {
		if (!fz->on[r]) {
			dense = false;
			continue;
		}
		if (cr->rs[r] <= cr->at) {
			if (t[r])
				fz->pass[r] |= 1ull << k;
		} else if (cr->status[r] == EXPR_NOT_IN_FORCE) {
			fz->not_in_force[r] |= 1ull << k;
			cr->rs[r] = cr->at + 1;
		} else {
			fz->status[r] = cr->status[r];
			fz->bad[r] = (uint8_t)k;
			fz->on[r] = 0;
			dense = false;
		}
	}
	cr->dense = dense;
}

/* run() over columns: x's code from ip0 to its OP_END, or to the OP_COND
 * that ends the condition ip0 is in, one instruction at a time over every
 * row whose resume is not past it. A jump parks a row until its target; a
 * failure takes it out with its status. The stack's depth at each
 * instruction is the same on every path (the compiler's jumps keep it
 * so), so one depth serves every row. out[r] and status[r] are set for
 * every row that ran. With fz, the run goes through every condition of a
 * fused program to its OP_END, keeping each condition's end in fz. */
static void run_cols(const struct expr *x, const struct insn *ip0,
		     const struct expr_cols *c, struct cols_run *cr,
		     int64_t *out, struct expr_cols_scratch *sc,
		     struct cols_fused *fz)
{
	int d = 0;

	assert(x->max_stack <= EXPR_MAX_DEPTH);
	for (const struct insn *in = ip0;; in++) {
		int64_t *t = d > 0 ? sc->st[d - 1] : NULL;

		assert(d >= 0 && d <= EXPR_MAX_DEPTH);
		cr->at = (int32_t)(in - x->code);
		cr->changed = 0;
		switch ((enum op)in->op) {
		case OP_COND:
			if (fz) {
				assert(d == 1);
				cols_cond(cr, fz, in->a, t);
				d = 0;
				continue;
			}
			/* fall through */
		case OP_END:
			if (fz)
				return;
			assert(d == 1);
			for (size_t r = 0; r < cr->n; r++)
				if (cr->rs[r] <= cr->at) {
					out[r] = t[r];
					cr->status[r] = EXPR_OK;
				}
			return;
		case OP_PUSH:
		case OP_FIELD:
		case OP_FIELD_S:
		case OP_PARAM:
		case OP_ISNULL:
		case OP_NOTNULL:
		case OP_FEQK:
		case OP_FNEK:
		case OP_FLTK:
		case OP_FLEK:
		case OP_FGTK:
		case OP_FGEK:
		case OP_FSEQK:
		case OP_FSNEK:
		case OP_SUPPLIER_ON:
			cols_push(cr, in, c, sc->st[d]);
			d++;
			break;
		case OP_JNULL:
			cols_jump(cr, in, c, sc->st[d], t);
			break;
		case OP_JFALSE:
		case OP_JTRUE:
			cols_jump(cr, in, c, NULL, t);
			d--;
			break;
		case OP_NOT:
		case OP_NEG:
		case OP_IN:
		case OP_SIN:
		case OP_INDUSTRY_IN:
			cols_unary(cr, x, in, t);
			break;
		default:
			assert(d >= 2);
			cols_binary(cr, in, sc->st[d - 2], t);
			d--;
			break;
		}
		if (cr->changed)
			cr->dense = false;
	}
}

/* Start a run over the rows of on: dense when every row is on. */
static void cols_start(struct cols_run *cr, size_t n, const uint8_t *on,
		       uint8_t *status, struct expr_cols_scratch *sc)
{
	cr->rs = sc->resume;
	cr->status = status;
	cr->n = n;
	cr->dense = true;
	for (size_t r = 0; r < n; r++) {
		bool run = !on || on[r];

		sc->resume[r] = run ? 0 : INT32_MAX;
		cr->dense &= run;
	}
}

void expr_eval_columns(const struct expr *x, const struct expr_cols *c,
		       size_t n, const uint8_t *live, int64_t *out,
		       uint8_t *status, struct expr_cols_scratch *sc)
{
	struct cols_run cr;

	assert(x && c && out && status && sc);
	assert(x->ncond == 0 && n <= EXPR_COLS_MAX);
	cols_start(&cr, n, live, status, sc);
	run_cols(x, x->code, c, &cr, out, sc, NULL);
}

void expr_eval_fused_columns(const struct expr *x, const struct expr_cols *c,
			     size_t n, const uint8_t *live, uint64_t *pass,
			     uint64_t *not_in_force, uint8_t *status,
			     uint8_t *bad, struct expr_cols_scratch *sc)
{
	uint8_t st[EXPR_COLS_MAX];
	uint8_t on[EXPR_COLS_MAX];
	struct cols_fused fz = {on, pass, not_in_force, status, bad};
	struct cols_run cr;

	assert(x && c && pass && not_in_force && status && bad && sc);
	assert(x->ncond > 0 && x->ncond <= EXPR_MAX_FUSED &&
	       n <= EXPR_COLS_MAX);
	for (size_t r = 0; r < n; r++) {
		on[r] = !live || live[r];
		if (!on[r])
			continue;
		pass[r] = not_in_force[r] = 0;
		status[r] = EXPR_OK;
		bad[r] = 0;
	}
	/* One run through every condition: each OP_COND is kept in fz. */
	cols_start(&cr, n, on, st, sc);
	run_cols(x, x->code, c, &cr, NULL, sc, &fz);
}
