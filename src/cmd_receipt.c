#include "commands.h"

#include "log.h"
#include "banned.h"

int cmd_receipt(int argc, char **argv, struct app *app)
{
	(void)argc;
	(void)argv;
	(void)app;
	return error("'receipt' is not built yet") ? EXIT_USAGE : EXIT_USAGE;
}
