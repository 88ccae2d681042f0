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

int csys_eventfd(void);
int csys_set_nonblocking(int fd);

#endif
