// SPDX-License-Identifier: MIT
// Linux calls Swift cannot make directly: variadic ioctl requests on TUN and interfaces, and the CMSG
// macros for IP_PKTINFO / IPV6_PKTINFO. One non-variadic function per request.
#ifndef WG_LINUX_H
#define WG_LINUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
// Re-exported to Swift: Glibc's module map leaves these Linux-only headers out.
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/// Opens /dev/net/tun and attaches to (or creates) the TUN interface `name` (IFF_TUN | IFF_NO_PI, plus
/// `extra_flags`). Writes the kernel's chosen name (at most 15 bytes + NUL) to `name_out`.
/// Returns the descriptor, or -errno.
int wg_tun_open(const char *name, int extra_flags, char name_out[16]);

/// The interface name a TUN descriptor is attached to (TUNGETIFF). Returns 0 or -errno.
int wg_tun_name(int fd, char name_out[16]);

/// The MTU of interface `name` (SIOCGIFMTU). Returns the MTU or -errno.
int wg_interface_mtu(const char *name);

/// One UDP datagram in a batch: the caller's buffer, the remote address, and the local address it arrived
/// on or should leave from (sticky source). Families are 4, 6 or 0 (none).
struct wg_datagram {
    uint8_t *data;
    uint32_t capacity;
    uint32_t length;
    uint8_t remote_family;
    uint8_t local_family;
    uint16_t remote_port;
    int32_t local_ifindex;
    uint8_t remote_address[16];
    uint8_t local_address[16];
};

/// Receives up to `count` datagrams (recvmmsg, non-blocking), filling `length`, the remote address and
/// the local address from IP_PKTINFO / IPV6_PKTINFO. Returns how many arrived, or -errno.
int wg_recv_batch(int fd, struct wg_datagram *datagrams, unsigned count);

/// Sends `count` datagrams (sendmmsg), each from its local address when `local_family` is set.
/// Returns how many were sent (fewer on a failure after the first), or -errno if the first failed.
int wg_send_batch(int fd, const struct wg_datagram *datagrams, unsigned count);

/// accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK); -errno on failure.
int wg_accept(int fd);

/// Local address a datagram arrived on, from its IP_PKTINFO / IPV6_PKTINFO control message.
/// `address` receives 4 or 16 bytes. Returns the family (AF_INET / AF_INET6) or 0 when absent.
int wg_cmsg_read_pktinfo(const struct msghdr *msg, uint8_t address[16], int *ifindex);

/// Writes one IP_PKTINFO (family AF_INET, 4-byte address) or IPV6_PKTINFO (AF_INET6, 16 bytes)
/// control message into `control` (of `capacity` bytes) asking the kernel to send from that address.
/// Returns the control length to store in msg_controllen, or 0 if it does not fit.
size_t wg_cmsg_write_pktinfo(void *control, size_t capacity, int family, const uint8_t *address, int ifindex);

/// Space one pktinfo control message needs (the larger of the two families).
size_t wg_cmsg_pktinfo_space(void);

#endif
