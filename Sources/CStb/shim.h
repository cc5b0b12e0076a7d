// Debian's libstb.so carries the implementations; these are declarations only.
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
