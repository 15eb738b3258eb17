#!/usr/bin/env python3
"""sql_kw.py - generates cache/sql_kw.h, the classifier's keyword and built-in function table.

Run `python3 cache/sql_kw.py > cache/sql_kw.h` after editing the lists below. The hash h()
and slot() must stay in step with the lexer and kw_probe() in cache/sql.c (test_sql checks every
entry is found). Each slot holds the entry's id in its low 16 bits and the high 16 bits of its
hash, so a probe rejects most non-keywords without touching the entry; cap_kw_text holds every
name zero-padded to CAP_KW_TEXT bytes so the lexer compares it a machine word at a time. Classes: SYN = a keyword that may precede '(' without being a call; IMM = a built-in
known immutable; VOL = known volatile or stable; SEQ/LASTID/SESS = the special reasons.
"""
import sys

SLOTS = 4096

def h(name):
    x = 0
    for ch in name.encode():
        if 65 <= ch <= 90:
            ch |= 0x20
        x = ((x * 33) ^ ch) & 0xFFFFFFFF
    return x

def slot(x):
    return ((x * 2654435761) & 0xFFFFFFFF) >> 20

W = lambda s: s.split()

# parser keywords (no function class of their own)
KEYWORDS = W("""
select from where join straight_join on using as with recursive insert update delete merge
replace into values table set group having order limit offset fetch union intersect except
minus window for lock in share mode no key of returning tablesample sql_no_cache
sql_calc_found_rows lateral only dual is not distinct then do conflict duplicate truncate copy
to load data xml create alter drop rename comment grant revoke refresh materialized view index
temp temporary unlogged global local or if exists cascade reindex cluster vacuum analyze
analyse explain describe desc show listen unlisten notify checkpoint declare cursor close move
help flush optimize check repair checksum kill handler unlock begin start transaction work
commit end rollback abort savepoint release prepare prepared xa chain and isolation level read
write committed uncommitted repeatable serializable deferrable session characteristics reset
all discard plans sequences use role authorization names character charset autocommit
deallocate execute call atomic case loop while repeat persist persist_only default true false
off transaction_isolation tx_isolation default_transaction_isolation low_priority
high_priority delayed ignore quick infile concurrently trigger rule policy sequence unique
function procedure consistent snapshot verbose format extended partitions statement password
constraints partition when matched else by rows inner left right full cross outer natural
force time zone ordinality hold ties rollup grant_ option foreign schema database snapshot
recover start_ before after instead search cycle exchange sql security definer algorithm
restart identity continue purge binlog install uninstall signal resignal get diagnostics
shutdown change cache import reassign owned label event server user_ role_ collate over
filter within array row any some cast exists between like ilike similar escape match against
interval primary references constraint include generated sets cube grouping escape window
limit nowait skipped skip locked tables export
""")

SYN = W("""
in exists any some all values as on using over filter group by and or not when then else where
having select from join array row cast lateral between like ilike similar is distinct into set
returning limit offset union intersect except table only conflict partition index key rollup
cube sets materialized with insert case match against interval default to primary unique check
references constraint include generated for of do end escape
""")

