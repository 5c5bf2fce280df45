/*
 * test_routes - the OpenAPI document and the server's route table say the
 * same: every route the server has is in the document with the same
 * roles (x-roles), and every operation of the document is a route.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/server.h"

static const char *const roles[] = {"administrator", "reviewer", "finance",
				    "auditor", "applicant"};

static json_t *load_doc(void)
{
	json_error_t err;
	json_t *doc = json_load_file(QUAN_DATADIR "/openapi.json", 0, &err);

	if (!doc)
		print_error("openapi.json: %d:%d: %s\n", err.line, err.column,
			    err.text);
	assert_non_null(doc);
	return doc;
}

static void lower(const char *in, char *out, size_t n)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < n; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32
							     : in[i]);
	out[i] = '\0';
}

static void every_route_is_documented_with_its_roles(void **state)
{
	json_t *doc = load_doc(), *paths = json_object_get(doc, "paths");

	for (size_t i = 0; i < server_route_count(); i++) {
		const char *method, *path;
		char m[16];
		json_t *op, *xr;

		server_route(i, &method, &path);
		lower(method, m, sizeof(m));
		op = json_object_get(json_object_get(paths, path), m);
		if (!op)
			print_error("%s %s is not in openapi.json\n", method,
				    path);
		assert_non_null(op);
		xr = json_object_get(op, "x-roles");
		assert_true(json_is_array(xr));
		for (size_t k = 0; k < 5; k++) {
			bool listed = false;
			size_t j;
			json_t *v;

			json_array_foreach(xr, j, v) listed |=
				!strcmp(json_string_value(v), roles[k]);
			if (listed != server_route_allows(i, roles[k]))
				print_error("%s %s: role %s: document says %d, "
					    "server %d\n",
					    method, path, roles[k], listed,
					    server_route_allows(i, roles[k]));
			assert_int_equal(listed,
					 server_route_allows(i, roles[k]));
		}
	}
	json_decref(doc);
}

static void every_documented_operation_is_a_route(void **state)
{
	json_t *doc = load_doc(), *paths = json_object_get(doc, "paths");
	const char *path, *m;
	json_t *item, *op;
	size_t ops = 0;

	json_object_foreach(paths, path, item)
	{
		json_object_foreach(item, m, op)
		{
			bool found = false;

			if (!strcmp(m, "parameters"))
				continue;
			ops++;
			if (!strcmp(path, "/v1/openapi.json") ||
			    !strcmp(path, "/healthz") ||
			    !strcmp(path, "/readyz"))
				continue; /* served before routing */
			for (size_t i = 0; i < server_route_count(); i++) {
				const char *rm, *rp;
				char low[16];

				server_route(i, &rm, &rp);
				lower(rm, low, sizeof(low));
				found |= !strcmp(low, m) && !strcmp(rp, path);
			}
			if (!found)
				print_error("%s %s is documented but not "
					    "served\n",
					    m, path);
			assert_true(found);
		}
	}
	assert_int_equal(ops, server_route_count() + 3);
	json_decref(doc);
}

/* The query parameters the document lists for an operation (its own and
 * its path item's, "in": "query"), space-separated in document order. */
static void doc_params(json_t *item, json_t *op, char *out, size_t n)
{
	json_t *lists[2] = {json_object_get(item, "parameters"),
			    json_object_get(op, "parameters")};
	size_t used = 0;

	out[0] = '\0';
	for (size_t l = 0; l < 2; l++) {
		size_t j;
		json_t *p;

		json_array_foreach(lists[l], j, p)
		{
			const char *in =
				json_string_value(json_object_get(p, "in"));
			const char *name =
				json_string_value(json_object_get(p, "name"));
			int w;

			if (!in || strcmp(in, "query"))
				continue; /* a path parameter, or a $ref to one */
			assert_non_null(name);
			w = snprintf(out + used, n - used, "%s%s",
				     used ? " " : "", name);
			assert_true(w > 0 && (size_t)w < n - used);
			used += (size_t)w;
		}
	}
}

/* A query parameter the document does not list is a 400, so the server's
 * list and the document's must be the same, route by route. */
static void every_route_takes_the_documented_query_parameters(void **state)
{
	json_t *doc = load_doc(), *paths = json_object_get(doc, "paths");

	for (size_t i = 0; i < server_route_count(); i++) {
		const char *method, *path;
		char m[16], listed[256];
		json_t *item, *op;

		server_route(i, &method, &path);
		lower(method, m, sizeof(m));
		item = json_object_get(paths, path);
		op = json_object_get(item, m);
		assert_non_null(op);
		doc_params(item, op, listed, sizeof(listed));
		if (strcmp(listed, server_route_params(i)))
			print_error("%s %s: document lists '%s', server takes "
				    "'%s'\n",
				    method, path, listed,
				    server_route_params(i));
		assert_string_equal(listed, server_route_params(i));
	}
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_route_is_documented_with_its_roles),
		cmocka_unit_test(every_documented_operation_is_a_route),
		cmocka_unit_test(
			every_route_takes_the_documented_query_parameters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
