/*
 * lang.h - the language a reader asked for, applied to a JSON answer.
 *
 * Decisions carry every text twice: "says" and "says_zh", "words" and
 * "words_zh", "assumption" and "assumption_zh", "note" and "note_zh". A
 * reader who asks for Chinese (Accept-Language: zh, zh-CN, or --lang zh)
 * gets the Chinese in the English key's place, so a client written for the
 * English keys reads Chinese without change; the _zh keys stay. English
 * stays the default.
 */
#ifndef QUAN_LANG_H
#define QUAN_LANG_H

#include <jansson.h>
#include <stdbool.h>

/* Whether an Accept-Language header value (may be NULL) prefers Chinese:
 * a range "zh" or "zh-..." has a higher quality (q=, 1 when absent) than
 * every other range, or the same quality and is named first. q=0 refuses
 * a language; "*" counts as another language (English is the default). */
bool lang_wants_zh(const char *accept_language);

/* In every object under j (j included, depth at most 32), for every key
 * K whose sibling "K_zh" is a string, set K to that string; when K and
 * "K_zh" are both arrays, K's items become K_zh's. Returns 0, or
 * -1 when out of memory (j is then partly converted). */
int lang_localize_zh(json_t *j);

/* The Chinese name of an application's state ("awarded" is 已批准), as
 * the dashboard shows it; state itself when it has none. Static text. */
const char *lang_state_zh(const char *state);

#endif
