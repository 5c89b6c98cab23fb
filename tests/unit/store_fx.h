/*
 * NAME
 *	store_fx 3h
 * SUMMARY
 *	the store unit tests' fixture: a real Berkeley DB store in a
 *	fresh temporary directory
 * DESCRIPTION
 *	store_fx_setup() makes /tmp/store_fx.XXXXXX and opens a daemon
 *	store in its state/ (store_open creates it); store_fx_teardown()
 *	closes the store and removes the whole directory. A test that
 *	reopens the store keeps fx->st current; fx->dir is state/'s path.
 * DIAGNOSTICS
 *	A store that cannot be opened is reported on stderr and fails the
 *	cmocka setup.
 */
#ifndef TESTS_STORE_FX_H
#define TESTS_STORE_FX_H

#include "store/store.h"

struct store_fx {
	char dir[64];
	struct store *st;
};

/** cmocka setup: a new store_fx in *@param state. */
int store_fx_setup(void **state);

/** cmocka teardown: close the store, remove its directory, free. */
int store_fx_teardown(void **state);

#endif
