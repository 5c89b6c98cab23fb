/*
 * NAME
 *	policy_builtin 3
 * SUMMARY
 *	the shipped classifier rules, compiled into the program
 * SYNOPSIS
 *	#include "policy/policy_int.h"
 * DESCRIPTION
 *	policy/classifier.ini is embedded byte for byte at build time (the
 *	assembler's .incbin, run from the top of the tree), NUL-terminated.
 *	policy_load() reads it after the operator's files, unless the policy
 *	says builtin_rules = no, so the shipped rules are always there and
 *	come after any local rule: a policy without [classifier] classifies
 *	exactly like the shipped one, and nothing has to sit beside it.
 *	Its rules are reported as POLICY_BUILTIN_NAME:LINE.
 *
 *	Owns: nothing; the text is read-only data.
 */
#include <stddef.h>

#include "policy/policy_int.h"

__asm__(".section .rodata\n"
	".global policy_builtin_ini_start\n"
	".type policy_builtin_ini_start, @object\n"
	".balign 16\n"
	"policy_builtin_ini_start:\n"
	".incbin \"policy/classifier.ini\"\n"
	".global policy_builtin_ini_end\n"
	"policy_builtin_ini_end:\n"
	".byte 0\n"
	".previous\n");

extern const char policy_builtin_ini_start[];
extern const char policy_builtin_ini_end[];

const char *policy_builtin_text(size_t *len)
{
	*len = (size_t)(policy_builtin_ini_end - policy_builtin_ini_start);
	return policy_builtin_ini_start;
}
