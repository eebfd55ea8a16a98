// SPDX-License-Identifier: MIT
// ChaCha20-Poly1305 through OpenSSL 3, in place, with as little per-message work as OpenSSL allows.
//
// Per message a WireGuard packet needs: a new nonce, the Poly1305 one-time key (one ChaCha20 block), the
// cipher over the payload, and the tag. Going through EVP_CipherInit_ex2 / EVP_CipherUpdate /
// EVP_CipherFinal_ex / EVP_CIPHER_CTX_ctrl adds about 1,800 instructions of dispatch per packet on
// OpenSSL 3.0 (an OSSL_PARAM round trip for the IV length on every init, another for the tag, state checks in
// each EVP call). The same provider functions EVP ends up in are reachable through the public provider API
// (OSSL_PROVIDER_query_operation, provider-cipher(7)): we look up the dispatch table of the provider that
// EVP_CIPHER_fetch chose, once, and call its init/update/final directly. That is what libcrypto does itself,
// minus the bookkeeping, and saves about 10% of the per-packet time at 1420 bytes (see
// Sources/WireGuardBenchmarks). If the table cannot be read (an unusual provider), every context falls back
// to the EVP calls, which give the same bytes.

#include "wg_crypto.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

enum { KEY_LEN = 32, NONCE_LEN = 12, TAG_LEN = 16, MAX_CHUNK = 0x7fffffff };

static const char cipher_name[] = "ChaCha20-Poly1305";

/// The provider's own entry points for ChaCha20-Poly1305; `usable` is 0 when any is missing.
static struct {
    int usable;
    void *provctx;
    OSSL_FUNC_cipher_newctx_fn *newctx;
    OSSL_FUNC_cipher_freectx_fn *freectx;
    OSSL_FUNC_cipher_encrypt_init_fn *einit;
    OSSL_FUNC_cipher_decrypt_init_fn *dinit;
    OSSL_FUNC_cipher_update_fn *update;
    OSSL_FUNC_cipher_final_fn *final;
    OSSL_FUNC_cipher_get_ctx_params_fn *get_params;
    OSSL_FUNC_cipher_set_ctx_params_fn *set_params;
} direct;

/// Fetched once and never freed: an implicit fetch in every EVP_CipherInit would cost a lock per packet,
/// and holding the fetched cipher keeps its provider (and so `direct`) loaded for the process lifetime.
static EVP_CIPHER *cipher;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

