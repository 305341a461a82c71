// The official Vipps MobilePay JS SDK (@vippsmobilepay/sdk 1.3.4) driving
// `vipps-om outbox serve`, changed only in where it sends its requests:
// globalThis.fetch is wrapped to send https://api.vipps.no/... to the
// gateway. Run by crates/vipps-om-gateway/tests/gateway.rs with
// GATEWAY_URL, CLIENT_ID, CLIENT_SECRET, MSN and ORDER_ID set; prints one
// JSON line with what the SDK returned, and exits non-zero when an answer
// is not what the real API would give.
import assert from "node:assert/strict";
import { Client } from "@vippsmobilepay/sdk";

const { GATEWAY_URL, CLIENT_ID, CLIENT_SECRET, MSN, ORDER_ID } = process.env;
assert.ok(GATEWAY_URL && CLIENT_ID && CLIENT_SECRET && MSN && ORDER_ID, "set GATEWAY_URL, CLIENT_ID, CLIENT_SECRET, MSN, ORDER_ID");

const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const request = input instanceof Request ? input : new Request(input, init);
  const url = new URL(request.url);
  assert.equal(url.origin, "https://api.vipps.no", `the SDK called ${url.origin}`);
  const target = new URL(url.pathname + url.search, GATEWAY_URL);
  return realFetch(new Request(target, request));
};

const client = Client({
  merchantSerialNumber: MSN,
  subscriptionKey: "not-used-by-the-gateway",
  useTestMode: false,
  retryRequests: false,
  systemName: "vipps-om-js-sdk-test",
  systemVersion: "1.0.0",
});

const results = {};

const wrong = await client.auth.getToken(CLIENT_ID, "not-the-secret");
assert.equal(wrong.ok, false, "a wrong secret gets no token");
results.wrongSecret = wrong.error;

const token = await client.auth.getToken(CLIENT_ID, CLIENT_SECRET);
assert.equal(token.ok, true, JSON.stringify(token));
assert.equal(token.data.token_type, "Bearer");
const accessToken = token.data.access_token;

// A PNG header of 200x200 px: enough for the image rules.
const png = Buffer.alloc(33);
Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png, 0);
png.writeUInt32BE(13, 8);
png.write("IHDR", 12, "ascii");
png.writeUInt32BE(200, 16);
png.writeUInt32BE(200, 20);
Buffer.from([8, 6, 0, 0, 0]).copy(png, 24);
const imageId = `${ORDER_ID}-logo`;
const image = await client.order.addImage(accessToken, { imageId, src: png.toString("base64"), type: "base64" });
assert.equal(image.ok, true, JSON.stringify(image));
assert.equal(image.data.imageId, imageId);

const category = await client.order.addCategory(accessToken, ORDER_ID, "ECOM", {
  category: "RECEIPT",
  orderDetailsUrl: `https://shop.example/orders/${ORDER_ID}`,
  imageId,
});
assert.equal(category.ok, true, JSON.stringify(category));
assert.equal(typeof category.data, "string");

const receipt = {
  orderLines: [{
    name: "Wool socks",
    id: "sku-1",
    totalAmount: 29800,
    totalAmountExcludingTax: 23840,
    totalTaxAmount: 5960,
    taxRate: 2500,
    unitInfo: { unitPrice: 14900, quantity: "2", quantityUnit: "PCS" },
  }],
  bottomLine: { currency: "NOK", receiptNumber: "1001" },
};
const added = await client.order.addReceipt(accessToken, ORDER_ID, "ECOM", receipt);
assert.equal(added.ok, true, JSON.stringify(added));
assert.equal(typeof added.data, "string");

const again = await client.order.addReceipt(accessToken, ORDER_ID, "ECOM", receipt);
assert.equal(again.ok, false, "a second receipt for the order is refused");
results.secondReceipt = again.error;

const bad = await client.order.addReceipt(accessToken, `${ORDER_ID}-bad`, "ECOM", {
  orderLines: [{ name: "Socks", id: "sku-1", totalAmount: 298.0, totalAmountExcludingTax: 238.4, totalTaxAmount: 59.6, taxRate: 25 }],
  bottomLine: { currency: "NOK" },
});
assert.equal(bad.ok, false, "an invalid receipt is refused");
assert.ok(Array.isArray(bad.error.invalidParams) && bad.error.invalidParams.length > 0, JSON.stringify(bad));
results.invalidReceipt = bad.error;

const forged = await client.order.addReceipt("forged-token", `${ORDER_ID}-forged`, "ECOM", receipt);
assert.equal(forged.ok, false, "a token the gateway did not issue is refused");
results.forgedToken = forged.error;

console.log(JSON.stringify({ ok: true, image: image.data, category: category.data, receipt: added.data, ...results }));
