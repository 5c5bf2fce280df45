/*
 * lang.c - the language of a command's output: --lang, or the locale.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

const char *cli_lang_env(void)
{
	static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && v[0])
			return strncmp(v, "zh", 2) ? "en" : "zh";
	}
	return "en";
}

int cli_lang_arg(const char *verb, const char *value, const char **lang)
{
	assert(verb && lang);
	if (!value) {
		*lang = cli_lang_env();
		return 0;
	}
	if (strcmp(value, "zh") && strcmp(value, "en")) {
		fprintf(stderr,
			"quan %s: unknown language '%s': use en or zh\n", verb,
			value);
		return EXIT_BAD_POLICY;
	}
	*lang = value;
	return 0;
}

int cli_lang_take(const char *verb, int *argc, char **argv, const char **lang)
{
	const char *value = NULL;
	int out = 1;

	assert(argc && *argc >= 1 && argv);
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--lang")) {
			if (i + 1 >= *argc) {
				fprintf(stderr,
					"quan %s: --lang needs a value: en or zh\n",
					verb);
				return EXIT_BAD_POLICY;
			}
			value = argv[++i];
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
	return cli_lang_arg(verb, value, lang);
}

bool cli_zh(const char *lang)
{
	return lang && !strcmp(lang, "zh");
}
