/*
 * cmd.h - subcommands of the `capacitor` command that live in their own files.
 *
 * Convention: tools/capacitor.c's main() picks the subcommand and calls its function with the
 * argument vector starting AT the subcommand name (argv[0] == "stats"), so the function can
 * run getopt/getopt_long over it directly. The return value is the process exit status:
 * 0 success, 1 the operation failed (the message is already on stderr), 2 a usage error.
 * Output goes to stdout, every error to stderr, each naming the call and the error.
 */
#ifndef CAP_TOOLS_CMD_H
#define CAP_TOOLS_CMD_H

#include <stdio.h>

/* Exit statuses shared by every subcommand. */
enum { CAP_EXIT_OK = 0, CAP_EXIT_FAIL = 1, CAP_EXIT_USAGE = 2 };

/* cap_cmd_stats - `capacitor stats [--json | --prometheus] [--watch SECONDS] ...`
 * (tools/cmd_stats.c): read CAPACITOR_DIR/stats read-only and print it. */
int cap_cmd_stats(int argc, char **argv);

/* cap_cmd_follow - `capacitor follow [OPTIONS] URI | --check URI | --status` (tools/follow.c):
 * invalidate from the server's change stream. */
int cap_cmd_follow(int argc, char **argv);


#endif
