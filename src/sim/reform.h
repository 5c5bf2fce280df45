/*
 * reform.h - a policy with reforms applied: YAML overlays that change
 * dated parameters from a date, replace an eligibility condition's `when`
 * or a measure's rate table (docs/simulate.md, "Reforms").
 *
 * A reform edits the policy's YAML tree, and the edited tree is loaded by
 * policy_load_buf like any policy file: the result is a real struct
 * policy, decided by the one engine. Every problem is a diagnostic at
 * file:line:column: in the reform's own structure (an unknown key, a
 * measure or condition the policy does not have, another program), and,
 * when the policy loader refuses what a change made, at the change that
 * made it, with the loader's message.
 */
#ifndef QUAN_REFORM_H
#define QUAN_REFORM_H

#include <stddef.h>

#include "policy/diag.h"
#include "policy/policy.h"

#define REFORM_MAX 16		      /* reforms chained on one policy */
#define REFORM_MAX_BYTES (256u << 10) /* a reform file above 256 KiB */

/* Load the policy at policy_path with the reforms at paths[0..n) applied
 * in order. Returns 0 (*out owned by the caller, policy_free), or
 * Q_ERR_POLICY (problems in d), Q_ERR_IO, Q_ERR_TOO_LARGE, Q_ERR_NOMEM.
 * The reformed policy's path is "POLICY+REFORM+...". */
int reform_load(const char *policy_path, const char *const *paths, size_t n,
		struct policy **out, struct diag_list *d);

/* The same from buffers: one policy, n reforms (names[k], bufs[k],
 * lens[k]). */
int reform_load_buf(const char *pname, const char *pbuf, size_t plen,
		    const char *const *names, const char *const *bufs,
		    const size_t *lens, size_t n, struct policy **out,
		    struct diag_list *d);

#endif
