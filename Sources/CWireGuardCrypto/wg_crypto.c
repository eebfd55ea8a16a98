// SPDX-License-Identifier: MIT
#include "wg_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

struct wg_aead {
    EVP_CIPHER_CTX *ctx;
    int encrypt;
};

static EVP_CIPHER *chacha_cipher(void) {
    // Fetched once: an implicit fetch inside every EVP_CipherInit would cost a lock per packet.
    static EVP_CIPHER *cipher;
    EVP_CIPHER *c = __atomic_load_n(&cipher, __ATOMIC_ACQUIRE);
    if (c) return c;
    c = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
    if (!c) return NULL;
    EVP_CIPHER *expected = NULL;
    if (!__atomic_compare_exchange_n(&cipher, &expected, c, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        EVP_CIPHER_free(c);
        c = expected;
    }
    return c;
}

wg_aead *wg_aead_new(const uint8_t key[32], int encrypt) {
    EVP_CIPHER *cipher = chacha_cipher();
    if (!cipher) return NULL;
    wg_aead *a = OPENSSL_zalloc(sizeof(*a));
    if (!a) return NULL;
    a->ctx = EVP_CIPHER_CTX_new();
    a->encrypt = encrypt ? 1 : 0;
    if (!a->ctx || !EVP_CipherInit_ex2(a->ctx, cipher, key, NULL, a->encrypt, NULL)) {
        wg_aead_free(a);
        return NULL;
    }
    return a;
}

void wg_aead_free(wg_aead *a) {
    if (!a) return;
    EVP_CIPHER_CTX_free(a->ctx); // clears the key schedule
    OPENSSL_free(a);
}

static int aead_begin(wg_aead *a, const uint8_t nonce[12], const uint8_t *ad, size_t ad_len) {
    int out_len = 0;
    if (!EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, a->encrypt, NULL)) return 0;
    if (ad_len > 0 && !EVP_CipherUpdate(a->ctx, NULL, &out_len, ad, (int)ad_len)) return 0;
    return 1;
}

int wg_aead_seal(wg_aead *a, const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                 uint8_t *buf, size_t len, uint8_t tag[16]) {
    int out_len = 0, final_len = 0;
    if (!a || !a->encrypt || len > 0x7fffffff || !aead_begin(a, nonce, ad, ad_len)) return 0;
    if (len > 0 && !EVP_CipherUpdate(a->ctx, buf, &out_len, buf, (int)len)) return 0;
    if (!EVP_CipherFinal_ex(a->ctx, buf + out_len, &final_len)) return 0;
    return EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1;
}

int wg_aead_open(wg_aead *a, const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                 uint8_t *buf, size_t len, const uint8_t tag[16]) {
    int out_len = 0, final_len = 0;
    uint8_t tag_copy[16];
    if (!a || a->encrypt || len > 0x7fffffff || !aead_begin(a, nonce, ad, ad_len)) return 0;
    memcpy(tag_copy, tag, 16);
    if (len > 0 && !EVP_CipherUpdate(a->ctx, buf, &out_len, buf, (int)len)) return 0;
    if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag_copy) != 1) return 0;
    return EVP_CipherFinal_ex(a->ctx, buf + out_len, &final_len) == 1;
}

int wg_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]) {
    int ok = 0;
    size_t out_len = 32;
    EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
    EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, point, 32);
    EVP_PKEY_CTX *ctx = priv ? EVP_PKEY_CTX_new(priv, NULL) : NULL;
    if (ctx && pub && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, pub) == 1 &&
        EVP_PKEY_derive(ctx, out, &out_len) == 1 && out_len == 32)
        ok = 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(priv);
    if (!ok) OPENSSL_cleanse(out, 32);
    return ok;
}

int wg_x25519_public(uint8_t out[32], const uint8_t scalar[32]) {
    size_t out_len = 32;
    EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
    int ok = priv && EVP_PKEY_get_raw_public_key(priv, out, &out_len) == 1 && out_len == 32;
    EVP_PKEY_free(priv);
    return ok;
}

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
