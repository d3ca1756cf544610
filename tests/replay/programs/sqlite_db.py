# nondeterministic
# sqlite3 on a file in a temp dir (journaling, fsync, locking via fcntl).
import os
import sqlite3
import tempfile

with tempfile.TemporaryDirectory(prefix="pytt-sqlite-") as d:
    path = os.path.join(d, "test.db")
    print("db", path)
    con = sqlite3.connect(path)
    con.execute("create table t (id integer primary key, name text, val blob)")
    with con:
        for i in range(50):
            con.execute("insert into t (name, val) values (?, ?)", (f"row{i}", os.urandom(8)))
    print("count", con.execute("select count(*) from t").fetchone())
    print("row7", con.execute("select id, name, hex(val) from t where id = 7").fetchone())
    print("random_row", con.execute("select id from t order by random() limit 3").fetchall())
    print("sqlite_now", con.execute("select datetime('now')").fetchone())
    con.execute("pragma journal_mode=wal")
    with con:
        con.execute("update t set name = 'changed' where id < 10")
    print("changed", con.execute("select count(*) from t where name='changed'").fetchone())
    con.close()
    con2 = sqlite3.connect(path)
    print("reopen_count", con2.execute("select count(*) from t").fetchone())
    con2.close()
    print("files", sorted(os.listdir(d)))
    print("db_size", os.path.getsize(path))
print("END sqlite_db")
