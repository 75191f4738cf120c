"""Both providers' signatures reproduce their published examples byte for byte.

Aliyun: the SendSms example of the SMS documentation's signature page (help.aliyun.com, 短信服务
"签名机制": testId / testSecret, nonce 45e25e9b-…, 2017-07-12T02:42:19Z).
Tencent Cloud: the TC3-HMAC-SHA256 example of the API 3.0 "签名方法 v3" page (CVM DescribeInstances,
timestamp 1551113065, key Gu5t9xGARNpq86cd98joQYCN3EXAMPLE).
"""

import hashlib

from kefu.sms.signing import (
    aliyun_canonical_query,
    aliyun_signature,
    aliyun_string_to_sign,
    percent_encode,
    tc3_authorization,
    tc3_canonical_request,
)

ALIYUN_EXAMPLE = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
ALIYUN_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001"
    "%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF"
    "%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce"
    "%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam"
    "%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)


def test_percent_encode_follows_aliyuns_rules():
    assert percent_encode("a b*~/+=&") == "a%20b%2A~%2F%2B%3D%26"
    assert percent_encode("派") == "%E6%B4%BE"


def test_aliyun_sms_example_string_to_sign_and_signature():
    assert aliyun_string_to_sign(ALIYUN_EXAMPLE) == ALIYUN_STRING_TO_SIGN
    assert aliyun_signature(ALIYUN_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    # The Signature parameter itself is never part of what is signed.
    assert aliyun_canonical_query({**ALIYUN_EXAMPLE, "Signature": "x"}) == aliyun_canonical_query(
        ALIYUN_EXAMPLE
    )


TC3_PAYLOAD = (
    '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
)
TC3_HEADERS = {"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"}


def test_tencent_tc3_example_canonical_request():
    canonical, signed = tc3_canonical_request(
        method="POST", headers=TC3_HEADERS, payload=TC3_PAYLOAD
    )
    assert signed == "content-type;host"
    assert canonical == (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
        "content-type;host\n" + hashlib.sha256(TC3_PAYLOAD.encode()).hexdigest()
    )
    assert (
        hashlib.sha256(canonical.encode()).hexdigest()
        == "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )


def test_tencent_tc3_example_authorization():
    assert tc3_authorization(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
        timestamp=1551113065,
        headers=TC3_HEADERS,
        payload=TC3_PAYLOAD,
    ) == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )
