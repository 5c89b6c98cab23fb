/*
 * NAME
 *	heap_fx 3h
 * SUMMARY
 *	the unit tests' heap meter: bytes the process has allocated now
 * DESCRIPTION
 *	heap_fx_in_use() asks ASan's allocator when the test is built with
 *	it (the bytes requested), glibc's mallinfo2() otherwise (in use in
 *	the heap and in mmap'ed chunks). A test takes it before and after
 *	building something to bound what that costs in memory.
 * DIAGNOSTICS
 *	None.
 */
#ifndef TESTS_HEAP_FX_H
#define TESTS_HEAP_FX_H

#include <stddef.h>

/** Bytes allocated and not yet freed by the whole process. */
size_t heap_fx_in_use(void);

#endif
