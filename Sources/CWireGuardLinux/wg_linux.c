// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include "wg_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <malloc.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

int wg_tun_open(const char *name, int extra_flags, char name_out[16]) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI | extra_flags;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
    name_out[IFNAMSIZ - 1] = 0;
    return fd;
}

int wg_tun_name(int fd, char name_out[16]) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (ioctl(fd, TUNGETIFF, &ifr) < 0) return -errno;
    memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
    name_out[IFNAMSIZ - 1] = 0;
    return 0;
}

int wg_kernel_version(int *major, int *minor) {
    struct utsname u;
    if (uname(&u) != 0) return -1;
    return sscanf(u.release, "%d.%d", major, minor) == 2 ? 0 : -1;
}

int wg_tun_flags(int fd) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (ioctl(fd, TUNGETIFF, &ifr) < 0) return -errno;
    return (unsigned short)ifr.ifr_flags;
}

int wg_tun_set_offload(int fd, unsigned offloads) {
    return ioctl(fd, TUNSETOFFLOAD, (unsigned long)offloads) < 0 ? -errno : 0;
}

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

int wg_udp_enable_gro(int fd) {
    int one = 1;
    return setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof one) < 0 ? -errno : 0;
}

int wg_udp_has_gso(int fd) {
    int value = 0;
    socklen_t len = sizeof value;
    return getsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &value, &len) == 0;
}

/* An interface ioctl (SIOCGIFMTU, SIOCSIFMTU) on a throwaway datagram socket; `ifr` names the interface
 * and carries the value both ways. Returns 0 or -errno. */
static int interface_ioctl(const char *name, unsigned long request, struct ifreq *ifr) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
    int rc = ioctl(s, request, ifr);
    int err = errno;
    close(s);
    return rc < 0 ? -err : 0;
}

int wg_interface_mtu(const char *name) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    int rc = interface_ioctl(name, SIOCGIFMTU, &ifr);
    return rc < 0 ? rc : ifr.ifr_mtu;
}

int wg_interface_flags(const char *name) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    int rc = interface_ioctl(name, SIOCGIFFLAGS, &ifr);
    return rc < 0 ? rc : (int)(unsigned short)ifr.ifr_flags;
}

int wg_interface_set_mtu(const char *name, int mtu) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_mtu = mtu;
    return interface_ioctl(name, SIOCSIFMTU, &ifr);
}

int wg_cmsg_read_pktinfo(const struct msghdr *msg, uint8_t address[16], int *ifindex) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            memcpy(address, &info.ipi_addr, 4);
            *ifindex = info.ipi_ifindex;
            return AF_INET;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            memcpy(address, &info.ipi6_addr, 16);
            *ifindex = (int)info.ipi6_ifindex;
            return AF_INET6;
        }
    }
    return 0;
}

size_t wg_cmsg_pktinfo_space(void) {
    size_t a = CMSG_SPACE(sizeof(struct in_pktinfo)), b = CMSG_SPACE(sizeof(struct in6_pktinfo));
    return a > b ? a : b;
}

size_t wg_cmsg_write_pktinfo(void *control, size_t capacity, int family, const uint8_t *address, int ifindex) {
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_control = control;
    size_t space = family == AF_INET ? CMSG_SPACE(sizeof(struct in_pktinfo)) : CMSG_SPACE(sizeof(struct in6_pktinfo));
    if (space > capacity) return 0;
    memset(control, 0, space);
    msg.msg_controllen = space;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (family == AF_INET) {
        struct in_pktinfo info;
        memset(&info, 0, sizeof info);
        memcpy(&info.ipi_spec_dst, address, 4);
        info.ipi_ifindex = ifindex;
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof info);
        memcpy(CMSG_DATA(c), &info, sizeof info);
    } else {
        struct in6_pktinfo info;
        memset(&info, 0, sizeof info);
        memcpy(&info.ipi6_addr, address, 16);
        info.ipi6_ifindex = (unsigned)ifindex;
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof info);
        memcpy(CMSG_DATA(c), &info, sizeof info);
    }
    return space;
}

enum { WG_BATCH_MAX = 128, WG_CONTROL_SPACE = 96, WG_GSO_BATCH_MAX = 1024, WG_GSO_SEGMENTS = 64,
       WG_GSO_BYTES = 65000 };

