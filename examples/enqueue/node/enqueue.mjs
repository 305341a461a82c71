// Enqueue a receipt with plain SQL (the enqueue contract, version 1), in
// the same transaction as the shop's own order row: Node.js with `pg`
// (PostgreSQL) or `mysql2` (MySQL/MariaDB). `vipps-om outbox run` delivers it.
//
//   node enqueue.mjs pg ORDER_ID       (DATABASE_URL=postgres://USER@HOST:PORT/DB)
//   node enqueue.mjs mysql ORDER_ID    (MYSQL_URL=mysql://USER:PASSWORD@HOST:PORT/DB)
//
// The outbox creates its table when it first connects (start it once, e.g.
// `vipps-om outbox status`); the shop only inserts rows.
import { createHash } from "node:crypto";

const [backend, orderId] = process.argv.slice(2);
if (!["pg", "mysql"].includes(backend) || !orderId) {
  console.error("usage: node enqueue.mjs pg|mysql ORDER_ID");
  process.exit(2);
}
const msn = process.env.VIPPS_MERCHANT_SERIAL_NUMBER ?? "123456";
const paymentType = "ecom";

// The receipt: exactly the body of POST /order-management/v2/{paymentType}/receipts/{orderId}.
// Money is in minor units (øre).
const receipt = {
  orderLines: [
    {
      name: "Coffee beans",
      id: "CB-500",
      totalAmount: 12900,
      totalAmountExcludingTax: 11217,
      totalTaxAmount: 1683,
      taxRate: 1500,
      unitInfo: { unitPrice: 25800, quantity: "0.5", quantityUnit: "KG" },
    },
  ],
  bottomLine: { currency: "NOK", receiptNumber: orderId },
};

// The order's lock (optional: without it, a second transaction enqueueing
// for the same order at the same moment fails and can be retried):
// bucket = first 4 bytes of SHA-256(msn NUL paymentType NUL orderId NUL), mod 256.
const bucket =
  createHash("sha256").update(`${msn}\0${paymentType}\0${orderId}\0`).digest().readUInt32BE(0) % 256;

const insert = (now, p) => `INSERT INTO vipps_om_outbox_jobs
    (kind, merchant_serial_number, payment_type, order_id, payload,
     seq, next_attempt_at, created_at, updated_at)
  SELECT 'receipt', ${p[0]}, ${p[1]}, ${p[2]}, ${p[3]}, COALESCE(MAX(seq), 0) + 1, ${now}, ${now}, ${now}
  FROM vipps_om_outbox_jobs
  WHERE merchant_serial_number = ${p[4]} AND payment_type = ${p[5]} AND order_id = ${p[6]}`;

if (backend === "pg") {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(
      "CREATE TABLE IF NOT EXISTS shop_orders (order_id TEXT PRIMARY KEY, total_minor BIGINT NOT NULL)",
    );
    await client.query("BEGIN");
    try {
      await client.query("INSERT INTO shop_orders (order_id, total_minor) VALUES ($1, $2)", [orderId, 12900]);
      await client.query("SELECT pg_advisory_xact_lock(30319, $1)", [bucket]);
      await client.query(
        insert("(EXTRACT(EPOCH FROM now()) * 1000)::BIGINT", ["$1", "$2", "$3", "$4", "$1", "$2", "$3"]),
        [msn, paymentType, orderId, JSON.stringify(receipt)],
      );
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK");
      throw e;
    }
  } finally {
    await client.end();
  }
} else {
  const mysql = await import("mysql2/promise");
  const conn = await mysql.createConnection({ uri: process.env.MYSQL_URL, charset: "utf8mb4" });
  try {
    await conn.query(
      "CREATE TABLE IF NOT EXISTS shop_orders (order_id VARCHAR(128) PRIMARY KEY, total_minor BIGINT NOT NULL) ENGINE = InnoDB",
    );
    await conn.beginTransaction();
    try {
      await conn.execute("INSERT INTO shop_orders (order_id, total_minor) VALUES (?, ?)", [orderId, 12900]);
      await conn.execute("SELECT bucket FROM vipps_om_outbox_order_locks WHERE bucket = ? FOR UPDATE", [bucket]);
      await conn.execute(
        insert("(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)", [
          "?", "?", "?", "?", "?", "?", "?",
        ]),
        [msn, paymentType, orderId, JSON.stringify(receipt), msn, paymentType, orderId],
      );
      await conn.commit();
    } catch (e) {
      await conn.rollback();
      throw e;
    }
  } finally {
    await conn.end();
  }
}
console.log(`order ${orderId} stored with its receipt queued`);