IMM_BOTH = W("""
count sum avg min max coalesce nullif greatest least lower upper length char_length
character_length octet_length bit_length substr substring trim ltrim rtrim abs round ceil
ceiling floor mod power pow sqrt exp ln log log10 sign replace left right lpad rpad position
reverse repeat md5 ascii row_number rank dense_rank lag lead first_value last_value nth_value
ntile percent_rank cume_dist stddev stddev_pop stddev_samp variance var_pop var_samp bit_and
bit_or grouping pi radians degrees sin cos tan asin acos atan atan2 cot decimal numeric
varchar char
""")
IMM_PG = W("""
btrim trunc strpos split_part initcap chr translate regexp_replace regexp_match
regexp_matches array_agg string_agg bool_and bool_or every array_length array_upper
array_lower cardinality unnest to_hex encode decode sha256 sha224 sha384 sha512 starts_with
div gcd lcm factorial cbrt width_bucket array_position array_positions array_cat array_append
array_prepend array_remove jsonb_array_length jsonb_typeof jsonb_extract_path
jsonb_extract_path_text json_extract_path json_extract_path_text jsonb_object_keys
jsonb_array_elements jsonb_array_elements_text json_array_elements jsonb_each jsonb_each_text
int4 int8 int2 float8 float4 bool text bpchar overlay percentile_cont percentile_disc mode
""")
IMM_MY = W("""
concat concat_ws if ifnull isnull nvl group_concat any_value bit_xor hex unhex bin oct
conv instr locate field find_in_set elt make_set quote soundex space strcmp crc32 sha sha1
sha2 truncate json_extract json_unquote json_contains json_length json_keys json_object
json_array json_type json_valid json_arrayagg json_objectagg date_add date_sub adddate
subdate datediff timestampdiff timestampadd year month day dayofmonth dayofweek dayofyear
hour minute second quarter week weekday yearweek last_day makedate maketime date time
monthname dayname extract regexp_like regexp_substr regexp_instr inet_aton inet_ntoa
char_length convert binary signed unsigned
""")
VOL_BOTH = W("""
now current_timestamp current_date current_time localtime localtimestamp current_user
session_user version random uuid sleep system_user current_role
""")
VOL_PG = W("""
transaction_timestamp statement_timestamp clock_timestamp timeofday pg_sleep pg_sleep_for
pg_sleep_until age current_setting pg_backend_pid inet_client_addr inet_client_port
inet_server_addr inet_server_port txid_current txid_current_if_assigned pg_current_xact_id
txid_snapshot pg_current_snapshot current_database current_schema current_schemas
current_catalog gen_random_uuid uuid_generate_v1 uuid_generate_v4 setseed to_char to_date
to_timestamp to_number date_trunc date_part extract concat concat_ws format json_build_object
jsonb_build_object json_agg jsonb_agg json_object_agg jsonb_object_agg to_json to_jsonb
row_to_json array_to_json array_to_string string_to_array generate_series has_table_privilege
pg_has_role pg_postmaster_start_time pg_conf_load_time user justify_days justify_hours
isfinite timezone make_timestamptz
""")
VOL_MY = W("""
rand uuid_short sysdate curdate curtime unix_timestamp utc_date utc_time utc_timestamp
benchmark connection_id database schema user load_file from_unixtime convert_tz
date_format str_to_date get_format master_pos_wait source_pos_wait format
current_role
""")
SEQ_PG = W("nextval currval setval lastval")
LASTID_MY = W("last_insert_id found_rows row_count")
SESS_PG = W("""
set_config pg_advisory_lock pg_advisory_lock_shared pg_advisory_unlock
pg_advisory_unlock_shared pg_advisory_unlock_all pg_try_advisory_lock
pg_try_advisory_lock_shared pg_advisory_xact_lock pg_advisory_xact_lock_shared
pg_try_advisory_xact_lock pg_try_advisory_xact_lock_shared pg_notify
""")
SESS_MY = W("get_lock release_lock release_all_locks is_free_lock is_used_lock")
NIL_PG = W("""
current_timestamp current_date current_time localtime localtimestamp current_user
session_user user current_role current_catalog current_schema system_user
""")
NIL_MY = W("""
current_timestamp current_date current_time localtime localtimestamp current_user
utc_date utc_time utc_timestamp
""")
# words after a table reference that are never its alias
NOALIAS = W("""
from on using do where join straight_join on using group having order limit offset fetch union intersect
except minus window for lock into returning set tablesample inner left right full cross
outer natural use force ignore partition with when as values select procedure
""")
# words that end a FROM list at their level
TERM = W("""
where group having order limit offset fetch union intersect except minus window for lock
into returning set when procedure values select
""")

CLS = {"NONE": 0, "IMM": 1, "VOL": 2, "SEQ": 3, "LASTID": 4, "SESS": 5, "SYN": 6}
ent = {}
def get(n):
    n = n.rstrip("_")
    if n not in ent:
        ent[n] = {"pg": 0, "my": 0, "fl": 0}
    return ent[n]
