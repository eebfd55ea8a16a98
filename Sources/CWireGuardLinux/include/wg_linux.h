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
#include <sys/eventfd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/// Opens /dev/net/tun and attaches to (or creates) the TUN interface `name` (IFF_TUN | IFF_NO_PI, plus
/// `extra_flags`). Writes the kernel's chosen name (at most 15 bytes + NUL) to `name_out`.
/// Returns the descriptor, or -errno.
int wg_tun_open(const char *name, int extra_flags, char name_out[16]);

/// TUN flags and offload bits (linux/if_tun.h), named here so Swift need not import that header.
enum {
    WG_IFF_VNET_HDR = 0x4000,
    WG_TUN_F_CSUM = 0x01,
    WG_TUN_F_TSO4 = 0x02,
    WG_TUN_F_TSO6 = 0x04,
    WG_TUN_F_USO4 = 0x20,
    WG_TUN_F_USO6 = 0x40,
};

/// The running kernel's version from uname(2): writes major and minor, returns 0, or -1 if unreadable.
int wg_kernel_version(int *major, int *minor);

/// The TUNSETIFF flags of a TUN descriptor (TUNGETIFF's ifr_flags), or -errno.
int wg_tun_flags(int fd);

/// TUNSETOFFLOAD with `offloads` (WG_TUN_F_* bits). Returns 0 or -errno.
int wg_tun_set_offload(int fd, unsigned offloads);

/// Turns UDP_GRO on for a UDP socket: datagrams of one flow arrive coalesced, with their size in a
/// control message. Returns 0 or -errno.
int wg_udp_enable_gro(int fd);

/// Whether the kernel knows UDP_SEGMENT (getsockopt succeeds). 1 or 0.
int wg_udp_has_gso(int fd);

/// The interface name a TUN descriptor is attached to (TUNGETIFF). Returns 0 or -errno.
int wg_tun_name(int fd, char name_out[16]);

/// The MTU of interface `name` (SIOCGIFMTU). Returns the MTU or -errno.
int wg_interface_mtu(const char *name);

/// Sets the MTU of interface `name` (SIOCSIFMTU). Returns 0 or -errno.
int wg_interface_set_mtu(const char *name, int mtu);

/// The flags of interface `name` (SIOCGIFFLAGS: IFF_UP, IFF_RUNNING…). Returns them (>= 0) or -errno.
int wg_interface_flags(const char *name);

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
    /// Receiving with UDP_GRO: the size of each coalesced datagram in `data` (the last may be shorter),
    /// 0 when `data` holds one datagram.
    uint16_t segment_size;
    uint16_t reserved;
};

/// Receives up to `count` datagrams (recvmmsg, non-blocking), filling `length`, the remote address and
/// the local address from IP_PKTINFO / IPV6_PKTINFO. Returns how many arrived, or -errno.
int wg_recv_batch(int fd, struct wg_datagram *datagrams, unsigned count);

/// Sends `count` datagrams (sendmmsg), each from its local address when `local_family` is set.
/// Returns how many were sent (fewer on a failure after the first), or -errno if the first failed.
int wg_send_batch(int fd, const struct wg_datagram *datagrams, unsigned count);

/// Sends `count` datagrams with sendmmsg, where each run of consecutive datagrams to the same remote from
/// the same local address, of equal length (the run's last may be shorter), at most 64 of them and 65,000
/// bytes, becomes one UDP_SEGMENT (GSO) message when `gso` is set. Returns how many datagrams were sent
/// (fewer on a failure after the first message), or -errno if the first message failed.
int wg_send_batch_gso(int fd, const struct wg_datagram *datagrams, unsigned count, int gso);

/// Unmaps the pages of this process's clean, read-only file mappings (program text and constant data of
/// the executable and its libraries; never a mapping holding a private copy of any page), so that the
/// resident set is what runs from now on rather than what start-up touched. Pages come back from the page
/// cache on their next use. Returns how many kilobytes were resident in the released mappings.
long wg_release_startup_pages(void);

/// Returns free heap memory to the kernel (glibc malloc_trim): what a large UAPI request and its reply
/// left free in the heap stops counting in the resident set.
void wg_release_free_heap(void);

/// Makes every thread allocate from the one main heap (glibc M_ARENA_MAX=1): the data threads do not
/// allocate per packet, and a heap per thread would keep what the UAPI thread freed out of reach of
/// `wg_release_free_heap`. Call before starting threads.
void wg_single_heap(void);

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
