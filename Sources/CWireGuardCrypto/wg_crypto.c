// SPDX-License-Identifier: MIT
// Small utilities around libcrypto: randomness from the kernel and non-elidable wiping. The AEAD is in
// wg_aead.c and X25519 in wg_x25519.c.

#include "wg_crypto.h"

#include <openssl/crypto.h>
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
