// OpenSSL's libcrypto, for SHA-256 alone: it runs on the CPU's SHA extensions where
// they exist (libsodium's SHA-256 is portable C, 4-7 times slower at our sizes).
// OpenSSL 3 marks the SHA256_* calls deprecated in favour of EVP, which costs a
// provider lookup or a heap context per digest; they are still part of 3.x.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
