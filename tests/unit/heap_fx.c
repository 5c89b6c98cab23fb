/*
 * NAME
 *	heap_fx 3
 * SUMMARY
 *	the unit tests' heap meter (see heap_fx.h)
 * DESCRIPTION
 *	ASan's __sanitizer_get_current_allocated_bytes() is a weak symbol
 *	here: present only when the sanitizer runtime is linked in.
 * DIAGNOSTICS
 *	None.
 */
#include <malloc.h>

#include "heap_fx.h"

size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

size_t heap_fx_in_use(void)
{
	struct mallinfo2 mi;

	if (__sanitizer_get_current_allocated_bytes != NULL)
		return __sanitizer_get_current_allocated_bytes();
	mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}