/// True when the colon-separated provider name list `names` contains `name` (case-insensitively).
static int names_contain(const char *names, const char *name) {
    size_t n = strlen(name);
    for (const char *p = names; p && *p;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncasecmp(p, name, n) == 0) return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static void read_dispatch_table(const OSSL_DISPATCH *d) {
    for (; d->function_id != 0; d++) {
        switch (d->function_id) {
        case OSSL_FUNC_CIPHER_NEWCTX: direct.newctx = OSSL_FUNC_cipher_newctx(d); break;
        case OSSL_FUNC_CIPHER_FREECTX: direct.freectx = OSSL_FUNC_cipher_freectx(d); break;
        case OSSL_FUNC_CIPHER_ENCRYPT_INIT: direct.einit = OSSL_FUNC_cipher_encrypt_init(d); break;
        case OSSL_FUNC_CIPHER_DECRYPT_INIT: direct.dinit = OSSL_FUNC_cipher_decrypt_init(d); break;
        case OSSL_FUNC_CIPHER_UPDATE: direct.update = OSSL_FUNC_cipher_update(d); break;
        case OSSL_FUNC_CIPHER_FINAL: direct.final = OSSL_FUNC_cipher_final(d); break;
        case OSSL_FUNC_CIPHER_GET_CTX_PARAMS: direct.get_params = OSSL_FUNC_cipher_get_ctx_params(d); break;
        case OSSL_FUNC_CIPHER_SET_CTX_PARAMS: direct.set_params = OSSL_FUNC_cipher_set_ctx_params(d); break;
        default: break;
        }
    }
}

static void setup(void) {
    cipher = EVP_CIPHER_fetch(NULL, cipher_name, NULL);
    if (!cipher) return;
    OSSL_PROVIDER *prov = (OSSL_PROVIDER *)EVP_CIPHER_get0_provider(cipher);
    int no_cache = 0;
    const OSSL_ALGORITHM *algs = prov ? OSSL_PROVIDER_query_operation(prov, OSSL_OP_CIPHER, &no_cache) : NULL;
    for (const OSSL_ALGORITHM *a = algs; a && a->algorithm_names; a++) {
        if (names_contain(a->algorithm_names, cipher_name)) {
            read_dispatch_table(a->implementation);
            break;
        }
    }
    if (algs) OSSL_PROVIDER_unquery_operation(prov, OSSL_OP_CIPHER, algs);
    direct.provctx = prov ? OSSL_PROVIDER_get0_provider_ctx(prov) : NULL;
    direct.usable = direct.provctx && direct.newctx && direct.freectx && direct.einit && direct.dinit &&
                    direct.update && direct.final && direct.get_params && direct.set_params;
    ERR_clear_error();
}

struct wg_aead {
    void *pctx;           // provider context (direct path), or NULL
    EVP_CIPHER_CTX *ectx; // EVP context (fallback path), or NULL
    int encrypt;
};

int wg_aead_uses_provider_dispatch(void) {
    pthread_once(&setup_once, setup);
    return direct.usable;
}

/// Keys (and re-keys) `a` for `encrypt`; `nonce` may be NULL. Returns 1 on success.
static int aead_init(wg_aead *a, const uint8_t *key, const uint8_t *nonce, int encrypt) {
    a->encrypt = encrypt ? 1 : 0;
    if (a->pctx) {
        OSSL_FUNC_cipher_encrypt_init_fn *init = a->encrypt ? direct.einit : direct.dinit;
        return init(a->pctx, key, key ? KEY_LEN : 0, nonce, nonce ? NONCE_LEN : 0, NULL) == 1;
    }
    return EVP_CipherInit_ex2(a->ectx, key ? cipher : NULL, key, nonce, a->encrypt, NULL) == 1;
}

static int aead_create(wg_aead *a, int use_evp) {
    pthread_once(&setup_once, setup);
    if (!cipher) return 0;
    if (direct.usable && !use_evp) a->pctx = direct.newctx(direct.provctx);
    else a->ectx = EVP_CIPHER_CTX_new();
    return a->pctx || a->ectx;
}

static void aead_destroy(wg_aead *a) {
    if (a->pctx) direct.freectx(a->pctx); // both free functions clear the key schedule
    EVP_CIPHER_CTX_free(a->ectx);
    a->pctx = NULL;
    a->ectx = NULL;
}

wg_aead *wg_aead_new_backend(const uint8_t key[32], int encrypt, int use_evp) {
    wg_aead *a = OPENSSL_zalloc(sizeof(*a));
    if (!a) return NULL;
    if (!aead_create(a, use_evp) || !aead_init(a, key, NULL, encrypt)) {
        wg_aead_free(a);
        return NULL;
    }
    return a;
}

wg_aead *wg_aead_new(const uint8_t key[32], int encrypt) { return wg_aead_new_backend(key, encrypt, 0); }

void wg_aead_free(wg_aead *a) {
    if (!a) return;
    aead_destroy(a);
    OPENSSL_free(a);
}

/// One whole AEAD message in place: nonce, optional AD, `len` bytes at `buf`, and the tag (written when
/// sealing, checked when opening). Returns 1 on success, 0 on failure or a tag mismatch.
static int aead_run(wg_aead *a, const uint8_t nonce[12], const uint8_t *ad, size_t ad_len, uint8_t *buf,
                    size_t len, uint8_t *tag) {
    if (len > MAX_CHUNK || ad_len > MAX_CHUNK || !aead_init(a, NULL, nonce, a->encrypt)) return 0;
    if (a->pctx) {
        size_t out = 0, fin = 0;
        // Additional data goes in with no output buffer; the output size is its length, as EVP passes it.
        if (ad_len > 0 && !direct.update(a->pctx, NULL, &out, ad_len, ad, ad_len)) return 0;
        if (len > 0 && !direct.update(a->pctx, buf, &out, len, buf, len)) return 0;
        OSSL_PARAM params[2] = {OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, TAG_LEN), OSSL_PARAM_END};
        if (a->encrypt)
            return direct.final(a->pctx, buf + len, &fin, 0) == 1 && direct.get_params(a->pctx, params) == 1;
        // The tag is set before the final call, which compares it in constant time.
        return direct.set_params(a->pctx, params) == 1 && direct.final(a->pctx, buf + len, &fin, 0) == 1;
    }
    int out = 0, fin = 0;
    if (ad_len > 0 && !EVP_CipherUpdate(a->ectx, NULL, &out, ad, (int)ad_len)) return 0;
    if (len > 0 && !EVP_CipherUpdate(a->ectx, buf, &out, buf, (int)len)) return 0;
    if (a->encrypt) return EVP_CipherFinal_ex(a->ectx, buf + out, &fin) == 1 &&
                           EVP_CIPHER_CTX_ctrl(a->ectx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, tag) == 1;
    return EVP_CIPHER_CTX_ctrl(a->ectx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tag) == 1 &&
           EVP_CipherFinal_ex(a->ectx, buf + out, &fin) == 1;
}

