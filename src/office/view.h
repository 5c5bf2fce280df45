/*
 * view.h - a program office as JSON, for `quan show/report --json` and
 * for the HTTP API alike, so both say the same thing in the same words.
 *
 * Money is a decimal yuan string ("1200000.00"), never a JSON number.
 * Every function returns 0 and a new reference in *out (the caller
 * json_decref()s it), or an error code with e filled.
 */
#ifndef QUAN_VIEW_H
#define QUAN_VIEW_H

#include <jansson.h>
#include <stdint.h>

#include "office/office.h"

/* One application in full: id, client_ref (when it had one), program,
 * measure, uscc, name, state, policy, requested, awarded, paid, recovered,
 * approver, approved_by, received_at (the office's time, text), updated_at,
 * decision (as stored, with the trace in words), transfers and history,
 * and settlement when it was settled (the latest settle event's detail,
 * with the decision on the settled value: office_settle).
 * Returns Q_NONE (e untouched) when there is no such application. */
int view_app(struct office *o, const char *id, json_t **out, struct qerr *e);

/* One line of a list: id, client_ref, program, measure, uscc, name, state,
 * requested, awarded, paid, rate, flags, received_at and age_seconds at
 * now. NULL
 * when out of memory. */
json_t *view_app_summary(struct office *o, const struct store_app *a,
			 int64_t now);

/* The review queue of program: its reserved applications awaiting
 * approval, each as view_app_summary's object. Those whose applicant holds
 * an award of the measure's priority program (policy `priority:`) in this
 * office come first, with "priority": {rule, says, holds}; then in the
 * order received. *out: a new array the caller owns. */
int view_queue(struct office *o, const char *program, int64_t now, json_t **out,
	       struct qerr *e);

/* The report: {pools: [{program, pool, year, budget, available,
 * reserved, awarded, paid, recovered, treasury, applications: {state:
 * count}}], programs: [the same sums per program, with program], total:
 * {the same sums over the office}, self_reliance: (view_self_reliance)}. */
int view_report(struct office *o, json_t **out, struct qerr *e);

/* The forecast domestic share of China's AI accelerator market in 2027,
 * 55 % (Bernstein research, as reported in the press, 2025; PROGRAMS.md). */
#define VIEW_DOMESTIC_FORECAST_2027_BP 5500

/* The share of subsidised compute on domestic chips (the chip catalog's
 * domestic flag), from the stored applications: every awarded (its award)
 * or reserved (its reservation) compute application, with its chip, hours
 * and accelerators, by the month its contract was signed. Shares are
 * basis points rounded down: {total: {applications, subsidy,
 * domestic_subsidy, share_yuan_bp, share_yuan, h100_hours,
 * domestic_h100_hours, share_hours_bp, share_hours}, months: [the same
 * with month "YYYY-MM"], forecast_2027: {share_bp, share, source}}. */
int view_self_reliance(struct office *o, json_t **out, struct qerr *e);

/* One pool and year over time: {program, pool, year, budget, points:
 * [{at, available, reserved, paid}]}: the figures after each second in
 * which the pool moved, at most 400 of them spread evenly (the first and
 * the last kept). Walks every transfer of the ledger.
 * Q_ERR_NOT_FOUND when the pool and year have no accounts. */
int view_burndown(struct office *o, const char *program, const char *pool,
		  int year, json_t **out, struct qerr *e);

/* The programs the office holds: {programs: [{program, name, issuer,
 * hash, pools: [{id, name, budgets: [{year, amount}]}], measures: [{id,
 * name, pool, kinds, allocation}]}]}. */
int view_programs(struct office *o, json_t **out, struct qerr *e);

/* Why waitlisted application a waits (waiting.c): *out (NULL when a does
 * not wait) {position, ahead, ahead_amount, head, head_requested, pool,
 * available, order, why, why_zh}: its place in its pool's waitlist, the
 * applications and amount received before it, the first in line and what
 * it asks, the pool's available amount, and the reason in English and
 * Chinese (the office's own wording). The caller json_decref()s. */
int view_waiting(struct office *o, const struct store_app *a, json_t **out,
		 struct qerr *e);

#endif
