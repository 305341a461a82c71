"""The tiny shop against the simulator, started by the vipps_om_sim fixture
(from the installed vipps-om wheel)."""

import pytest
import requests

import vipps_om
from shop import OrderManagement, receipt_for


@pytest.fixture
def shop(vipps_om_sim):
    vipps_om_sim.reset()
    creds = vipps_om_sim.credentials
    return OrderManagement(
        vipps_om_sim.base_url,
        creds.merchant_serial_number,
        creds.client_id,
        creds.client_secret,
        creds.subscription_key,
    )


def test_receipt_is_stored_and_read_back(shop, vipps_om_sim):
    assert shop.send_receipt("order-1001", receipt_for(14900, "1001")) == 201

    order = shop.get_order("order-1001")
    assert order["receipt"]["orderLines"][0]["totalAmount"] == 14900
    assert order["receipt"]["bottomLine"]["receiptNumber"] == "1001"
    stored = vipps_om_sim.orders()
    assert [o["orderId"] for o in stored] == ["order-1001"]


def test_a_server_error_in_the_middle_is_retried(shop, vipps_om_sim):
    assert shop.send_receipt("order-1002", receipt_for(9900, "1002")) == 201
    vipps_om_sim.inject_fault(vipps_om.ROUTE_ADD_RECEIPT, 503)

    assert shop.send_receipt("order-1003", receipt_for(4900, "1003")) == 201

    posts = [r for r in vipps_om_sim.requests() if r["path"].endswith("/receipts/order-1003")]
    assert [r["status"] for r in posts] == [503, 201]
    assert shop.get_order("order-1003")["receipt"]["bottomLine"]["receiptNumber"] == "1003"


def test_an_outage_longer_than_the_retry_reaches_the_shop(shop, vipps_om_sim):
    vipps_om_sim.inject_fault(vipps_om.ROUTE_ADD_RECEIPT, 503, count=2)

    with pytest.raises(requests.HTTPError) as failure:
        shop.send_receipt("order-1004", receipt_for(4900, "1004"))

    assert failure.value.response.status_code == 503
    assert vipps_om_sim.orders() == []
    # The outage is over: the next try stores it.
    assert shop.send_receipt("order-1004", receipt_for(4900, "1004")) == 201
