/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Symbolic names a policy may use for argument values and errno actions.
 * Values come from the system headers of the build, so they are the native
 * architecture's. */
#include <linux/netlink.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "policy-internal.h"

#define C(x) { #x, (uint64_t) (x) }

static const struct {
        const char *name;
        uint64_t value;
} constants[] = {
        /* ioctl requests that reach into other processes' terminals */
        C(TIOCSTI), C(TIOCLINUX), C(TIOCCONS), C(TIOCSETD), C(TIOCSCTTY),

        /* clone/unshare flags */
        C(CLONE_VM), C(CLONE_FS), C(CLONE_FILES), C(CLONE_SIGHAND), C(CLONE_PIDFD),
        C(CLONE_PTRACE), C(CLONE_VFORK), C(CLONE_PARENT), C(CLONE_THREAD), C(CLONE_NEWNS),
        C(CLONE_SYSVSEM), C(CLONE_SETTLS), C(CLONE_PARENT_SETTID), C(CLONE_CHILD_CLEARTID),
        C(CLONE_DETACHED), C(CLONE_UNTRACED), C(CLONE_CHILD_SETTID), C(CLONE_NEWCGROUP),
        C(CLONE_NEWUTS), C(CLONE_NEWIPC), C(CLONE_NEWUSER), C(CLONE_NEWPID), C(CLONE_NEWNET),
        C(CLONE_IO), C(CLONE_NEWTIME),

        /* socket families and types */
        C(AF_UNSPEC), C(AF_UNIX), C(AF_LOCAL), C(AF_INET), C(AF_INET6), C(AF_NETLINK),
        C(AF_PACKET), C(AF_BLUETOOTH), C(AF_VSOCK), C(AF_ALG), C(AF_KEY), C(AF_XDP),
        C(AF_CAN), C(AF_TIPC), C(AF_RDS), C(AF_APPLETALK), C(AF_X25), C(AF_AX25),
        C(AF_IPX), C(AF_LLC), C(AF_NFC), C(AF_PPPOX), C(AF_SMC), C(AF_MCTP),
        C(SOCK_STREAM), C(SOCK_DGRAM), C(SOCK_RAW), C(SOCK_SEQPACKET), C(SOCK_RDM),
        C(SOCK_PACKET), C(SOCK_NONBLOCK), C(SOCK_CLOEXEC),
        /* The type bits of socket()'s type argument, below SOCK_NONBLOCK and
         * SOCK_CLOEXEC; the kernel's name (include/linux/net.h), not in the
         * C library's headers. */
        { "SOCK_TYPE_MASK", 0xf },

        /* netlink protocols */
        C(IPPROTO_IP), C(IPPROTO_ICMP), C(IPPROTO_TCP), C(IPPROTO_UDP), C(IPPROTO_ICMPV6), C(IPPROTO_SCTP),
        C(IPPROTO_UDPLITE), C(IPPROTO_MPTCP),
        C(NETLINK_ROUTE), C(NETLINK_SOCK_DIAG), C(NETLINK_AUDIT), C(NETLINK_KOBJECT_UEVENT),
        C(NETLINK_GENERIC),

        /* personality(2) */
        C(PER_LINUX), C(PER_LINUX_32BIT), C(PER_LINUX32), C(PER_LINUX32_3GB), C(PER_SVR4),
        C(PER_BSD), C(UNAME26), C(ADDR_NO_RANDOMIZE), C(FDPIC_FUNCPTRS), C(MMAP_PAGE_ZERO),
        C(ADDR_COMPAT_LAYOUT), C(READ_IMPLIES_EXEC), C(ADDR_LIMIT_32BIT), C(SHORT_INODE),
        C(WHOLE_SECONDS), C(STICKY_TIMEOUTS), C(ADDR_LIMIT_3GB),

        /* prctl(2) options worth singling out */
        C(PR_SET_NO_NEW_PRIVS), C(PR_SET_SECCOMP), C(PR_SET_DUMPABLE), C(PR_SET_PTRACER),
        C(PR_SET_MM), C(PR_SET_NAME), C(PR_GET_NAME), C(PR_CAPBSET_DROP), C(PR_CAP_AMBIENT),
        C(PR_SET_PDEATHSIG), C(PR_SET_CHILD_SUBREAPER),
};

int policy_constant_lookup(const char *name, uint64_t *ret) {
        for (size_t i = 0; i < ELEMENTSOF(constants); i++)
                if (strcmp(constants[i].name, name) == 0) {
                        *ret = constants[i].value;
                        return 0;
                }
        return -ENOENT;
}

int policy_errno_from_name(const char *name) {
        /* glibc names every errno value it knows; the highest is well below 200. */
        for (int e = 1; e < 256; e++) {
                const char *s = strerrorname_np(e);
                if (s && strcmp(s, name) == 0)
                        return e;
        }
        return 0;
}
