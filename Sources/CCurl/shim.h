#ifndef ATT_CCURL_SHIM_H
#define ATT_CCURL_SHIM_H

#include <curl/curl.h>

/* Swift does not import C variadic functions: curl_easy_setopt and curl_easy_getinfo are
   wrapped here, one non-variadic shim per argument type. */

typedef size_t (*att_curl_data_callback)(char *buffer, size_t size, size_t count, void *context);
typedef int (*att_curl_xferinfo_callback)(void *context, curl_off_t download_total, curl_off_t download_now,
                                          curl_off_t upload_total, curl_off_t upload_now);

static inline CURLcode att_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode att_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode att_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode att_curl_set_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode att_curl_set_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode att_curl_set_data_callback(CURL *handle, CURLoption option, att_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode att_curl_set_xferinfo_callback(CURL *handle, att_curl_xferinfo_callback value) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value);
}

static inline CURLcode att_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

/* Macros Swift may not import. */
static inline size_t att_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
static inline long att_curl_global_all(void) { return CURL_GLOBAL_ALL; }

#endif