for n in KEYWORDS:
    get(n)
for n in SYN:
    e = get(n); e["pg"] = e["my"] = CLS["SYN"]
def setc(names, cls, pg=True, my=True):
    for n in names:
        e = get(n)
        if pg: e["pg"] = CLS[cls]
        if my: e["my"] = CLS[cls]
setc(IMM_BOTH, "IMM")
setc(IMM_PG, "IMM", my=False)
setc(IMM_MY, "IMM", pg=False)
setc(VOL_BOTH, "VOL")
setc(VOL_PG, "VOL", my=False)
setc(VOL_MY, "VOL", pg=False)
setc(SEQ_PG, "SEQ", my=False)
setc(LASTID_MY, "LASTID", pg=False)
setc(SESS_PG, "SESS", my=False)
setc(SESS_MY, "SESS", pg=False)
for n in NIL_PG: get(n)["fl"] |= 1
for n in NIL_MY: get(n)["fl"] |= 2
for n in NOALIAS + TERM: get(n)["fl"] |= 4
for n in TERM: get(n)["fl"] |= 8

names = sorted(ent)
table = [0] * SLOTS
for i, n in enumerate(names, 1):
    s = slot(h(n))
    while table[s]:
        s = (s + 1) % SLOTS
    table[s] = i
maxlen = max(len(n) for n in names)

o = sys.stdout
o.write("/* sql_kw.h - generated by cache/sql_kw.py: do not edit (edit the lists there). */\n")
o.write("#ifndef CAP_SQL_KW_H\n#define CAP_SQL_KW_H\n\n#include <stdint.h>\n\n")
o.write("enum { KF_NIL_PG = 1, KF_NIL_MY = 2, KF_NOALIAS = 4, KF_TERM = 8 };\n")
o.write("enum { F_NONE = 0, F_IMM, F_VOL, F_SEQ, F_LASTID, F_SESS, F_SYN };\n\n")
o.write("enum cap_kw_id {\n\tKW_NONE = 0,\n")
for n in names:
    o.write("\tKW_%s,\n" % n.upper())
o.write("\tKW__COUNT\n};\n\n#define CAP_KW_MAXLEN %d\n#define CAP_KW_SLOTS %d\n\n" % (maxlen, SLOTS))
o.write("#define CAP_KW_TEXT 32\n\n")
assert maxlen <= 32
o.write("struct cap_kw {\n\tconst char *name;\n\tuint8_t len, pg, my, fl;\n};\n\n")
o.write("static const struct cap_kw cap_kws[KW__COUNT] = {\n\t{ \"\", 0, 0, 0, 0 },\n")
for n in names:
    e = ent[n]
    o.write('\t{ "%s", %d, %d, %d, %d },\n' % (n, len(n), e["pg"], e["my"], e["fl"]))
o.write("};\n\n/* names zero-padded to CAP_KW_TEXT bytes (a name of exactly that length has no NUL) */\n")
o.write("static const unsigned char cap_kw_text[KW__COUNT][CAP_KW_TEXT]\n\t__attribute__((aligned(32))) = {\n\t\"\",\n")
for n in names:
    if len(n) < 32:
        o.write('\t"%s",\n' % n)
    else:  # no room for the NUL: spelled out so no compiler warns about it
        o.write("\t{ " + ", ".join("'%s'" % ch for ch in n) + " },\n")
o.write("};\n\n/* id | (hash & 0xffff0000); 0 = empty */\n")
o.write("static const uint32_t cap_kw_slots[CAP_KW_SLOTS] = {\n")
hi = {}
for i, n in enumerate(names, 1):
    hi[i] = h(n) & 0xFFFF0000
for i in range(0, SLOTS, 8):
    o.write("\t" + ", ".join(("0x%08x" % (v | hi[v])) if v else "0" for v in table[i:i + 8]) + ",\n")
o.write("};\n\n#endif\n")
