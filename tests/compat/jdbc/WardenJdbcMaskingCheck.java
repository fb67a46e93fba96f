// Runs with `java -cp postgresql.jar WardenJdbcMaskingCheck.java URL PASSWORD [QUERY_FILE]`
// (single-file source). Reads SQL statements, one per line, from QUERY_FILE or stdin, and runs
// each as a PreparedStatement executed 3 times, so with prepareThreshold=1 in the URL the
// statement is a server-side named statement (Parse once, Bind/Execute each time; pgjdbc then
// also asks for binary results for the types it reads in binary). The user is "x" unless the
// URL names one (user=...), so the same program reads the database directly for comparison.
//
// Prints, for the caller to compare cell by cell (tab-separated; in every cell and message a
// backslash, tab, CR and LF are escaped as \\ \t \r \n, and SQL NULL prints as \N):
//   Q <index>                      a statement, in input order
//   X <run> <server-prepared>      one execution (1..3) and whether it used a named statement
//   T <type> <type> ...            column type names (text, varchar, int4, jsonb, ...)
//   R <cell> <cell> ...            one row, every column read with getString
//   U <count>                      an execution without a result set
//   E <sqlstate> <message>         an execution that failed (CLIENT: the driver could not
//                                  decode the result)
//   OK <n>                         last line: n executions succeeded
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.postgresql.PGStatement;

public class WardenJdbcMaskingCheck {
  static String esc(String v) {
    if (v == null) return "\\N";
    StringBuilder b = new StringBuilder(v.length());
    for (char ch : v.toCharArray()) {
      switch (ch) {
        case '\\': b.append("\\\\"); break;
        case '\t': b.append("\\t"); break;
        case '\r': b.append("\\r"); break;
        case '\n': b.append("\\n"); break;
        default: b.append(ch);
      }
    }
    return b.toString();
  }

  public static void main(String[] args) throws Exception {
    List<String> queries = new ArrayList<>();
    try (BufferedReader in = args.length > 2
        ? Files.newBufferedReader(Path.of(args[2]), StandardCharsets.UTF_8)
        : new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (!line.isBlank()) queries.add(line);
      }
    }
    Properties props = new Properties();
    if (!args[0].contains("user=")) props.setProperty("user", "x");
    props.setProperty("password", args[1]);
    int executed = 0;
    try (Connection c = DriverManager.getConnection(args[0], props)) {
      c.setAutoCommit(true);
      for (int q = 0; q < queries.size(); q++) {
        System.out.println("Q\t" + q);
        try (PreparedStatement ps = c.prepareStatement(queries.get(q))) {
          for (int run = 1; run <= 3; run++) {
            StringBuilder out = new StringBuilder();
            try {
              boolean hasResult = ps.execute();
              boolean named = ps.unwrap(PGStatement.class).isUseServerPrepare();
              out.append("X\t").append(run).append('\t').append(named).append('\n');
              if (hasResult) {
                try (ResultSet rs = ps.getResultSet()) {
                  ResultSetMetaData md = rs.getMetaData();
                  int n = md.getColumnCount();
                  out.append('T');
                  for (int i = 1; i <= n; i++) out.append('\t').append(esc(md.getColumnTypeName(i)));
                  out.append('\n');
                  while (rs.next()) {
                    out.append('R');
                    for (int i = 1; i <= n; i++) out.append('\t').append(esc(rs.getString(i)));
                    out.append('\n');
                  }
                }
              } else {
                out.append("U\t").append(ps.getUpdateCount()).append('\n');
              }
              executed++;
            } catch (SQLException e) {
              out.setLength(0);
              out.append("X\t").append(run).append("\tfalse\n");
              out.append("E\t").append(esc(e.getSQLState())).append('\t')
                  .append(esc(e.getMessage())).append('\n');
            } catch (RuntimeException e) {
              // The driver could not decode what it received (a malformed binary value).
              out.setLength(0);
              out.append("X\t").append(run).append("\tfalse\n");
              out.append("E\tCLIENT\t").append(esc(e.toString())).append('\n');
            }
            System.out.print(out);
          }
        }
      }
    }
    System.out.println("OK " + executed);
  }
}