int wg_aead_seal(wg_aead *a, const uint8_t nonce[12], const uint8_t *ad, size_t ad_len, uint8_t *buf, size_t len,
                 uint8_t tag[16]) {
    return a && a->encrypt && aead_run(a, nonce, ad, ad_len, buf, len, tag);
}

int wg_aead_open(wg_aead *a, const uint8_t nonce[12], const uint8_t *ad, size_t ad_len, uint8_t *buf, size_t len,
                 const uint8_t tag[16]) {
    uint8_t expected[TAG_LEN]; // aead_run writes the tag when sealing; opening hands it a copy of the const one
    memcpy(expected, tag, TAG_LEN);
    return a && !a->encrypt && aead_run(a, nonce, ad, ad_len, buf, len, expected);
}

/// WireGuard's nonce: 32 zero bits, then the counter as a little-endian 64-bit integer.
static void counter_nonce(uint8_t nonce[12], uint64_t counter) {
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++) nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

int wg_aead_seal_counter(wg_aead *a, uint64_t counter, uint8_t *buf, size_t len) {
    uint8_t nonce[NONCE_LEN];
    counter_nonce(nonce, counter);
    return a && a->encrypt && aead_run(a, nonce, NULL, 0, buf, len, buf + len);
}

int wg_aead_open_counter(wg_aead *a, uint64_t counter, uint8_t *buf, size_t len) {
    uint8_t nonce[NONCE_LEN];
    counter_nonce(nonce, counter);
    return wg_aead_open(a, nonce, NULL, 0, buf, len, buf + len);
}

// One-shot messages (the handshake's, cookie replies) reuse one context per thread, re-keyed per call, so
// they allocate nothing after a thread's first call. After each use the context is re-keyed with zeros and
// finalised once, which overwrites the key and the Poly1305 state derived from it.

static pthread_key_t oneshot_key;
static int oneshot_key_ok;
static pthread_once_t oneshot_once = PTHREAD_ONCE_INIT;

static void oneshot_release(void *p) { wg_aead_free(p); }
static void oneshot_setup(void) { oneshot_key_ok = pthread_key_create(&oneshot_key, oneshot_release) == 0; }

static int oneshot(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t ad_len, uint8_t *buf,
                   size_t len, uint8_t tag[16], int encrypt) {
    static const uint8_t zeros[KEY_LEN];
    uint8_t scratch[TAG_LEN];
    pthread_once(&oneshot_once, oneshot_setup);
    wg_aead *a = oneshot_key_ok ? pthread_getspecific(oneshot_key) : NULL;
    int cached = a != NULL;
    if (!a) {
        a = wg_aead_new(key, encrypt);
        if (!a) return 0;
        cached = oneshot_key_ok && pthread_setspecific(oneshot_key, a) == 0;
    }
    int ok = aead_init(a, key, NULL, encrypt) && aead_run(a, nonce, ad, ad_len, buf, len, tag);
    if (!ok) ERR_clear_error();
    if (!cached) {
        wg_aead_free(a);
    } else if (!aead_init(a, zeros, NULL, 1) || !aead_run(a, zeros, NULL, 0, scratch, 0, scratch)) {
        pthread_setspecific(oneshot_key, NULL); // cannot wipe in place: free (which clears) instead
        wg_aead_free(a);
        ERR_clear_error();
    }
    return ok;
}

int wg_aead_seal_once(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                      uint8_t *buf, size_t len, uint8_t tag[16]) {
    return oneshot(key, nonce, ad, ad_len, buf, len, tag, 1);
}

int wg_aead_open_once(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ad, size_t ad_len,
                      uint8_t *buf, size_t len, const uint8_t tag[16]) {
    uint8_t expected[TAG_LEN];
    memcpy(expected, tag, TAG_LEN);
    return oneshot(key, nonce, ad, ad_len, buf, len, expected, 0);
}
