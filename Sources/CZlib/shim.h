#ifndef ATT_CZLIB_SHIM_H
#define ATT_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit is a macro over inflateInit_; give Swift a function. */
static inline int att_inflate_init(z_stream *s) { return inflateInit(s); }
#endif
