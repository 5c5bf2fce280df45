/*
 * idkey.h - a short id's key for the policy's hashed look-ups (chips by
 * id, measures by id): its words, compared without a loop, and their hash.
 * Header only: both are a few instructions on the look-up's path.
 */
#ifndef QUAN_IDKEY_H
#define QUAN_IDKEY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* An id's first and last eight bytes; shorter, its first and last four
 * (or first, middle and last byte) in head. With its length, all of an id
 * of up to sixteen bytes, read without a loop. */
static inline void id_words(const char *id, size_t len, uint64_t *head,
			    uint64_t *tail)
{
	uint32_t lo, hi;

	*head = *tail = 0;
	if (len >= 8) {
		memcpy(head, id, 8);
		memcpy(tail, id + len - 8, 8);
	} else if (len >= 4) {
		memcpy(&lo, id, 4);
		memcpy(&hi, id + len - 4, 4);
		*head = lo | (uint64_t)hi << 32;
	} else if (len) {
		*head = (uint64_t)(unsigned char)id[0] |
			(uint64_t)(unsigned char)id[len / 2] << 8 |
			(uint64_t)(unsigned char)id[len - 1] << 16;
	}
}

/* The words and length mixed by one multiplication: the caller takes
 * the high bits it needs (an id is short, so no loop over its bytes). */
static inline uint64_t id_mix(uint64_t head, uint64_t tail, size_t len)
{
	tail = (tail << 29) | (tail >> 35);
	return (head ^ tail ^ (uint64_t)len) * 0x9e3779b97f4a7c15ull;
}

#endif
