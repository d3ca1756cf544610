# nondeterministic
# pwd/grp/getpass lookups (NSS: reads /etc/nsswitch.conf, /etc/passwd, ...), plus the time.
import getpass
import grp
import os
import pwd
import time

pw = pwd.getpwuid(os.getuid())
print("pw_name", pw.pw_name, "uid", pw.pw_uid, "dir", pw.pw_dir, "shell", pw.pw_shell)
print("getpass_user", getpass.getuser())
print("root_entry", pwd.getpwnam("root")[:4])
print("group", grp.getgrgid(os.getgid()).gr_name)
print("n_passwd_entries_positive", len(pwd.getpwall()) > 0)
try:
    pwd.getpwnam("no-such-user-pytt")
except KeyError as e:
    print("missing_user", e)
print("expanduser", os.path.expanduser("~"))
print("time", time.time())
print("END pwd_getpass")
