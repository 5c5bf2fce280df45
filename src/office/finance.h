/*
 * finance.h - what the finance officer does after awards are made: payment
 * batches with voucher numbers (凭证号), paid through the office's own
 * disbursement path, and the bank statement reconciled against them.
 *
 * A batch groups awarded applications with money left to pay; each gets a
 * payment of what remains (awarded - paid) under a voucher number
 * "PZ-<year>-<nnnnnn>", sequential per year of the office's calendar and
 * never reused, and the payee's bank account: given with the batch, or the
 * application's optional applicant.bank_account. Paying a batch disburses
 * each planned payment through office_move with the voucher as its
 * idempotency key, so a batch paid again, or a run cut short and retried,
 * pays each voucher once; a payment the office refuses (a public notice
 * still running, an open objection, the approver paying) stays planned and
 * is listed. A bank statement (CSV, docs/finance.md) settles the paid
 * payments it matches by reference (the voucher, or the bank's reference
 * recorded at payment) and amount; every line and every paid payment it
 * does not match is listed, never guessed.
 *
 * Every answer is a new JSON object the caller json_decref()s. Every change
 * is one transaction with its audit event ("batch-new", "voucher-paid",
 * "reconcile"); a refused request writes nothing.
 */
#ifndef QUAN_FINANCE_H
#define QUAN_FINANCE_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "office/office.h"

#define FINANCE_BATCH_MAX 2000	     /* payments in one batch */
#define FINANCE_STATEMENT_MAX 100000 /* lines of one bank statement */
#define FINANCE_ACCOUNT_MAX 40	     /* characters of a bank account */

/* What a new batch takes: the applications (ids[0..nids); none: every
 * awarded application of the filters with money left to pay, payable
 * today, not in a planned payment, with a bank account), the filters
 * (NULL or "" for none), the payees' accounts as "ID=ACCOUNT" (they win
 * over the applications' own), and an idempotency key (NULL for none). */
struct finance_batch_req {
	const char *program, *measure;
	const char *const *ids;
	size_t nids;
	const char *const *accounts;
	size_t naccounts;
	const char *key;
};

/* Make a batch by `by` at now. *answer: its id, payments (voucher,
 * application, payee, account, amount), total, and "skipped" (the
 * applications the filters found but left out, and why). Refused: an id
 * that is not an awarded application with money left, or already in a
 * planned payment, or held from payment, or without an account; a batch
 * with no payment. The same key and request answer the first answer again
 * ("replayed": true). */
int finance_batch_new(struct office *o, const struct finance_batch_req *r,
		      const char *by, int64_t now, json_t **answer,
		      struct qerr *e);

/* Pay every planned payment of batch by `by` at now; refs[0..nrefs) are
 * "VOUCHER=BANKREF", the bank's reference of a payment when known. key is
 * required. *answer: "paid" now, "already" paid before, "refused" (with
 * why), and total paid now. The key is recorded only when nothing was
 * refused, so the same key after a refusal (a notice that ended since)
 * pays what is left; the same key after a full payment answers again. */
int finance_batch_pay(struct office *o, const char *batch,
		      const char *const *refs, size_t nrefs, const char *key,
		      const char *by, int64_t now, json_t **answer,
		      struct qerr *e);

/* A batch with its payments (Q_ERR_NOT_FOUND when there is none), and
 * every batch with its counts and totals per state. */
int finance_batch_json(struct office *o, const char *batch, json_t **out,
		       struct qerr *e);
int finance_batches_json(struct office *o, json_t **out, struct qerr *e);

/* Reconcile the bank statement csv (len bytes; header and columns in
 * docs/finance.md) by `by` at now. *answer: "matched" (voucher, amount,
 * date), "unmatched_lines" (line, reference, amount, why) and
 * "unmatched_payments" (paid and still not settled). A malformed
 * statement is refused whole (e names the line). */
int finance_reconcile(struct office *o, const char *csv, size_t len,
		      const char *by, int64_t now, json_t **answer,
		      struct qerr *e);

/* Whether s is a bank account as the office records it: 1 to
 * FINANCE_ACCOUNT_MAX characters of digits, letters, spaces and '-'. */
bool finance_account_valid(const char *s);

#endif
