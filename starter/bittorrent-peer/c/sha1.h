/*
 * SHA-1 (FIPS 180-4), small and self-contained: enough to check a piece and to compute an
 * info_hash. Written for this starter; public domain (no rights reserved): copy, change and
 * use it as you like.
 *
 *   unsigned char digest[20];
 *   sha1(data, len, digest);                  (all at once)
 *
 *   struct sha1_ctx s;                        (or in parts, as the bytes arrive)
 *   sha1_init(&s);
 *   sha1_update(&s, part1, len1);
 *   sha1_update(&s, part2, len2);
 *   sha1_final(&s, digest);
 */
#ifndef SHA1_H
#define SHA1_H

#include <stddef.h>
#include <stdint.h>

struct sha1_ctx {
    uint32_t h[5];
    uint64_t bytes;           /* bytes hashed so far */
    unsigned char block[64];  /* a block being filled */
    size_t used;              /* bytes in block */
};

void sha1_init(struct sha1_ctx *s);
void sha1_update(struct sha1_ctx *s, const void *data, size_t len);
void sha1_final(struct sha1_ctx *s, unsigned char digest[20]);
void sha1(const void *data, size_t len, unsigned char digest[20]);

#endif