static int read_gro_size(const struct msghdr *msg) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO) {
            int size;
            memcpy(&size, CMSG_DATA(c), sizeof size);
            return size;
        }
    }
    return 0;
}

static void fill_remote(struct wg_datagram *d, const struct sockaddr_storage *ss) {
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        d->remote_family = 4;
        memcpy(d->remote_address, &sin->sin_addr, 4);
        d->remote_port = ntohs(sin->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        d->remote_family = 6;
        memcpy(d->remote_address, &sin6->sin6_addr, 16);
        d->remote_port = ntohs(sin6->sin6_port);
    } else {
        d->remote_family = 0;
    }
}

/* Zeroes the headers and points message i at datagram i's buffer (its capacity when receiving, its
 * length when sending) and at names[i]. */
static void link_headers(struct mmsghdr *msgs, struct iovec *iovs, struct sockaddr_storage *names,
                         const struct wg_datagram *datagrams, unsigned count, int receiving) {
    memset(msgs, 0, sizeof(struct mmsghdr) * count);
    for (unsigned i = 0; i < count; i++) {
        iovs[i].iov_base = datagrams[i].data;
        iovs[i].iov_len = receiving ? datagrams[i].capacity : datagrams[i].length;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &names[i];
    }
}

int wg_recv_batch(int fd, struct wg_datagram *datagrams, unsigned count) {
    if (count > WG_BATCH_MAX) count = WG_BATCH_MAX;
    struct mmsghdr msgs[count];
    struct iovec iovs[count];
    struct sockaddr_storage names[count];
    _Alignas(struct cmsghdr) unsigned char control[count][WG_CONTROL_SPACE];
    link_headers(msgs, iovs, names, datagrams, count, 1);
    for (unsigned i = 0; i < count; i++) {
        msgs[i].msg_hdr.msg_namelen = sizeof names[i];
        msgs[i].msg_hdr.msg_control = control[i];
        msgs[i].msg_hdr.msg_controllen = WG_CONTROL_SPACE;
    }
    int n;
    do { n = recvmmsg(fd, msgs, count, MSG_DONTWAIT, NULL); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) {
        struct wg_datagram *d = &datagrams[i];
        d->length = msgs[i].msg_len;
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) d->length = 0;  /* larger than the buffer: drop */
        fill_remote(d, &names[i]);
        int ifindex = 0;
        int family = wg_cmsg_read_pktinfo(&msgs[i].msg_hdr, d->local_address, &ifindex);
        d->local_family = family == AF_INET ? 4 : family == AF_INET6 ? 6 : 0;
        d->local_ifindex = ifindex;
        int gro = read_gro_size(&msgs[i].msg_hdr);
        d->segment_size = gro > 0 && (unsigned)gro < d->length ? (uint16_t)gro : 0;
    }
    return n;
}

/* Fills message header `m`'s destination from `d` and its control data (sticky source, then UDP_SEGMENT
 * when `segment_size` is non-zero). */
static void address_message(struct msghdr *m, struct sockaddr_storage *name, unsigned char *control,
                            const struct wg_datagram *d, uint16_t segment_size) {
    memset(name, 0, sizeof *name);
    m->msg_name = name;
    if (d->remote_family == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)name;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(d->remote_port);
        memcpy(&sin->sin_addr, d->remote_address, 4);
        m->msg_namelen = sizeof *sin;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)name;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(d->remote_port);
        memcpy(&sin6->sin6_addr, d->remote_address, 16);
        m->msg_namelen = sizeof *sin6;
    }
    size_t used = 0;
    if (d->local_family != 0)
        used = wg_cmsg_write_pktinfo(control, WG_CONTROL_SPACE, d->local_family == 4 ? AF_INET : AF_INET6,
                                     d->local_address, d->local_ifindex);
    if (segment_size != 0) {
        struct cmsghdr *c = (struct cmsghdr *)(control + used);
        memset(c, 0, CMSG_SPACE(sizeof(uint16_t)));
        c->cmsg_level = IPPROTO_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        memcpy(CMSG_DATA(c), &segment_size, sizeof segment_size);
        used += CMSG_SPACE(sizeof(uint16_t));
    }
    m->msg_control = used ? control : NULL;
    m->msg_controllen = used;
}

