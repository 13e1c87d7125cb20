#!/usr/bin/env python3
"""A stand-in for a WooCommerce Store API, for tests/charts/050-order-client.sh
only: WooCommerce cannot run here, and this tests the client's side of the
conversation (scripts/order.sh). It answers the five calls a shopper makes,
insists on both the Cart-Token and the Nonce header on cart writes and
checkout (as WooCommerce releases before Cart-Token-only checks do), and can
be told to misbehave (FAKE_MODE=wrong-total|no-gst|failed-payment) so the
client must notice. Listens on 127.0.0.1 on a free port written to argv[1]."""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MODE = os.environ.get("FAKE_MODE", "")
TOKEN, NONCE = "cart-token-1", "nonce-1"
TOTALS = {"total_items": "34900", "total_shipping": "0", "total_tax": "6282", "total_price": "41182",
          "currency_code": "INR", "currency_minor_unit": 2,
          "tax_lines": [{"name": "GST", "rate": "18%", "price": "6282"}]}
PRODUCTS = [{"id": 5, "name": "Gift hamper", "type": "variable", "is_purchasable": True, "is_in_stock": True},
            {"id": 7, "name": "Masala Chai", "type": "simple", "is_purchasable": True, "is_in_stock": True}]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorised(self):
        return self.headers.get("Cart-Token") == TOKEN and self.headers.get("Nonce") == NONCE

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        if url.path == "/wp-json/wc/store/v1/products":
            return self.reply(200, PRODUCTS)
        if url.path == "/wp-json/wc/store/v1/cart":
            return self.reply(200, {"items": []}, [("Cart-Token", TOKEN), ("Nonce", NONCE)])
        if url.path == "/wp-json/wc/store/v1/order/77":
            if q.get("key") != ["wc_order_k1"] or q.get("billing_email") != ["shopper@example.com"]:
                return self.reply(401, {"message": "bad key or e-mail"})
            totals = dict(TOTALS)
            if MODE == "wrong-total":
                totals["total_price"] = "40000"
            if MODE == "no-gst":
                totals["tax_lines"] = []
            return self.reply(200, {"id": 77, "status": "processing", "totals": totals})
        self.reply(404, {"message": "no route " + url.path})

    def do_POST(self):
        url = urlparse(self.path)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if not self.authorised():
            return self.reply(401, {"message": "missing or invalid Cart-Token/Nonce"})
        if url.path == "/wp-json/wc/store/v1/cart/add-item":
            if body.get("id") != 7:
                return self.reply(400, {"message": "expected the simple product 7"})
            return self.reply(201, {"items": [{"id": 7}], "totals": TOTALS})
        if url.path == "/wp-json/wc/store/v1/cart/update-customer":
            return self.reply(200, {"items": [{"id": 7}], "totals": TOTALS})
        if url.path == "/wp-json/wc/store/v1/checkout":
            if body.get("payment_method") != "cod" or body.get("billing_address", {}).get("country") != "IN":
                return self.reply(400, {"message": "expected cod and an Indian address"})
            status = "failure" if MODE == "failed-payment" else "success"
            return self.reply(200, {"order_id": 77, "status": "processing", "order_key": "wc_order_k1",
                                    "payment_result": {"payment_status": status}})
        self.reply(404, {"message": "no route " + url.path})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
