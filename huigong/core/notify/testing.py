"""Local fake servers that speak the providers' protocols, for tests: Aliyun SMS (dysmsapi SendSms, RPC
signature v1) and WeChat's token + template-message API. Each runs a ThreadingHTTPServer on 127.0.0.1 in
a daemon thread; `answers` decides the reply per phone / openid, `requests` records what arrived."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

ALIYUN_KEY_ID, ALIYUN_SECRET = "LTAI-test-key", "test-secret-do-not-use"
ALIYUN_REQUIRED = ("AccessKeyId", "Action", "Format", "PhoneNumbers", "RegionId", "SignName", "SignatureMethod",
                   "SignatureNonce", "SignatureVersion", "TemplateCode", "TemplateParam", "Timestamp", "Version")


def _verify_aliyun(params: dict[str, str], method: str) -> bool:
    """The server side of Aliyun's RPC signature, written out from the documentation (not the sender's code)."""
    given = params.pop("Signature", "")

    def enc(s: str) -> str:
        return quote(s, safe="~").replace("+", "%20").replace("*", "%2A")

    query = "&".join(enc(k) + "=" + enc(params[k]) for k in sorted(params))
    string_to_sign = method + "&" + enc("/") + "&" + enc(query)
    mac = hmac.new((ALIYUN_SECRET + "&").encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1)
    return hmac.compare_digest(base64.b64encode(mac.digest()).decode(), given)


class _Server:
    def __init__(self, handler_cls):
        self.requests: list[dict] = []
        self.answers: dict[str, str] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
        self.httpd.fake = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _AliyunHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output (and any phone) out of stderr
        pass

    def _reply(self, status: int, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        params = dict(parse_qsl(raw, keep_blank_values=True))
        fake.requests.append(dict(params))
        missing = [k for k in ALIYUN_REQUIRED if k not in params]
        if missing:
            return self._reply(400, {"Code": "MissingParameter", "Message": f"missing {missing[0]}",
                                     "RequestId": "r-missing"})
        if params["AccessKeyId"] != ALIYUN_KEY_ID:
            return self._reply(404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.",
                                     "RequestId": "r-key"})
        if not _verify_aliyun(dict(params), "POST"):
            return self._reply(400, {"Code": "SignatureDoesNotMatch",
                                     "Message": "Specified signature is not matched with our calculation.",
                                     "RequestId": "r-sig"})
        outcome = fake.answers.get(params["PhoneNumbers"], "OK")
        if outcome == "OK":
            return self._reply(200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(fake.requests)}",
                                     "RequestId": f"r-{len(fake.requests)}"})
        if outcome == "HTTP500":
            return self._reply(500, {"Code": "InternalError", "Message": "The request processing has failed.",
                                     "RequestId": "r-500"})
        return self._reply(200, {"Code": outcome, "Message": {"isv.BUSINESS_LIMIT_CONTROL": "触发分钟级流控Permits:1",
                                                              "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号"}.get(outcome, outcome),
                                 "RequestId": f"r-{len(fake.requests)}"})


def fake_aliyun() -> _Server:
    """`with fake_aliyun() as srv:` — srv.answers[phone] = "OK" | an Aliyun Code | "HTTP500"."""
    return _Server(_AliyunHandler)


def aliyun_config(server: _Server, secret: str = ALIYUN_SECRET) -> dict:
    return {"access_key_id": ALIYUN_KEY_ID, "access_key_secret": secret, "sign_name": "惠工e家",
            "templates": {"code": "SMS_100001", "link": "SMS_100002", "registered": "SMS_100003",
                          "not_registered": "SMS_100004", "notice": "SMS_100005"},
            "endpoint": server.url + "/", "timeout": 5}


WECHAT_APPID, WECHAT_SECRET = "wx-test-appid", "wx-test-secret"


class _WeChatHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _reply(self, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(200)  # WeChat answers errors with HTTP 200 and an errcode
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        fake = self.server.fake
        url = urlsplit(self.path)
        q = dict(parse_qsl(url.query))
        fake.requests.append({"path": url.path, **q})
        if url.path != "/cgi-bin/token" or q.get("grant_type") != "client_credential":
            return self._reply({"errcode": 40013, "errmsg": "invalid appid"})
        if q.get("appid") != WECHAT_APPID or q.get("secret") != WECHAT_SECRET:
            return self._reply({"errcode": 40125, "errmsg": "invalid appsecret"})
        fake.tokens += 1
        fake.valid_token = f"token-{fake.tokens}"
        return self._reply({"access_token": fake.valid_token, "expires_in": 7200})

    def do_POST(self):
        fake = self.server.fake
        url = urlsplit(self.path)
        q = dict(parse_qsl(url.query))
        payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        fake.requests.append({"path": url.path, **q, "json": payload})
        if url.path != "/cgi-bin/message/template/send":
            return self._reply({"errcode": 404, "errmsg": "not found"})
        if q.get("access_token") != fake.valid_token:
            return self._reply({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        if not payload.get("touser") or not payload.get("template_id") or not isinstance(payload.get("data"), dict):
            return self._reply({"errcode": 47001, "errmsg": "data format error"})
        outcome = fake.answers.get(payload["touser"], "OK")
        if outcome == "OK":
            return self._reply({"errcode": 0, "errmsg": "ok", "msgid": 200228332 + len(fake.requests)})
        return self._reply({"errcode": int(outcome), "errmsg": "error"})


def fake_wechat() -> _Server:
    """`with fake_wechat() as srv:` — srv.answers[openid] = "OK" | an errcode ("43004", "45009"…)."""
    srv = _Server(_WeChatHandler)
    srv.tokens, srv.valid_token = 0, None
    return srv


def wechat_config(server: _Server) -> dict:
    return {"appid": WECHAT_APPID, "secret": WECHAT_SECRET, "template_id": "tmpl-1", "api": server.url,
            "link_base": "https://huigong.example.org"}
