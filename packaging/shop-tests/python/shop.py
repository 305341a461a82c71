"""A tiny shop integration with Order Management, as a shop would write it
(with `requests`): a token, a receipt with one retry on a server error, and
reading the order back. The tests next to it run it against the simulator."""

from __future__ import annotations

import time

import requests

#: Tries of one receipt POST (the first and one retry after a 5xx or 429).
RECEIPT_TRIES = 2
#: Seconds before the retry.
RETRY_DELAY_S = 0.2
#: Timeout of one call, in seconds.
TIMEOUT_S = 10


class OrderManagement:
    def __init__(self, base_url, msn, client_id, client_secret, subscription_key):
        self.base_url = base_url
        self.msn = msn
        self._client_id = client_id
        self._client_secret = client_secret
        self._subscription_key = subscription_key
        self._token = None

    def _headers(self):
        return {
            "Ocp-Apim-Subscription-Key": self._subscription_key,
            "Merchant-Serial-Number": self.msn,
            "Vipps-System-Name": "tiny-shop",
            "Vipps-System-Version": "1.0.0",
            "Vipps-System-Plugin-Name": "tiny-shop-om",
            "Vipps-System-Plugin-Version": "1.0.0",
        }

    def token(self):
        if self._token is None:
            answer = requests.post(
                f"{self.base_url}/accesstoken/get",
                headers={
                    **self._headers(),
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                },
                timeout=TIMEOUT_S,
            )
            answer.raise_for_status()
            self._token = answer.json()["access_token"]
        return self._token

    def send_receipt(self, order_id, receipt, payment_type="ecom"):
        """POSTs the receipt; retries once after a 5xx or 429; a 409 means
        it is already there. Returns the final status code."""
        url = f"{self.base_url}/order-management/v2/{payment_type}/receipts/{order_id}"
        for attempt in range(RECEIPT_TRIES):
            answer = requests.post(
                url,
                json=receipt,
                headers={**self._headers(), "Authorization": f"Bearer {self.token()}"},
                timeout=TIMEOUT_S,
            )
            if answer.status_code in (201, 409):
                return answer.status_code
            if answer.status_code < 500 and answer.status_code != 429:
                break
            if attempt + 1 < RECEIPT_TRIES:
                time.sleep(RETRY_DELAY_S)
        answer.raise_for_status()
        raise RuntimeError(f"receipt for {order_id}: unexpected {answer.status_code}")

    def get_order(self, order_id, payment_type="ecom"):
        answer = requests.get(
            f"{self.base_url}/order-management/v2/{payment_type}/{order_id}",
            headers={**self._headers(), "Authorization": f"Bearer {self.token()}"},
            timeout=TIMEOUT_S,
        )
        answer.raise_for_status()
        return answer.json()


def receipt_for(total_minor_units, receipt_number):
    """A one-line receipt in NOK with 25 % VAT (amounts in øre)."""
    tax = total_minor_units // 5  # 25 % VAT is a fifth of the total
    return {
        "orderLines": [
            {
                "name": "Wool socks",
                "id": "WS-01",
                "totalAmount": total_minor_units,
                "totalAmountExcludingTax": total_minor_units - tax,
                "totalTaxAmount": tax,
                "taxRate": 2500,
            }
        ],
        "bottomLine": {"currency": "NOK", "receiptNumber": receipt_number},
    }
