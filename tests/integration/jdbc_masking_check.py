"""Runs tests/compat/jdbc/WardenJdbcMaskingCheck.java (pgjdbc, server-side prepared statements
executed 3 times each) and parses what it prints, for the masking tests."""
import re
import shutil
import subprocess
from pathlib import Path

JDBC_JAR = Path("/usr/share/java/postgresql.jar")
JDBC_CHECK = Path(__file__).resolve().parents[1] / "compat" / "jdbc" / "WardenJdbcMaskingCheck.java"
HAVE_JAVA = JDBC_JAR.exists() and shutil.which("java") is not None


def jdbc_unescape(cell):
    if cell == "\\N":
        return None
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(m.group(1),
                                                                          m.group(1)), cell)


def run_jdbc(s, url, password, queries):
    qfile = s.dir / "jdbc-queries.sql"
    assert all("\n" not in q for q in queries)
    qfile.write_text("\n".join(queries) + "\n")
    res = subprocess.run(["java", "-cp", str(JDBC_JAR), str(JDBC_CHECK), url, password,
                          str(qfile)], capture_output=True, text=True, timeout=300)
    return res


def parse_jdbc(stdout):
    """{query index: [execution: {"named", "types", "rows", "error"}]} and the OK count."""
    results, ok = {}, None
    for line in stdout.splitlines():
        tag, _, rest = line.partition("\t")
        fields = rest.split("\t")
        if tag == "Q":
            runs = results.setdefault(int(fields[0]), [])
        elif tag == "X":
            runs.append({"named": fields[1] == "true", "types": [], "rows": [], "error": None})
        elif tag == "T":
            runs[-1]["types"] = [jdbc_unescape(f) for f in fields]
        elif tag == "R":
            runs[-1]["rows"].append(tuple(jdbc_unescape(f) for f in fields))
        elif tag == "E":
            runs[-1]["error"] = " ".join(jdbc_unescape(f) for f in fields)
        elif line.startswith("OK "):
            ok = int(line[3:])
    return results, ok
