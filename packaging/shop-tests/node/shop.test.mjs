// The tiny shop against the simulator, started by vipps-om/testing (from the
// installed npm package). Run with `node --test`.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { ROUTES, startSimulator } from "vipps-om/testing";
import { HttpError, OrderManagement, receiptFor } from "./shop.mjs";

let sim;
let shop;
before(async () => {
  sim = await startSimulator();
});
after(() => sim.stop());
beforeEach(async () => {
  await sim.reset();
  shop = new OrderManagement({ baseUrl: sim.baseUrl, ...sim.credentials });
});

test("a receipt is stored and read back", async () => {
  assert.equal(await shop.sendReceipt("order-2001", receiptFor(14900, "2001")), 201);

  const order = await shop.getOrder("order-2001");
  assert.equal(order.receipt.orderLines[0].totalAmount, 14900);
  assert.equal(order.receipt.bottomLine.receiptNumber, "2001");
  assert.deepEqual((await sim.orders()).map((o) => o.orderId), ["order-2001"]);
});

test("a server error in the middle is retried", async () => {
  assert.equal(await shop.sendReceipt("order-2002", receiptFor(9900, "2002")), 201);
  await sim.injectFault({ route: ROUTES.addReceipt, status: 503 });

  assert.equal(await shop.sendReceipt("order-2003", receiptFor(4900, "2003")), 201);

  const posts = (await sim.requests()).filter((r) => r.path.endsWith("/receipts/order-2003"));
  assert.deepEqual(posts.map((r) => r.status), [503, 201]);
  assert.equal((await shop.getOrder("order-2003")).receipt.bottomLine.receiptNumber, "2003");
});

test("an outage longer than the retry reaches the shop", async () => {
  await sim.injectFault({ route: ROUTES.addReceipt, status: 503, count: 2 });

  await assert.rejects(shop.sendReceipt("order-2004", receiptFor(4900, "2004")), (error) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 503);
    return true;
  });
  assert.deepEqual(await sim.orders(), []);
  // The outage is over: the next try stores it.
  assert.equal(await shop.sendReceipt("order-2004", receiptFor(4900, "2004")), 201);
});
