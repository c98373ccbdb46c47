#ifndef ATT_CMICROHTTPD_SHIM_H
#define ATT_CMICROHTTPD_SHIM_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

/* Swift does not import C variadic functions (MHD_start_daemon, MHD_get_daemon_info,
   MHD_get_connection_info). These non-variadic shims are the only way in. */

/* The URI log callback's type (MHD documents it but has no typedef). */
typedef void *(*att_mhd_uri_log_callback)(void *cls, const char *uri,
                                          struct MHD_Connection *connection);

/* Starts a daemon. The three callbacks are typed here; every other option comes
   in `options`, an array ended by an MHD_OPTION_END item (integers in `value`,
   pointers in `ptr_value`). Port 0 with a SOCK_ADDR option means "use the address". */
static inline struct MHD_Daemon *
att_mhd_start(unsigned int flags,
              MHD_AccessHandlerCallback handler, void *handler_cls,
              MHD_RequestCompletedCallback completed, void *completed_cls,
              att_mhd_uri_log_callback uri_log, void *uri_log_cls,
              const struct MHD_OptionItem *options)
{
  return MHD_start_daemon (flags, 0, NULL, NULL, handler, handler_cls,
                           MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                           MHD_OPTION_URI_LOG_CALLBACK, uri_log, uri_log_cls,
                           MHD_OPTION_ARRAY, options,
                           MHD_OPTION_END);
}

/* The port the daemon listens on (useful after binding port 0); 0 if unknown. */
static inline uint16_t
att_mhd_bound_port(struct MHD_Daemon *daemon)
{
  const union MHD_DaemonInfo *info =
    MHD_get_daemon_info (daemon, MHD_DAEMON_INFO_BIND_PORT);
  return (NULL == info) ? 0 : info->port;
}

/* Writes the client's IP address as text into buf; returns 0, or -1 if unknown. */
static inline int
att_mhd_client_address(struct MHD_Connection *connection, char *buf, size_t len)
{
  const union MHD_ConnectionInfo *info =
    MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if ((NULL == info) || (NULL == info->client_addr) || (0 == len))
    return -1;
  const struct sockaddr *sa = info->client_addr;
  const void *src;
  if (AF_INET == sa->sa_family)
    src = &((const struct sockaddr_in *) sa)->sin_addr;
  else if (AF_INET6 == sa->sa_family)
    src = &((const struct sockaddr_in6 *) sa)->sin6_addr;
  else
    return -1;
  return (NULL == inet_ntop (sa->sa_family, src, buf, (socklen_t) len)) ? -1 : 0;
}

/* Builds a sockaddr_in / sockaddr_in6 for a numeric host. Returns its length, or 0
   if `host` is not a numeric IPv4 or IPv6 address. `out` must hold a sockaddr_in6. */
static inline socklen_t
att_mhd_make_sockaddr(const char *host, uint16_t port, struct sockaddr_in6 *out)
{
  memset (out, 0, sizeof (*out));
  struct sockaddr_in *v4 = (struct sockaddr_in *) out;
  if (1 == inet_pton (AF_INET, host, &v4->sin_addr))
  {
    v4->sin_family = AF_INET;
    v4->sin_port = htons (port);
    return sizeof (struct sockaddr_in);
  }
  memset (out, 0, sizeof (*out));
  if (1 == inet_pton (AF_INET6, host, &out->sin6_addr))
  {
    out->sin6_family = AF_INET6;
    out->sin6_port = htons (port);
    return sizeof (struct sockaddr_in6);
  }
  return 0;
}

/* True if the numeric address is loopback (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
static inline int
att_mhd_is_loopback(const struct sockaddr_in6 *addr)
{
  if (AF_INET == addr->sin6_family)
  {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *) addr;
    return 127 == (ntohl (v4->sin_addr.s_addr) >> 24);
  }
  if (AF_INET6 == addr->sin6_family)
  {
    if (IN6_IS_ADDR_LOOPBACK (&addr->sin6_addr))
      return 1;
    if (IN6_IS_ADDR_V4MAPPED (&addr->sin6_addr))
      return 127 == addr->sin6_addr.s6_addr[12];
  }
  return 0;
}

#endif
