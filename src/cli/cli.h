/*
 * cli.h - what the commands of `quan` share.
 *
 * Exit codes, for every command: 0 done (for estimate: decided, eligible or
 * not), 1 bad input (usage, application, file), 2 bad policy (or a policy
 * that cannot decide an application, or a bad chip catalog).
 */
#ifndef QUAN_CLI_H
#define QUAN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/chips.h"
#include "policy/policy.h"

enum { EXIT_DECIDED = 0, EXIT_BAD_INPUT = 1, EXIT_BAD_POLICY = 2 };

/* The version, from the VERSION file at the repository's root (the
 * Makefile passes it). */
#ifndef QUAN_VERSION
#define QUAN_VERSION "unknown"
#endif

/* Whether arg asks for help (--help or -h). Every command answers it with
 * its usage on stdout and exit 0; main.c turns --help anywhere among a
 * command's arguments into `COMMAND --help`. */
bool cli_is_help(const char *arg);

int cmd_policy(int argc, char **argv);
int cmd_estimate(int argc, char **argv);
int cmd_policy_test(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_withdraw(int argc, char **argv);
int cmd_disburse(int argc, char **argv);
int cmd_clawback(int argc, char **argv);
int cmd_settle(int argc, char **argv);
int cmd_notice(int argc, char **argv);
int cmd_objection(int argc, char **argv);
int cmd_letter(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_list(int argc, char **argv); /* cmd_list.c */
/* `quan review --approve` with several ids (cmd_bulk.c): exit 0 when
 * none was refused. lang "zh" prints it in Chinese. */
int cli_review_bulk(const char *db, const char *chips, const char *const *ids,
		    size_t n, const char *rate_t, const char *key,
		    const char *by, bool json, const char *lang);
int cmd_expire(int argc, char **argv);
int cmd_round(int argc, char **argv);
int cmd_milestone(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_program(int argc, char **argv);
int cmd_registry(int argc, char **argv);
int cmd_lists(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_forecast(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_attach(int argc, char **argv);	  /* cmd_attach.c */
int cmd_documents(int argc, char **argv); /* cmd_attach.c */
int cmd_export(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);

/* `quan audit anchor` and `quan audit verify --anchor` (cmd_anchor.c):
 * cmd_audit hands them over; the latter checks the anchor, then runs the
 * plain verify (cmd_audit without --anchor and --pub). */
int cmd_audit_anchor(int argc, char **argv);
int cmd_audit_verify_anchor(int argc, char **argv);
bool cli_audit_anchor_asked(int argc, char **argv);

/* The office's clock (clock.c): the system's time, or QUAN_NOW when set
 * (a time like 2025-09-01T10:00:00+08:00; a malformed one is reported and
 * the command exits 1). cli_now reads QUAN_NOW as a fixed instant, for
 * commands that run for a moment; cli_clock_offset gives QUAN_NOW minus
 * the system's time (0 when unset; EXIT_BAD_INPUT when malformed), so that
 * a long-running server's clock moves on from it. */
int64_t cli_now(void);
bool cli_clock_set(void);
int cli_clock_offset(int64_t *offset);

/* Mark an office just opened when QUAN_NOW sets its clock: every audit
 * event it writes records it, and a notice goes to stderr. */
struct office;
void cli_clock_mark(struct office *off);
/* The same, the notice in lang ("en" or "zh", as cli_lang_arg gives it);
 * cli_clock_mark follows the locale. */
void cli_clock_mark_in(struct office *off, const char *lang);

/* Load the policy at path; print every problem to stderr. Returns the exit
 * code (0 on success, *out set; the caller frees it with policy_free). */
int cli_load_policy(const char *path, struct policy **out);

/* Load the chip catalog from path, or $QUAN_CHIPS, or the catalog
 * installed with quan (QUAN_DATADIR/chips.yaml). Same convention. */
int cli_load_chips(const char *path, struct chip_catalog **out);

/* Load the holiday calendar: QUAN_HOLIDAYS, or the one installed with
 * quan (QUAN_DATADIR/holidays.yaml). Prints the error; 0 or an exit
 * code. Release with holidays_release. */
struct holidays;
int cli_load_holidays(struct holidays *out);

/* The comparison's defaults, for `quan serve`: the cost table
 * ($QUAN_COSTS or the bundled data/costs.yaml) and every policy of the
 * bundled policies/ directory (at most COMPARE_MAX_PROGRAMS). Prints what
 * fails; returns the exit code. The caller frees what was loaded, even on
 * failure (*n policies, *costs). */
struct cost_table;
int cli_compare_load(struct cost_table **costs, struct policy **pols,
		     size_t *n);

/* The language of a command's output (lang.c), "en" or "zh": --lang, or
 * else the first of LC_ALL, LC_MESSAGES, LANG that is set and not empty
 * (zh_CN.UTF-8 is Chinese), or else English. cli_lang_env reads the
 * locale alone. cli_lang_arg checks --lang's value (NULL: not given);
 * another value than en or zh is reported, naming it, and answers
 * EXIT_BAD_POLICY (2); 0 with *lang set otherwise. cli_lang_take does the
 * same for a verb with its own parser: it removes every `--lang VALUE`
 * before a lone "--" from argv (and *argc) first. */
const char *cli_lang_env(void);
int cli_lang_arg(const char *verb, const char *value, const char **lang);
int cli_lang_take(const char *verb, int *argc, char **argv, const char **lang);
bool cli_zh(const char *lang); /* lang is "zh" */

/* Exit code for an error code from deciding or parsing. */
int cli_exit_for(int code);

#endif
