// SPDX-License-Identifier: MIT
// Debian's libpng (libpng-dev): its simplified write API (png_image_write_to_memory), no setjmp needed.
#include <png.h>
