// Runs with `java -cp postgresql.jar WardenJdbcPolicyCheck.java URL TOKEN` against a connection
// whose policy denies DROP TABLE and unbounded writes. Denials must arrive as SQLState 42501
// naming the rule, for plain and prepared statements, and the connection must keep working.
import java.sql.*;

public class WardenJdbcPolicyCheck {
  static String deniedState(Connection c, String sql, boolean prepared) {
    try {
      if (prepared) {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setString(1, "x");
          ps.executeUpdate();
        }
      } else {
        try (Statement st = c.createStatement()) {
          st.execute(sql);
        }
      }
      return "allowed";
    } catch (SQLException e) {
      return e.getSQLState() + " " + e.getMessage();
    }
  }

  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection(args[0], "x", args[1])) {
      String drop = deniedState(c, "DROP TABLE customers", false);
      String update = deniedState(c, "UPDATE customers SET email = ?", true);
      int customers;
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM customers")) {
        rs.next();
        customers = rs.getInt(1);
      }
      System.out.println("DROP: " + drop);
      System.out.println("UPDATE: " + update);
      System.out.println("COUNT: " + customers);
    }
  }
}
