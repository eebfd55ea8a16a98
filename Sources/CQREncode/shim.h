// SPDX-License-Identifier: MIT
// Debian's libqrencode (libqrencode-dev): QR symbols as module matrices.
#include <qrencode.h>
