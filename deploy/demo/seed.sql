-- Demo data for the quickstart and the tests: customers with personal data (emails, card
-- numbers, SSNs) and their orders. Card numbers are Luhn-valid test numbers.
CREATE TABLE customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  card_number text NOT NULL,
  ssn text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers(id),
  amount numeric(10, 2) NOT NULL,
  status text NOT NULL DEFAULT 'paid',
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO customers (name, email, card_number, ssn)
SELECT 'Customer ' || i,
       'customer' || i || '@example.com',
       (ARRAY['4111 1111 1111 1111', '5500 0000 0000 0004', '3400 0000 0000 009',
              '6011 0000 0000 0004'])[1 + i % 4],
       lpad((100 + i % 800)::text, 3, '0') || '-' || lpad((10 + i % 89)::text, 2, '0') || '-' ||
         lpad((1000 + i)::text, 4, '0')
FROM generate_series(1, 1000) AS i;
INSERT INTO orders (customer_id, amount, status)
SELECT 1 + (i * 7) % 1000, round((10 + (i * 37) % 990)::numeric, 2),
       (ARRAY['paid', 'shipped', 'refunded'])[1 + i % 3]
FROM generate_series(1, 5000) AS i;
