// Drives the official JS SDK (@vippsmobilepay/sdk 1.3.4) against a
// vipps-om simulator the way its README shows: one token, then a category,
// a receipt and a read per order, each result printed, errors logged and
// the next order taken. Used by the simulator's checklist test
// (crates/vipps-om-sim/tests/it/checklist.rs) to grade the SDK honestly.
//
//   node checklist.mjs BASE_URL MSN CLIENT_ID CLIENT_SECRET SUBSCRIPTION_KEY ORDERS [PREFIX]
import { Client } from "@vippsmobilepay/sdk";
import { pointFetchAt } from "./sim-fetch.mjs";

const [baseUrl, msn, clientId, clientSecret, subscriptionKey, orders = "10", prefix = "sdk"] =
  process.argv.slice(2);
if (!subscriptionKey) {
  console.error("usage: node checklist.mjs BASE_URL MSN CLIENT_ID CLIENT_SECRET SUBSCRIPTION_KEY [ORDERS] [PREFIX]");
  process.exit(2);
}
pointFetchAt(baseUrl);

const client = Client({
  merchantSerialNumber: msn,
  subscriptionKey,
  useTestMode: false,
  retryRequests: true,
  // As the SDK's README: system name and version, no plugin headers.
  systemName: "acme-shop",
  systemVersion: "1.0.0",
});

const token = await client.auth.getToken(clientId, clientSecret);
if (!token.ok) {
  console.error("no token:", JSON.stringify(token.error));
  process.exit(1);
}
const accessToken = token.data.access_token;

// A 300×300 PNG header: all the simulator's image check reads.
const png = Buffer.alloc(33);
Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png, 0);
png.writeUInt32BE(13, 8);
png.write("IHDR", 12, "ascii");
png.writeUInt32BE(300, 16);
png.writeUInt32BE(300, 20);
png.set([8, 6, 0, 0, 0], 24);
const imageId = `${prefix}-logo`;
const image = await client.order.addImage(accessToken, {
  imageId,
  src: png.toString("base64"),
  type: "base64",
});
console.log("image", image.ok ? "ok" : JSON.stringify(image.error));

const receipt = (n) => ({
  orderLines: [{
    name: `Item ${n}`,
    id: `sku-${n}`,
    totalAmount: 1000,
    totalAmountExcludingTax: 800,
    totalTaxAmount: 200,
    taxRate: 2500,
  }],
  bottomLine: { currency: "NOK", receiptNumber: `r-${n}` },
});

for (let n = 0; n < Number(orders); n++) {
  const orderId = `${prefix}-${n}`;
  const category = await client.order.addCategory(accessToken, orderId, "ecom", {
    category: "RECEIPT",
    orderDetailsUrl: `https://shop.example/orders/${orderId}`,
    imageId,
  });
  const added = await client.order.addReceipt(accessToken, orderId, "ecom", receipt(n));
  const read = await client.order.info(accessToken, orderId, "ecom");
  const show = (r) => (r.ok ? "ok" : JSON.stringify(r.error).slice(0, 120));
  console.log(orderId, "category", show(category), "receipt", show(added), "read", show(read));
  // Orders arrive one by one, as at a shop: a pause between them
  // (PAUSE_MS, default 150) keeps one order's calls from counting as
  // "still in flight" when the next order's are judged.
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.PAUSE_MS ?? 150)));
}
