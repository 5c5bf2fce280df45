/*
 * signin_audit.c - the budget of failed sign-in events, and addresses
 * recorded as a kind and a mark (signin_audit.h).
 */
#include "http/signin_audit.h"

#include <arpa/inet.h>
#include <assert.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

void signin_audit_init(struct signin_audit *a)
{
	assert(a);
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->mu, NULL);
}

void signin_audit_release(struct signin_audit *a)
{
	assert(a);
	pthread_mutex_destroy(&a->mu);
}

bool signin_audit_admit(struct signin_audit *a, unsigned fails, int64_t locked,
			int64_t now, uint64_t *suppressed)
{
	/* The first failure of a name, and each lock (one try per lock). */
	bool wanted = fails <= 1 || locked > 0;
	bool admit = false;

	assert(a && suppressed);
	*suppressed = 0;
	pthread_mutex_lock(&a->mu);
	if (a->minute != now / 60) {
		a->minute = now / 60;
		a->written = 0;
	}
	if (wanted && a->written < SIGNIN_AUDIT_PER_MINUTE) {
		a->written++;
		*suppressed = a->suppressed;
		a->suppressed = 0;
		admit = true;
	} else if (wanted) {
		a->suppressed++;
	}
	assert(a->written <= SIGNIN_AUDIT_PER_MINUTE);
	pthread_mutex_unlock(&a->mu);
	return admit;
}

static const char *kind4(const unsigned char b[4])
{
	if (b[0] == 127)
		return "loopback";
	if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) ||
	    (b[0] == 192 && b[1] == 168) ||
	    (b[0] == 100 && (b[1] & 0xC0) == 64))
		return "private";
	if (b[0] == 169 && b[1] == 254)
		return "link-local";
	return "public";
}

static const char *kind6(const unsigned char b[16])
{
	static const unsigned char loop[16] = {[15] = 1};
	static const unsigned char mapped[12] = {[10] = 0xFF, [11] = 0xFF};

	if (!memcmp(b, loop, 16))
		return "loopback";
	if (!memcmp(b, mapped, 12))
		return kind4(b + 12);
	if ((b[0] & 0xFE) == 0xFC)
		return "private";
	if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80)
		return "link-local";
	return "public";
}

const char *signin_audit_address(const char *addr, char mark[SIGNIN_AUDIT_MARK])
{
	static const char salt[] = "quan sign-in address:";
	unsigned char md[EVP_MAX_MD_SIZE], b[16];
	unsigned int n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	assert(addr && mark);
	mark[0] = '\0';
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(c, salt, sizeof(salt) - 1) &&
	    EVP_DigestUpdate(c, addr, strlen(addr)) &&
	    EVP_DigestFinal_ex(c, md, &n) && n >= 8)
		for (unsigned i = 0; i < 8; i++)
			snprintf(mark + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(c);
	if (inet_pton(AF_INET, addr, b) == 1)
		return kind4(b);
	if (inet_pton(AF_INET6, addr, b) == 1)
		return kind6(b);
	return "unknown";
}
