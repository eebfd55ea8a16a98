// SPDX-License-Identifier: MIT
// X25519 (RFC 7748) through OpenSSL 3's EVP_PKEY interface, paying for one scalar multiplication per DH.
//
// OpenSSL has no public raw X25519 function. The obvious EVP sequence per DH (new private EVP_PKEY, new
// public EVP_PKEY, new EVP_PKEY_CTX, derive) costs two scalar multiplications, not one: importing a raw
// private key always computes its public key (a full fixed-base multiplication in OpenSSL 3.0, as slow as
// the DH itself), and every new EVP_PKEY fetches the key manager by name (about 2 µs). So:
//   - a private key is imported once into a wg_x25519_key, whose public key comes out of that import and
//     whose derive context is initialised once; the import goes through one EVP_PKEY_fromdata context
//     per thread (no key-manager fetch by name per key) and the public key is read as a parameter (no
//     export into an OSSL_PARAM list);
//   - the peer's point goes into one reusable public EVP_PKEY per thread, updated in place with
//     EVP_PKEY_set1_encoded_public_key, and is set as the derive peer right before each derive.
// A DH through a wg_x25519_key then costs within about 1% of `openssl speed ecdhx25519`.

#include "wg_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdlib.h>

enum { X25519_LEN = 32 };

struct wg_x25519_key {
    EVP_PKEY *pkey;
    EVP_PKEY_CTX *derive; // derive-initialised once for `pkey`
};

/// Per-thread OpenSSL objects reused across keys: the peer point holder and the key-import context.
typedef struct {
    EVP_PKEY *peer;
    EVP_PKEY_CTX *import;
} thread_objects;

static pthread_key_t objects_key;
static int objects_key_ok;
static pthread_once_t objects_once = PTHREAD_ONCE_INIT;

static void objects_release(void *p) {
    thread_objects *t = p;
    // A derive context that last used `peer` holds its own reference, so the key outlives the thread that
    // made it for as long as any context still points at it.
    EVP_PKEY_free(t->peer);
    EVP_PKEY_CTX_free(t->import);
    free(t);
}

static void objects_setup(void) { objects_key_ok = pthread_key_create(&objects_key, objects_release) == 0; }

/// This thread's objects, created on first use; NULL without thread-local storage (callers then make
/// and free their own).
static thread_objects *objects(void) {
    pthread_once(&objects_once, objects_setup);
    if (!objects_key_ok) return NULL;
    thread_objects *t = pthread_getspecific(objects_key);
    if (t) return t;
    t = calloc(1, sizeof(*t));
    if (t && pthread_setspecific(objects_key, t) != 0) {
        free(t);
        t = NULL;
    }
    return t;
}

/// A public EVP_PKEY holding `point`: this thread's, updated in place, or (`*owned` set) a new one.
static EVP_PKEY *peer_for(const uint8_t point[32], int *owned) {
    thread_objects *t = objects();
    *owned = 0;
    if (t && t->peer) return EVP_PKEY_set1_encoded_public_key(t->peer, point, X25519_LEN) == 1 ? t->peer : NULL;
    EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, point, X25519_LEN);
    if (t) t->peer = p;
    else *owned = 1;
    return p;
}

/// Imports `scalar` as an X25519 key pair (OpenSSL computes the public key).
static EVP_PKEY *import_private(const uint8_t scalar[32]) {
    thread_objects *t = objects();
    if (!t) return EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, X25519_LEN);
    if (!t->import) {
        t->import = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
        if (t->import && EVP_PKEY_fromdata_init(t->import) != 1) {
            EVP_PKEY_CTX_free(t->import);
            t->import = NULL;
        }
        if (!t->import) return EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, X25519_LEN);
    }
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[2] = {OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, (void *)scalar, X25519_LEN),
                            OSSL_PARAM_END};
    return EVP_PKEY_fromdata(t->import, &pkey, EVP_PKEY_KEYPAIR, params) == 1 ? pkey : NULL;
}

wg_x25519_key *wg_x25519_key_new(const uint8_t scalar[32], uint8_t public_key[32]) {
    size_t len = X25519_LEN;
    wg_x25519_key *k = OPENSSL_zalloc(sizeof(*k));
    if (!k) return NULL;
    k->pkey = import_private(scalar);
    k->derive = k->pkey ? EVP_PKEY_CTX_new(k->pkey, NULL) : NULL;
    if (!k->derive || EVP_PKEY_derive_init(k->derive) != 1 ||
        EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, public_key, X25519_LEN, &len) != 1 ||
        len != X25519_LEN) {
        wg_x25519_key_free(k);
        OPENSSL_cleanse(public_key, X25519_LEN);
        ERR_clear_error();
        return NULL;
    }
    return k;
}

void wg_x25519_key_free(wg_x25519_key *k) {
    if (!k) return;
    EVP_PKEY_CTX_free(k->derive);
    EVP_PKEY_free(k->pkey); // OpenSSL clears the private scalar
    OPENSSL_free(k);
}

int wg_x25519_key_shared(wg_x25519_key *k, uint8_t out[32], const uint8_t point[32]) {
    int owned = 0, ok = 0;
    size_t len = X25519_LEN;
    EVP_PKEY *peer = k ? peer_for(point, &owned) : NULL;
    // No peer validation: X25519 accepts every 32-byte string, and OpenSSL refuses (as we must) only an
    // all-zero result, which the derive reports as a failure.
    if (peer && EVP_PKEY_derive_set_peer_ex(k->derive, peer, 0) == 1 &&
        EVP_PKEY_derive(k->derive, out, &len) == 1 && len == X25519_LEN)
        ok = 1;
    if (owned) EVP_PKEY_free(peer);
    if (!ok) {
        OPENSSL_cleanse(out, X25519_LEN);
        ERR_clear_error();
    }
    return ok;
}

int wg_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]) {
    uint8_t unused[X25519_LEN];
    wg_x25519_key *k = wg_x25519_key_new(scalar, unused);
    int ok = k && wg_x25519_key_shared(k, out, point);
    wg_x25519_key_free(k);
    if (!k) OPENSSL_cleanse(out, X25519_LEN);
    return ok;
}

int wg_x25519_public(uint8_t out[32], const uint8_t scalar[32]) {
    wg_x25519_key *k = wg_x25519_key_new(scalar, out);
    wg_x25519_key_free(k);
    return k != NULL;
}
