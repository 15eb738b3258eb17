#!/bin/bash
# soak_follow_pg - t_follow_pg with 50,000 outside writes against the cached reader (make soak).
export CAP_FOLLOW_N=${CAP_FOLLOW_N:-50000}
exec bash "$(dirname "${BASH_SOURCE[0]}")/t_follow_pg.sh"
