<?php
// Enqueue a receipt with plain SQL (the enqueue contract, version 1), in
// the same transaction as the shop's own order row: PHP + PDO on MySQL or
// MariaDB. `vipps-om outbox run` delivers it.
//
//   php enqueue.php ORDER_ID        (MYSQL_URL=mysql://USER:PASSWORD@HOST:PORT/DB)
//
// The outbox creates its table when it first connects (start it once, e.g.
// `vipps-om outbox status`); the shop only inserts rows.

declare(strict_types=1);

$url = getenv('MYSQL_URL') ?: exit("set MYSQL_URL=mysql://USER:PASSWORD@HOST:PORT/DB\n");
$orderId = $argv[1] ?? exit("usage: php enqueue.php ORDER_ID\n");
$msn = getenv('VIPPS_MERCHANT_SERIAL_NUMBER') ?: '123456';
$paymentType = 'ecom';

$u = parse_url($url);
$pdo = new PDO(
    sprintf('mysql:host=%s;port=%d;dbname=%s;charset=utf8mb4', $u['host'], $u['port'] ?? 3306, ltrim($u['path'], '/')),
    urldecode($u['user'] ?? ''),
    urldecode($u['pass'] ?? ''),
    [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_EMULATE_PREPARES => false],
);
$pdo->exec('CREATE TABLE IF NOT EXISTS shop_orders (
    order_id VARCHAR(128) PRIMARY KEY, total_minor BIGINT NOT NULL) ENGINE = InnoDB');

// The receipt: exactly the body of POST /order-management/v2/{paymentType}/receipts/{orderId}.
// Money is in minor units (øre).
$receipt = [
    'orderLines' => [[
        'name' => 'Wool socks',
        'id' => 'WS-01',
        'totalAmount' => 29800,
        'totalAmountExcludingTax' => 23840,
        'totalTaxAmount' => 5960,
        'taxRate' => 2500,
        'unitInfo' => ['unitPrice' => 14900, 'quantity' => '2', 'quantityUnit' => 'PCS'],
    ]],
    'bottomLine' => ['currency' => 'NOK', 'receiptNumber' => $orderId],
];

// The order's lock (optional: without it, a second transaction enqueueing
// for the same order at the same moment fails and can be retried):
// bucket = first 4 bytes of SHA-256(msn NUL paymentType NUL orderId NUL), mod 256.
$bucket = unpack('N', hash('sha256', "$msn\0$paymentType\0$orderId\0", true))[1] % 256;

$now = "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)";
$pdo->beginTransaction();
try {
    $pdo->prepare('INSERT INTO shop_orders (order_id, total_minor) VALUES (?, ?)')
        ->execute([$orderId, 29800]);
    $pdo->prepare('SELECT bucket FROM vipps_om_outbox_order_locks WHERE bucket = ? FOR UPDATE')
        ->execute([$bucket]);
    $pdo->prepare("INSERT INTO vipps_om_outbox_jobs
            (kind, merchant_serial_number, payment_type, order_id, payload,
             seq, next_attempt_at, created_at, updated_at)
        SELECT 'receipt', :msn, :payment_type, :order_id, :payload,
               COALESCE(MAX(seq), 0) + 1, $now, $now, $now
        FROM vipps_om_outbox_jobs
        WHERE merchant_serial_number = :msn2 AND payment_type = :payment_type2 AND order_id = :order_id2")
        ->execute([
            'msn' => $msn, 'payment_type' => $paymentType, 'order_id' => $orderId,
            'payload' => json_encode($receipt, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE),
            'msn2' => $msn, 'payment_type2' => $paymentType, 'order_id2' => $orderId,
        ]);
    $pdo->commit();
} catch (Throwable $e) {
    $pdo->rollBack();
    throw $e;
}
echo "order $orderId stored with its receipt queued\n";
