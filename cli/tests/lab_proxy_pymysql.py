"""PyMySQL (pure Python, no Kerberos plugin) through `kerb proxy`'s Unix socket.

argv: SOCKET USER DATABASE. Prints 'ok' after every check passed; any failure raises.
"""
import sys

import pymysql
from pymysql.constants import CLIENT, COMMAND

sock, user, db = sys.argv[1:4]
conn = pymysql.connect(
    unix_socket=sock,
    user=user,
    password="ignored by the proxy",
    database=db,
    charset="utf8mb4",
    client_flag=CLIENT.MULTI_STATEMENTS,
    max_allowed_packet=64 * 1024 * 1024,
)
cur = conn.cursor()
cur.execute("SELECT CURRENT_USER(), DATABASE()")
assert cur.fetchone() == (f"{user}@%", db), "identity"
cur.execute("SELECT id, name, note, CAST(amount AS CHAR) FROM proxy_rows ORDER BY id")
rows = cur.fetchall()
assert rows == (
    (1, "ascii", None, "1.50"),
    (2, "ünïcødé ✓", "tab\there", "-2.25"),
    (3, "quote's", "line\nbreak", "0.00"),
), rows

# Multi-statement, multi-result sets.
cur.execute("SELECT 1 AS a; SELECT 'two' AS b, NULL; SELECT id FROM proxy_rows ORDER BY id")
assert cur.fetchall() == ((1,),)
assert cur.nextset()
assert cur.fetchall() == (("two", None),)
assert cur.nextset()
assert cur.fetchall() == ((1,), (2,), (3,))
assert not cur.nextset()

# Packets over 16 MiB both ways (split into 0xFFFFFF chunks by client and server).
big = "k" * (20 * 1024 * 1024 + 7)
cur.execute("SELECT LENGTH(%s), %s", (big, big[:5]))
assert cur.fetchone() == (len(big), "kkkkk")
cur.execute("SELECT REPEAT('ab', 9000000)")
assert cur.fetchone()[0] == "ab" * 9000000

# An ERR in the command phase passes unchanged and the session goes on.
try:
    cur.execute("SELECT * FROM no_such_table")
    raise AssertionError("no error")
except pymysql.err.ProgrammingError as e:
    assert e.args[0] == 1146, e.args
cur.execute("SELECT 42")
assert cur.fetchone() == (42,)

# COM_INIT_DB, COM_PING.
conn.select_db(db)
conn.ping(reconnect=False)

# COM_RESET_CONNECTION is relayed: the server resets the session.
cur.execute("SET @x = 5")
conn._execute_command(0x1F, b"")
conn._read_ok_packet()
cur.execute("SELECT @x")
assert cur.fetchone() == (None,), "reset"

# COM_CHANGE_USER is refused with a clear ERR (and the session ends).
conn._execute_command(COMMAND.COM_CHANGE_USER, user.encode() + b"\0\0")
try:
    conn._read_packet()
    raise AssertionError("COM_CHANGE_USER was not refused")
except pymysql.err.MySQLError as e:
    assert e.args[0] == 1235 and "COM_CHANGE_USER is not supported" in e.args[1], e.args
print("ok")
