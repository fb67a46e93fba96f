// Runs with `java -cp postgresql.jar WardenJdbcCheck.java URL TOKEN` (single-file source).
// Checks results, not just exit codes: counts, prepared statements (server-side after the
// first use with prepareThreshold=1), batches and a rollback.
import java.sql.*;

public class WardenJdbcCheck {
  static void check(boolean ok, String what) {
    if (!ok) throw new AssertionError(what);
  }

  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection(args[0], "x", args[1])) {
      int customers;
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM customers")) {
        rs.next();
        customers = rs.getInt(1);
      }
      check(customers == 1000, "customers " + customers);
      int prepared = 0;
      try (PreparedStatement ps = c.prepareStatement("SELECT email FROM customers WHERE id = ?")) {
        for (int i = 1; i <= 20; i++) {
          ps.setInt(1, i);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            check(rs.getString(1).equals("customer" + i + "@example.com"), "row " + i);
            prepared++;
          }
        }
      }
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TEMP TABLE batch_t (id int, note text)");
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO batch_t VALUES (?, ?)")) {
        for (int i = 0; i < 500; i++) {
          ps.setInt(1, i);
          ps.setString(2, "note " + i);
          ps.addBatch();
        }
        int[] counts = ps.executeBatch();
        check(counts.length == 500, "batch counts");
      }
      int batched;
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM batch_t")) {
        rs.next();
        batched = rs.getInt(1);
      }
      c.rollback();
      System.out.println("OK " + customers + " customers, " + batched + " batched, " + prepared + " prepared");
    }
  }
}
