/*
 * NAME
 *	priv_seccomp 3
 * SUMMARY
 *	the dropped daemon's seccomp filter: no exec, no foreign syscall ABI
 * SYNOPSIS
 *	#include "priv/priv.h"
 * DESCRIPTION
 *	priv_seccomp_prog() gives the classic BPF program; priv_seccomp_apply()
 *	installs it (after PR_SET_NO_NEW_PRIVS). The program first checks
 *	seccomp_data.arch against the architecture retryd was built for
 *	(AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386): a syscall
 *	made through another ABI (int 0x80 on x86_64) has other numbers, so
 *	it kills the process instead of being compared with ours. On x86_64
 *	a syscall number with __X32_SYSCALL_BIT set (the x32 ABI shares the
 *	arch value) kills the process too. Then execve and execveat fail
 *	with EPERM; everything else is allowed (this is a no-exec filter,
 *	not an allow-list).
 * DIAGNOSTICS
 *	priv_seccomp_apply() returns -1 with errno when the kernel refuses
 *	the filter, or ENOSYS when retryd was built for an architecture this
 *	file does not know (then there is no filter: the caller logs it).
 * SECURITY
 *	Inherited by every child and kept across fork; it cannot be removed.
 */
#include "priv/priv.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define PRIV_AUDIT_ARCH AUDIT_ARCH_X86_64
#define PRIV_X32_BIT	0x40000000u /* __X32_SYSCALL_BIT */
#elif defined(__aarch64__)
#define PRIV_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define PRIV_AUDIT_ARCH AUDIT_ARCH_I386
#endif

#define PRIV_LD(field)                                                         \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define PRIV_RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

int priv_seccomp_prog(struct sock_fprog *prog)
{
#ifdef PRIV_AUDIT_ARCH
	static struct sock_filter f[] = {
	    PRIV_LD(arch),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PRIV_AUDIT_ARCH, 1, 0),
	    PRIV_RET(SECCOMP_RET_KILL_PROCESS),
	    PRIV_LD(nr),
#ifdef PRIV_X32_BIT
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PRIV_X32_BIT, 0, 1),
	    PRIV_RET(SECCOMP_RET_KILL_PROCESS),
#endif
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 1, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execveat, 0, 1),
	    PRIV_RET(SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
	    PRIV_RET(SECCOMP_RET_ALLOW),
	};

	prog->len = (unsigned short)(sizeof(f) / sizeof(f[0]));
	prog->filter = f;
	return 0;
#else
	(void)prog;
	errno = ENOSYS;
	return -1;
#endif
}

int priv_seccomp_apply(void)
{
	struct sock_fprog prog;

	if (priv_seccomp_prog(&prog) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
