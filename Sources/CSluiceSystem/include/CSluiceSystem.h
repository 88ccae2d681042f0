#ifndef SLUICE_CSYSTEM_H
#define SLUICE_CSYSTEM_H
// Thin wrappers over Linux APIs whose macros or variadic signatures Swift's
// Glibc overlay does not import cleanly (epoll event flags, eventfd, fcntl).
#include <stdint.h>

int csys_epoll_create(void);
int csys_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
int csys_epoll_mod(int epfd, int fd, uint32_t events, uint64_t token);
int csys_epoll_del(int epfd, int fd);
/// Waits for events; writes up to `max` (token, events) pairs. Returns count or -1.
int csys_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms);

uint32_t csys_epollin(void);
uint32_t csys_epollout(void);
uint32_t csys_epollerr(void);
uint32_t csys_epollhup(void);
uint32_t csys_epollrdhup(void);
uint32_t csys_epollet(void);

uint32_t csys_epollexclusive(void);

int csys_eventfd(void);
/// Adds 1 to an eventfd counter (wakes its epoll waiter). Returns 0 or -1.
int csys_eventfd_signal(int fd);
/// Resets an eventfd counter to 0. Returns 0 or -1 (EAGAIN when already 0).
int csys_eventfd_drain(int fd);
int csys_set_nonblocking(int fd);

/// Creates a non-blocking IPv4/IPv6 TCP listening socket bound to host:port
/// (host is a numeric address or a name resolved with getaddrinfo).
/// `reuse_port` sets SO_REUSEPORT so several event loops can each own a
/// listener on the same port. Returns the fd, or -errno on failure
/// (-EINVAL for a host that does not resolve).
int csys_tcp_listen(const char *host, int port, int reuse_port, int backlog);
/// The local port a bound socket got (for port 0), or -1.
int csys_local_port(int fd);
/// accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC and TCP_NODELAY set on the result.
/// Returns the fd or -errno.
int csys_accept(int listen_fd);
/// send() with MSG_NOSIGNAL so a peer that went away yields EPIPE, not SIGPIPE.
/// Returns bytes sent or -errno.
long csys_send(int fd, const void *buf, unsigned long len);
/// recv() into buf. Returns bytes read (0 = EOF) or -errno.
long csys_recv(int fd, void *buf, unsigned long len);
/// Monotonic clock in nanoseconds (CLOCK_MONOTONIC).
uint64_t csys_monotonic_ns(void);
/// Seconds since the Unix epoch (CLOCK_REALTIME), for the Date header.
int64_t csys_wall_seconds(void);
/// Ignores SIGPIPE process-wide (writes to closed sockets then fail with EPIPE).
void csys_ignore_sigpipe(void);
/// Raises the soft RLIMIT_NOFILE to the hard limit (a server needs an fd per
/// connection; the usual soft default of 1024 is below our connection limit).
/// Returns the new soft limit, or -1.
long csys_raise_fd_limit(void);
/// Shuts down both directions of a socket (wakes a blocked peer) without closing the fd.
int csys_shutdown(int fd);
/// Shuts down the sending direction only (sends FIN; reading still works), for a lingering close.
int csys_shutdown_write(int fd);

#endif
