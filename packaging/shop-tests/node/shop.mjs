// A tiny shop integration with Order Management, as a shop would write it
// (with fetch): a token, a receipt with one retry on a server error, and
// reading the order back. shop.test.mjs runs it against the simulator.

/** Tries of one receipt POST (the first and one retry after a 5xx or 429). */
const RECEIPT_TRIES = 2;
/** Milliseconds before the retry. */
const RETRY_DELAY_MS = 200;
/** Timeout of one call, in ms. */
const TIMEOUT_MS = 10_000;

export class HttpError extends Error {
  constructor(status, body) {
    super(`Order Management answered ${status}: ${body.slice(0, 200)}`);
    this.status = status;
  }
}

export class OrderManagement {
  constructor({ baseUrl, merchantSerialNumber, clientId, clientSecret, subscriptionKey }) {
    Object.assign(this, { baseUrl, merchantSerialNumber });
    this.#keys = { clientId, clientSecret, subscriptionKey };
  }

  #keys;
  #token;

  #headers() {
    return {
      "Ocp-Apim-Subscription-Key": this.#keys.subscriptionKey,
      "Merchant-Serial-Number": this.merchantSerialNumber,
      "Vipps-System-Name": "tiny-shop",
      "Vipps-System-Version": "1.0.0",
      "Vipps-System-Plugin-Name": "tiny-shop-om",
      "Vipps-System-Plugin-Version": "1.0.0",
    };
  }

  async token() {
    if (!this.#token) {
      const answer = await fetch(`${this.baseUrl}/accesstoken/get`, {
        method: "POST",
        headers: { ...this.#headers(), client_id: this.#keys.clientId, client_secret: this.#keys.clientSecret },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!answer.ok) throw new HttpError(answer.status, await answer.text());
      this.#token = (await answer.json()).access_token;
    }
    return this.#token;
  }

  /** POSTs the receipt; retries once after a 5xx or 429; 409 means it is already there. */
  async sendReceipt(orderId, receipt, paymentType = "ecom") {
    const url = `${this.baseUrl}/order-management/v2/${paymentType}/receipts/${encodeURIComponent(orderId)}`;
    let answer;
    for (let attempt = 0; attempt < RECEIPT_TRIES; attempt += 1) {
      answer = await fetch(url, {
        method: "POST",
        headers: { ...this.#headers(), Authorization: `Bearer ${await this.token()}`, "Content-Type": "application/json" },
        body: JSON.stringify(receipt),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (answer.status === 201 || answer.status === 409) return answer.status;
      if (answer.status < 500 && answer.status !== 429) break;
      if (attempt + 1 < RECEIPT_TRIES) await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    }
    throw new HttpError(answer.status, await answer.text());
  }

  async getOrder(orderId, paymentType = "ecom") {
    const answer = await fetch(`${this.baseUrl}/order-management/v2/${paymentType}/${encodeURIComponent(orderId)}`, {
      headers: { ...this.#headers(), Authorization: `Bearer ${await this.token()}` },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!answer.ok) throw new HttpError(answer.status, await answer.text());
    return answer.json();
  }
}

/** A one-line receipt in NOK with 25 % VAT (amounts in øre). */
export function receiptFor(totalMinorUnits, receiptNumber) {
  const tax = Math.floor(totalMinorUnits / 5); // 25 % VAT is a fifth of the total
  return {
    orderLines: [
      {
        name: "Wool socks",
        id: "WS-01",
        totalAmount: totalMinorUnits,
        totalAmountExcludingTax: totalMinorUnits - tax,
        totalTaxAmount: tax,
        taxRate: 2500,
      },
    ],
    bottomLine: { currency: "NOK", receiptNumber },
  };
}
