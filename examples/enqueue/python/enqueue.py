"""Enqueue a receipt with plain SQL (the enqueue contract, version 1), in
the same transaction as the shop's own order row: Python with `sqlite3`
(standard library) or `psycopg` (PostgreSQL). `vipps-om outbox run`
delivers it.

    python enqueue.py sqlite ORDER_ID     (OUTBOX_SQLITE=/path/to/outbox.db)
    python enqueue.py postgres ORDER_ID   (DATABASE_URL=postgres://USER@HOST:PORT/DB)

The outbox creates its table when it first connects (start it once, e.g.
`vipps-om outbox status`); the shop only inserts rows.
"""

import hashlib
import json
import os
import sys

if len(sys.argv) != 3 or sys.argv[1] not in ("sqlite", "postgres"):
    sys.exit("usage: python enqueue.py sqlite|postgres ORDER_ID")
backend, order_id = sys.argv[1], sys.argv[2]
msn = os.environ.get("VIPPS_MERCHANT_SERIAL_NUMBER", "123456")
payment_type = "ecom"

# The receipt: exactly the body of
# POST /order-management/v2/{paymentType}/receipts/{orderId}.
# Money is in minor units (øre).
receipt = {
    "orderLines": [
        {
            "name": "Home delivery",
            "id": "shipping",
            "totalAmount": 9900,
            "totalAmountExcludingTax": 7920,
            "totalTaxAmount": 1980,
            "taxRate": 2500,
            "isShipping": True,
        }
    ],
    "bottomLine": {"currency": "NOK", "receiptNumber": order_id},
}
payload = json.dumps(receipt, ensure_ascii=False)


def insert(now, p):
    return f"""INSERT INTO vipps_om_outbox_jobs
        (kind, merchant_serial_number, payment_type, order_id, payload,
         seq, next_attempt_at, created_at, updated_at)
      SELECT 'receipt', {p}, {p}, {p}, {p}, COALESCE(MAX(seq), 0) + 1, {now}, {now}, {now}
      FROM vipps_om_outbox_jobs
      WHERE merchant_serial_number = {p} AND payment_type = {p} AND order_id = {p}"""


values = (msn, payment_type, order_id, payload, msn, payment_type, order_id)

if backend == "sqlite":
    import sqlite3

    # isolation_level=None: this code opens the transaction itself, with
    # BEGIN IMMEDIATE (SQLite's write lock, which is also the order's lock).
    db = sqlite3.connect(os.environ["OUTBOX_SQLITE"], timeout=10, isolation_level=None)
    db.execute(
        "CREATE TABLE IF NOT EXISTS shop_orders (order_id TEXT PRIMARY KEY, total_minor INTEGER NOT NULL)"
    )
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("INSERT INTO shop_orders (order_id, total_minor) VALUES (?, ?)", (order_id, 9900))
        db.execute(
            insert("CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)", "?"),
            values,
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    finally:
        db.close()
else:
    import psycopg

    # The order's lock (optional: without it, a second transaction
    # enqueueing for the same order at the same moment fails and can be
    # retried): first 4 bytes of SHA-256(msn NUL paymentType NUL orderId
    # NUL), mod 256.
    digest = hashlib.sha256(f"{msn}\0{payment_type}\0{order_id}\0".encode()).digest()
    bucket = int.from_bytes(digest[:4], "big") % 256
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS shop_orders (order_id TEXT PRIMARY KEY, total_minor BIGINT NOT NULL)"
        )
        conn.commit()
        with conn.transaction():
            conn.execute("INSERT INTO shop_orders (order_id, total_minor) VALUES (%s, %s)", (order_id, 9900))
            conn.execute("SELECT pg_advisory_xact_lock(30319, %s)", (bucket,))
            conn.execute(insert("(EXTRACT(EPOCH FROM now()) * 1000)::BIGINT", "%s"), values)

print(f"order {order_id} stored with its receipt queued")
