/*
 * cmd_dump: `pytt dump PID`, the Python stacks (with locals) of every thread of a live CPython
 * process, read from its memory while it is briefly stopped, like `py-spy dump --locals`.
 */
#ifndef PYTT_CMD_DUMP_H
#define PYTT_CMD_DUMP_H

/* argv[0] is "dump". Returns the process exit status. */
int cli_dump_main(int argc, char **argv);

#endif
