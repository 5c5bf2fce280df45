#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read(const char *path, size_t max, const char *what, char **out,
	      size_t *len, struct qerr *e)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int fd, result = Q_OK;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return qerr_set(e, Q_ERR_IO, "", "cannot open '%s': %s", path,
				strerror(errno));
	if (fstat(fd, &st) != 0) {
		result = qerr_set(e, Q_ERR_IO, "", "cannot stat '%s': %s", path,
				  strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		result = qerr_set(e, Q_ERR_IO, "", "'%s' is a directory", path);
		goto done;
	}
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max) {
		result = qerr_set(
			e, Q_ERR_TOO_LARGE, "",
			"'%s' is %lld bytes, more than the limit of %zu for %s",
			path, (long long)st.st_size, max, what);
		goto done;
	}
	/* Read at most one byte past the limit, so that a pipe or a file that
	 * grew since fstat() is refused without reading all of it. */
	buf = malloc(max + 2);
	if (!buf) {
		result = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		goto done;
	}
	while (n < max + 1) {
		ssize_t got = read(fd, buf + n, max + 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			result = qerr_set(e, Q_ERR_IO, "",
					  "cannot read '%s': %s", path,
					  strerror(errno));
			goto done;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		result = qerr_set(
			e, Q_ERR_TOO_LARGE, "",
			"'%s' is more than the limit of %zu bytes for %s", path,
			max, what);
		goto done;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
done:
	free(buf);
	close(fd);
	return result;
}
