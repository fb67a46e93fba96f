// Runs with `java -cp postgresql.jar WardenJdbcApprovalCheck.java URL TOKEN` against a connection
// whose policy holds DELETEs for approval. The first prepared DELETE waits until approved and then
// reports its row count; the second is denied and arrives as SQLState 42501 with the approver's
// reason; the connection keeps working. The test decides with wardenctl while this waits.
import java.sql.*;

public class WardenJdbcApprovalCheck {
  static String delete(Connection c, int id) {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM orders WHERE id = ?")) {
      ps.setInt(1, id);
      return Integer.toString(ps.executeUpdate());
    } catch (SQLException e) {
      return e.getSQLState() + " " + e.getMessage();
    }
  }

  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection(args[0], "x", args[1])) {
      System.out.println("FIRST: " + delete(c, 7));
      System.out.flush();
      System.out.println("SECOND: " + delete(c, 8));
      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT count(*) FROM orders WHERE id IN (7, 8)")) {
        rs.next();
        System.out.println("LEFT: " + rs.getInt(1));
      }
    }
  }
}
