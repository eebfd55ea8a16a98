// SPDX-License-Identifier: MIT
// Thin, non-variadic wrappers over OpenSSL libcrypto for the two primitives the data path and the
// handshake need at native speed. Every function returns 1 on success and 0 on failure.
#ifndef WG_CRYPTO_H
#define WG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/// An opaque ChaCha20-Poly1305 context bound to one 32-byte key and one direction.
typedef struct wg_aead wg_aead;

/// Creates a context for `key`; `encrypt` is 1 for sealing, 0 for opening. NULL on failure.
wg_aead *wg_aead_new(const uint8_t key[32], int encrypt);
void wg_aead_free(wg_aead *ctx);

/// Seals `buf[0..<len]` in place with the 12-byte `nonce` and additional data `ad`, writing the
/// 16-byte tag to `tag` (which may directly follow the ciphertext).
int wg_aead_seal(wg_aead *ctx, const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                 uint8_t *buf, size_t len, uint8_t tag[16]);

/// Opens `buf[0..<len]` in place; returns 0 (and leaves garbage in `buf`) when the tag does not verify.
int wg_aead_open(wg_aead *ctx, const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                 uint8_t *buf, size_t len, const uint8_t tag[16]);

/// X25519(scalar, point) into `out`. The scalar is clamped by the curve operation. Returns 0 when OpenSSL
/// refuses the operation, which includes an all-zero result (a small-order point).
int wg_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]);

/// The public key X25519(scalar, 9).
int wg_x25519_public(uint8_t out[32], const uint8_t scalar[32]);

/// Fills `buf` from the kernel's CSPRNG (getrandom(2)); returns 0 on failure.
int wg_getrandom(void *buf, size_t len);

/// Wipes memory in a way the compiler may not elide.
void wg_memzero(void *p, size_t len);

#endif
