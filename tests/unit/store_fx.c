/*
 * NAME
 *	store_fx 3
 * SUMMARY
 *	a real store in a temporary directory for the store unit tests
 * DESCRIPTION
 *	Owns the fixture it allocates in setup and frees in teardown,
 *	with the directory tree under it.
 * DIAGNOSTICS
 *	store_open()'s error text on stderr when the store cannot be
 *	opened; cmocka then fails the test's setup.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fx.h"
#include "tmpdir_fx.h"

int store_fx_setup(void **state)
{
	struct store_fx *fx = calloc(1, sizeof(*fx));
	char err[512];

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/store_fx.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	strcat(fx->dir, "/state"); /* store_open creates it */
	if (store_open(fx->dir, STORE_OPEN_DAEMON, 0, &fx->st, err,
		       sizeof(err)) != STORE_OK) {
		fprintf(stderr, "%s: %s\n", fx->dir, err);
		fx->dir[strlen(fx->dir) - strlen("/state")] = 0;
		(void)tmpdir_fx_remove(fx->dir);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

int store_fx_teardown(void **state)
{
	struct store_fx *fx = *state;

	store_close(fx->st);
	fx->dir[strlen(fx->dir) - strlen("/state")] = 0;
	(void)tmpdir_fx_remove(fx->dir);
	free(fx);
	return 0;
}
