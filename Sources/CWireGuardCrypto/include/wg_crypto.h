// SPDX-License-Identifier: MIT
// Thin, non-variadic wrappers over OpenSSL libcrypto for the two primitives the data path and the
// handshake need at native speed. Every int-returning function returns 1 on success and 0 on failure.
// Contexts and keys are not thread-safe: use one per thread at a time.
#ifndef WG_CRYPTO_H
#define WG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

// MARK: ChaCha20-Poly1305 (wg_aead.c)

/// An opaque ChaCha20-Poly1305 context bound to one 32-byte key and one direction.
typedef struct wg_aead wg_aead;

/// Creates a context for `key`; `encrypt` is 1 for sealing, 0 for opening. NULL on failure.
wg_aead *wg_aead_new(const uint8_t key[32], int encrypt);

/// `wg_aead_new`, forcing the EVP_Cipher* calls when `use_evp` is 1 instead of the provider's own functions
/// (tests compare the two; both give the same bytes).
wg_aead *wg_aead_new_backend(const uint8_t key[32], int encrypt, int use_evp);

/// Frees a context and clears its key schedule. NULL is ignored.
void wg_aead_free(wg_aead *ctx);

/// 1 when contexts call the provider's ChaCha20-Poly1305 functions directly, 0 when they go through EVP.
int wg_aead_uses_provider_dispatch(void);

/// Seals `buf[0..<len]` in place with the 12-byte `nonce` and additional data `ad`, writing the
/// 16-byte tag to `tag` (which may directly follow the ciphertext).
int wg_aead_seal(wg_aead *ctx, const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                 uint8_t *buf, size_t len, uint8_t tag[16]);

/// Opens `buf[0..<len]` in place; returns 0 (and leaves garbage in `buf`) when the tag does not verify.
int wg_aead_open(wg_aead *ctx, const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                 uint8_t *buf, size_t len, const uint8_t tag[16]);

/// WireGuard transport: seals `buf[0..<len]` in place with nonce 0^32 || LE64(counter) and no additional
/// data, writing the tag at `buf + len`.
int wg_aead_seal_counter(wg_aead *ctx, uint64_t counter, uint8_t *buf, size_t len);

/// WireGuard transport: opens `buf[0..<len]` in place, the tag being at `buf + len`.
int wg_aead_open_counter(wg_aead *ctx, uint64_t counter, uint8_t *buf, size_t len);

/// One-shot `wg_aead_seal` under `key`. Reuses a per-thread context (wiped after every call), so it
/// allocates nothing after the thread's first call.
int wg_aead_seal_once(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                      uint8_t *buf, size_t len, uint8_t tag[16]);

/// One-shot `wg_aead_open` under `key`, like `wg_aead_seal_once`.
int wg_aead_open_once(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                      uint8_t *buf, size_t len, const uint8_t tag[16]);

// MARK: X25519 (wg_x25519.c)

/// An opaque X25519 private key loaded into OpenSSL once, ready for any number of DH computations.
typedef struct wg_x25519_key wg_x25519_key;

/// Loads `scalar` (clamped by the curve operation) and writes its public key X25519(scalar, 9) to
/// `public_key`. This costs one scalar multiplication; NULL on failure.
wg_x25519_key *wg_x25519_key_new(const uint8_t scalar[32], uint8_t public_key[32]);

/// Frees a key; OpenSSL clears the scalar. NULL is ignored.
void wg_x25519_key_free(wg_x25519_key *key);

/// X25519(key, point) into `out`: one scalar multiplication. Returns 0 (and zeroes `out`) when OpenSSL
/// refuses, which includes an all-zero result (a small-order point).
int wg_x25519_key_shared(wg_x25519_key *key, uint8_t out[32], const uint8_t point[32]);

/// One-shot X25519(scalar, point) into `out`, with `wg_x25519_key_shared`'s failure rule. Costs two scalar
/// multiplications (loading the scalar computes its public key); use a wg_x25519_key for repeated DH.
int wg_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]);

/// The public key X25519(scalar, 9).
int wg_x25519_public(uint8_t out[32], const uint8_t scalar[32]);

// MARK: Benchmark references (wg_crypto.c)

/// `iterations` messages of `len` bytes in place at `buf` through EVP exactly as OpenSSL's apps/speed.c
/// AEAD loop does it (IV set per message, 13 bytes of AAD, payload, Final); `decrypt` = 1 as with
/// `openssl speed -decrypt` (fake tag). Returns 0 if OpenSSL cannot set up the cipher.
int wg_reference_aead(uint8_t *buf, size_t len, uint64_t iterations, int decrypt);

/// `iterations` EVP_EncryptUpdate calls over `buf[0..<len]` under one key and nonce, with no per-message
/// work: what `openssl speed -aead -evp chacha20-poly1305` runs on OpenSSL 3.0.
int wg_reference_stream(uint8_t *buf, size_t len, uint64_t iterations);

// MARK: Utilities (wg_crypto.c)

/// Fills `buf` from the kernel's CSPRNG (getrandom(2)); returns 0 on failure.
int wg_getrandom(void *buf, size_t len);

/// Wipes memory in a way the compiler may not elide.
void wg_memzero(void *p, size_t len);

#endif
