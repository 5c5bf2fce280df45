/*
 * detail_zh.h - an audit event's detail in Chinese words, for `quan show`.
 *
 * An event's detail is a JSON object with English keys ("why", "amount",
 * "state"). The dashboard's history shows it in Chinese as "label：value"
 * pairs joined by " · " (app.js detailTextZh, labels "dk." in
 * web/static/i18n-zh.js); this module is the same rendering for the CLI,
 * with the same labels, so that the two never say different things.
 * tests/unit/test_detail_zh.c holds the table equal to i18n-zh.js.
 */
#ifndef QUAN_DETAIL_ZH_H
#define QUAN_DETAIL_ZH_H

#include <stddef.h>

/* The Chinese label of a detail key ("why" is 理由); NULL when the table
 * lacks it. Static text. */
const char *detail_zh_label(const char *key);

/* The number of labels in the table, and the i-th key (i < count), so a
 * test can walk the table. */
size_t detail_zh_count(void);
const char *detail_zh_key(size_t i);

/* The Chinese name of an audit action ("approve-first" is 第一审批), as
 * the dashboard's history names it ("act." in the dashboard's dictionaries); NULL when
 * the table lacks it. detail_zh_action_count and detail_zh_action_key walk
 * the table. Static text. */
const char *detail_zh_action(const char *action);
size_t detail_zh_action_count(void);
const char *detail_zh_action_key(size_t i);

/* detail (a JSON text, may be NULL) in Chinese words: each key by its
 * label (the key itself when the table lacks it), a "K_zh" sibling's text
 * in K's place, a state or outcome by its Chinese name, true and false as
 * 是 and 否; ids, numbers and dates as they are. A detail that is not a
 * JSON object comes back as it is. Returns a string the caller frees, or
 * NULL when out of memory. */
char *detail_zh_text(const char *detail);

#endif