int wg_send_batch(int fd, const struct wg_datagram *datagrams, unsigned count) {
    return wg_send_batch_gso(fd, datagrams, count, 0);
}

static int same_path(const struct wg_datagram *a, const struct wg_datagram *b) {
    return a->remote_family == b->remote_family && a->remote_port == b->remote_port &&
           memcmp(a->remote_address, b->remote_address, 16) == 0 && a->local_family == b->local_family &&
           (a->local_family == 0 ||
            (a->local_ifindex == b->local_ifindex && memcmp(a->local_address, b->local_address, 16) == 0));
}

int wg_send_batch_gso(int fd, const struct wg_datagram *datagrams, unsigned count, int gso) {
    if (count > WG_GSO_BATCH_MAX) count = WG_GSO_BATCH_MAX;
    if (count == 0) return 0;
    struct mmsghdr msgs[count];
    struct iovec iovs[count];
    struct sockaddr_storage names[count];
    unsigned segments[count];
    _Alignas(struct cmsghdr) unsigned char control[count][WG_CONTROL_SPACE];
    unsigned messages = 0;
    memset(msgs, 0, sizeof(struct mmsghdr) * count);
    for (unsigned i = 0; i < count;) {
        unsigned start = i;
        uint32_t size = datagrams[i].length, total = size;
        iovs[i].iov_base = datagrams[i].data;
        iovs[i].iov_len = size;
        i++;
        /* A GSO run: equal sizes, and one shorter datagram may close it (the kernel cuts every
         * segment_size bytes, so only the last may be short). */
        while (gso && i < count && i - start < WG_GSO_SEGMENTS && datagrams[i].length <= size &&
               total + datagrams[i].length <= WG_GSO_BYTES && same_path(&datagrams[start], &datagrams[i])) {
            iovs[i].iov_base = datagrams[i].data;
            iovs[i].iov_len = datagrams[i].length;
            total += datagrams[i].length;
            i++;
            if (datagrams[i - 1].length < size) break;
        }
        struct msghdr *m = &msgs[messages].msg_hdr;
        m->msg_iov = &iovs[start];
        m->msg_iovlen = i - start;
        address_message(m, &names[messages], control[messages], &datagrams[start],
                        i - start > 1 ? (uint16_t)size : 0);
        segments[messages++] = i - start;
    }
    int n;
    do { n = sendmmsg(fd, msgs, messages, MSG_DONTWAIT | MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    int sent = 0;
    for (int k = 0; k < n; k++) sent += (int)segments[k];
    return sent;
}

int wg_accept(int fd) {
    int c;
    do { c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK); } while (c < 0 && errno == EINTR);
    return c < 0 ? -errno : c;
}

void wg_release_free_heap(void) {
    malloc_trim(0);
}

void wg_single_heap(void) {
    mallopt(M_ARENA_MAX, 1);
}

long wg_release_startup_pages(void) {
    enum { MAX_RANGES = 512 };
    FILE *f = fopen("/proc/self/smaps", "re");
    if (!f) return -errno;
    unsigned long starts[MAX_RANGES], ends[MAX_RANGES], begin = 0, end = 0, rss = 0, total = 0;
    int ranges = 0, candidate = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b, value;
        char perms[8], path[2];
        /* A mapping's first line: "start-end perms offset dev inode [path]". */
        int fields = sscanf(line, "%lx-%lx %7s %*s %*s %*s %1s", &a, &b, perms, path);
        if (fields >= 3 && strchr(line, '-') < strchr(line, ' ')) {
            begin = a;
            end = b;
            /* Read-only (never written, so never copied) and backed by a file. */
            candidate = fields == 4 && path[0] == '/' && perms[1] == '-' && perms[3] == 'p';
            continue;
        }
        if (sscanf(line, "Rss: %lu", &value) == 1) rss = value;
        /* No anonymous page: nothing in it is a private copy (such as relocated RELRO data). */
        if (sscanf(line, "Anonymous: %lu", &value) == 1 && candidate && value == 0 && rss > 0 && ranges < MAX_RANGES) {
            starts[ranges] = begin;
            ends[ranges++] = end;
            total += rss;
        }
    }
    fclose(f);
    for (int i = 0; i < ranges; i++) madvise((void *)starts[i], ends[i] - starts[i], MADV_DONTNEED);
    return (long)total;
}
