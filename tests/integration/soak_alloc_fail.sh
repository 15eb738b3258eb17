#!/bin/bash
# soak_alloc_fail - t_alloc_fail over every N: each step of its scenario runs once for every
# allocation call it makes, that call failing (the catalog load's loop over pg_proc, thousands
# of calls from one site, is sampled: its first 20, every 50th and its last), and with every
# call from the first and the last of each site on failing (N+).
# Bounded by CAP_SOAK_SECONDS (default 780): a run that reaches it says how far it got.
# Run by `make soak` (tests/integration/run.sh soak_ with CAP_TEST_TIMEOUT=900).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CAP_AF_FULL=1 CAP_AF_JOBS=${CAP_AF_JOBS:-2} CAP_AF_SECONDS=${CAP_SOAK_SECONDS:-780} \
	bash "$CAP_ROOT/tests/integration/t_alloc_fail.sh"
