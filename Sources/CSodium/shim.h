#ifndef ATT_CSODIUM_SHIM_H
#define ATT_CSODIUM_SHIM_H
#include <sodium.h>

/* libsodium's variant constants are macros Swift may not import. */
static inline int att_base64_variant_original(void) { return sodium_base64_VARIANT_ORIGINAL; }
static inline int att_base64_variant_original_no_padding(void) { return sodium_base64_VARIANT_ORIGINAL_NO_PADDING; }
#endif
