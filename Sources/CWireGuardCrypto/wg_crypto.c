// SPDX-License-Identifier: MIT
// Small utilities around libcrypto (randomness from the kernel, non-elidable wiping) and the reference loops
// of wireguard-bench: OpenSSL doing the work the bench measures the way `openssl speed` does it, so the two
// figures compare like with like on the same core. The AEAD is in wg_aead.c and X25519 in wg_x25519.c.

#include "wg_crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <errno.h>
#include <sys/random.h>

void wg_memzero(void *p, size_t len) { OPENSSL_cleanse(p, len); }

int wg_getrandom(void *buf, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom((uint8_t *)buf + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return 0;
        }
        done += (size_t)n;
    }
    return 1;
}

// MARK: Benchmark references

enum { REF_AAD_LEN = 13, REF_TAG_LEN = 16 };

int wg_reference_aead(uint8_t *buf, size_t len, uint64_t iterations, int decrypt) {
    // apps/speed.c EVP_Update_loop_aead, one message per iteration: set the IV (EVP_*Init_ex with no
    // cipher and no key), 13 bytes of AAD, the payload in place, Final; decryption sets a fake tag first,
    // so Final fails as it does there, after doing all the work.
    static const uint8_t key[32] = {0x5a}, iv[12] = {0};
    uint8_t aad[REF_AAD_LEN] = {0xcc}, tag[REF_TAG_LEN] = {0xcc};
    int outl = 0, ok = 0;
    if (len > 0x7fffffff) return 0;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!cipher || !ctx || !EVP_CipherInit_ex(ctx, cipher, NULL, key, iv, decrypt ? 0 : 1)) goto done;
    for (uint64_t i = 0; i < iterations; i++) {
        if (decrypt) {
            (void)EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, iv);
            (void)EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, REF_TAG_LEN, tag);
            (void)EVP_DecryptUpdate(ctx, NULL, &outl, aad, REF_AAD_LEN);
            (void)EVP_DecryptUpdate(ctx, buf, &outl, buf, (int)len);
            (void)EVP_DecryptFinal_ex(ctx, buf + outl, &outl);
        } else {
            (void)EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv);
            (void)EVP_EncryptUpdate(ctx, NULL, &outl, aad, REF_AAD_LEN);
            (void)EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)len);
            (void)EVP_EncryptFinal_ex(ctx, buf + outl, &outl);
        }
    }
    ok = 1;
done:
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    ERR_clear_error();
    return ok;
}

int wg_reference_stream(uint8_t *buf, size_t len, uint64_t iterations) {
    // apps/speed.c EVP_Update_loop: what `openssl speed -aead -evp chacha20-poly1305` actually runs on
    // OpenSSL 3.0 (its AEAD loop is chosen by cipher mode, and ChaCha20-Poly1305's mode is "stream"):
    // one key and nonce, then EVP_EncryptUpdate over the same buffer again and again; no per-message work.
    static const uint8_t key[32] = {0x5a}, iv[12] = {0};
    int outl = 0, ok = 0;
    if (len > 0x7fffffff) return 0;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!cipher || !ctx || !EVP_CipherInit_ex(ctx, cipher, NULL, key, iv, 1)) goto done;
    for (uint64_t i = 0; i < iterations; i++) (void)EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)len);
    (void)EVP_EncryptFinal_ex(ctx, buf, &outl);
    ok = 1;
done:
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    ERR_clear_error();
    return ok;
}
