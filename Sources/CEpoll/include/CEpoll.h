// The Linux readiness API for the HTTP event loops: epoll(7) and eventfd(2), which the
// Swift Glibc module does not export.
#ifndef RELIEFLOG_CEPOLL_H
#define RELIEFLOG_CEPOLL_H

#include <sys/epoll.h>
#include <sys/eventfd.h>

#endif
