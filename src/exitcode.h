#ifndef ERASECTL_EXITCODE_H
#define ERASECTL_EXITCODE_H
/*
 * exitcode: the exit statuses of DESIGN.md "Exit codes", the contract with
 * the nightly job and every script that drives erasectl. Every path out of
 * the program ends in one of them.
 */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* some requests failed, stay queued */
	EXIT_USAGE = 2,		/* usage or configuration error */
	EXIT_INTEGRITY = 3,	/* ledger or database integrity failure; also
				 * out of memory (the command stopped) */
	EXIT_AUTH = 4,		/* 401/403 from the API, run stopped */
	EXIT_LOCKED = 5,	/* another run holds the lock, or the database
				 * stayed busy */
	EXIT_UNREACHABLE = 6,	/* API unreachable or TLS failed */
};

#endif
