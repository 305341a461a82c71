<?php
// A tiny PHP shop integration with Order Management, checked against
// `vipps-om sim` (plain php-cli: no extensions beyond the standard ones,
// no Composer). Run it under the shell helper, which starts the simulator
// and sets VIPPS_BASE_URL and the demo merchant's keys:
//
//   packaging/shell/with-vipps-om-sim php packaging/shop-tests/php/shop.php
//
// Prints one line per check and "shop.php: N passed, N failed"; exits 1 when
// a check failed.

declare(strict_types=1);

const TIMEOUT_S = 10;        // one call
const RECEIPT_TRIES = 2;     // the first and one retry after a 5xx or 429
const RETRY_DELAY_US = 200000;

/** One HTTP call with PHP's own stream wrapper: [status, decoded JSON body or null, raw body]. */
function http(string $method, string $url, array $headers = [], ?array $json = null): array
{
    $lines = [];
    foreach ($headers as $name => $value) {
        $lines[] = "$name: $value";
    }
    $body = $json === null ? '' : json_encode($json, JSON_THROW_ON_ERROR);
    if ($json !== null) {
        $lines[] = 'Content-Type: application/json';
    }
    $context = stream_context_create(['http' => [
        'method' => $method,
        'header' => implode("\r\n", $lines),
        'content' => $body,
        'ignore_errors' => true,   // read 4xx/5xx answers too
        'timeout' => TIMEOUT_S,
    ]]);
    $raw = @file_get_contents($url, false, $context);
    if ($raw === false) {
        throw new RuntimeException("$method $url: no answer");
    }
    $status = 0;
    foreach ($http_response_header as $header) {
        if (preg_match('#^HTTP/\S+ (\d{3})#', $header, $m)) {
            $status = (int) $m[1];   // the last status line wins (after redirects)
        }
    }
    $decoded = $raw === '' ? null : json_decode($raw, true);
    return [$status, $decoded, $raw];
}

final class OrderManagement
{
    private ?string $token = null;

    public function __construct(
        private string $baseUrl,
        private string $msn,
        private string $clientId,
        private string $clientSecret,
        private string $subscriptionKey,
    ) {
    }

    private function headers(): array
    {
        return [
            'Ocp-Apim-Subscription-Key' => $this->subscriptionKey,
            'Merchant-Serial-Number' => $this->msn,
            'Vipps-System-Name' => 'tiny-php-shop',
            'Vipps-System-Version' => '1.0.0',
            'Vipps-System-Plugin-Name' => 'tiny-php-shop-om',
            'Vipps-System-Plugin-Version' => '1.0.0',
        ];
    }

    private function token(): string
    {
        if ($this->token === null) {
            [$status, $answer] = http('POST', "{$this->baseUrl}/accesstoken/get", $this->headers() + [
                'client_id' => $this->clientId,
                'client_secret' => $this->clientSecret,
            ]);
            if ($status !== 200 || !is_string($answer['access_token'] ?? null)) {
                throw new RuntimeException("token: $status");
            }
            $this->token = $answer['access_token'];
        }
        return $this->token;
    }

    /** POSTs the receipt, retrying once after a 5xx or 429; returns the final status. */
    public function sendReceipt(string $orderId, array $receipt): int
    {
        $url = "{$this->baseUrl}/order-management/v2/ecom/receipts/" . rawurlencode($orderId);
        $status = 0;
        for ($try = 1; $try <= RECEIPT_TRIES; $try++) {
            [$status] = http('POST', $url, $this->headers() + ['Authorization' => 'Bearer ' . $this->token()], $receipt);
            if ($status === 201 || $status === 409 || ($status < 500 && $status !== 429)) {
                break;
            }
            if ($try < RECEIPT_TRIES) {
                usleep(RETRY_DELAY_US);
            }
        }
        return $status;
    }

    public function getOrder(string $orderId): array
    {
        [$status, $answer] = http('GET', "{$this->baseUrl}/order-management/v2/ecom/" . rawurlencode($orderId),
            $this->headers() + ['Authorization' => 'Bearer ' . $this->token()]);
        if ($status !== 200 || !is_array($answer)) {
            throw new RuntimeException("GET order $orderId: $status");
        }
        return $answer;
    }
}

/** A one-line receipt in NOK with 25 % VAT (amounts in øre). */
function receipt_for(int $total, string $receiptNumber): array
{
    $tax = intdiv($total, 5);   // 25 % VAT is a fifth of the total
    return [
        'orderLines' => [[
            'name' => 'Wool socks', 'id' => 'WS-01',
            'totalAmount' => $total, 'totalAmountExcludingTax' => $total - $tax,
            'totalTaxAmount' => $tax, 'taxRate' => 2500,
        ]],
        'bottomLine' => ['currency' => 'NOK', 'receiptNumber' => $receiptNumber],
    ];
}

$passed = 0;
$failed = 0;
function check(string $what, bool $ok): void
{
    global $passed, $failed;
    echo ($ok ? 'ok     ' : 'FAILED ') . $what . "\n";
    $ok ? $passed++ : $failed++;
}

$base = getenv('VIPPS_BASE_URL');
if ($base === false || $base === '') {
    fwrite(STDERR, "VIPPS_BASE_URL is not set: run this under with-vipps-om-sim (see the README)\n");
    exit(2);
}
$sim = fn (string $method, string $path, ?array $json = null) => http($method, $base . '/_sim' . $path, [], $json);
$shop = new OrderManagement($base, (string) getenv('VIPPS_MERCHANT_SERIAL_NUMBER'), (string) getenv('VIPPS_CLIENT_ID'),
    (string) getenv('VIPPS_CLIENT_SECRET'), (string) getenv('VIPPS_SUBSCRIPTION_KEY'));

[$status] = $sim('POST', '/reset');
check('the simulator resets (204)', $status === 204);

check('a receipt is stored (201)', $shop->sendReceipt('order-3001', receipt_for(14900, '3001')) === 201);
$order = $shop->getOrder('order-3001');
check('the order reads back with its receipt',
    ($order['receipt']['bottomLine']['receiptNumber'] ?? null) === '3001'
    && ($order['receipt']['orderLines'][0]['totalAmount'] ?? null) === 14900);

[$status] = $sim('POST', '/faults', [
    'route' => 'POST /order-management/v2/{paymentType}/receipts/{orderId}',
    'status' => 503,
]);
check('a 503 on the next receipt is injected (201)', $status === 201);
check('the shop retries past the 503', $shop->sendReceipt('order-3002', receipt_for(4900, '3002')) === 201);
[, $log] = $sim('GET', '/requests');
$statuses = array_values(array_map(fn ($r) => $r['status'],
    array_filter($log['requests'] ?? [], fn ($r) => str_ends_with($r['path'] ?? '', '/receipts/order-3002'))));
check('the simulator saw 503 then 201 for it', $statuses === [503, 201]);

check('a second receipt for an order is refused (409)', $shop->sendReceipt('order-3001', receipt_for(14900, '3001')) === 409);
[, $orders] = $sim('GET', '/orders');
check('two orders are stored', count($orders['orders'] ?? []) === 2);

echo "shop.php: $passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
