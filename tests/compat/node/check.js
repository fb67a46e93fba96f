// node-postgres through Warden: a plain query, a parameterised (extended protocol) query and a
// transaction. Connection settings come from PG* environment variables.
const { Client } = require('pg');

async function main() {
  const client = new Client();
  await client.connect();
  const rows = await client.query('SELECT id, email FROM customers ORDER BY id');
  const emails = rows.rows.filter((r) => r.email === `customer${r.id}@example.com`).length;
  const p = await client.query('SELECT $1::int + $2::int AS sum', [3, 4]);
  await client.query('BEGIN');
  await client.query('CREATE TEMP TABLE node_t (v int)');
  await client.query('ROLLBACK');
  await client.end();
  console.log(`OK rows=${rows.rowCount} emails=${emails} params=${p.rows[0].sum}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
