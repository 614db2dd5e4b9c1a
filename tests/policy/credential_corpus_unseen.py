"""Credentials the first corpus (``credential_corpus``) does not hold: an independent reviewer's
attempts on the cloud rule, written after reading the scanner's formats and that corpus.

Two kinds of format:

- vendor shapes that ``credential_formats`` did not list (taken from gitleaks' default rules,
  trufflehog's detectors and the vendors' documentation, as each generator's comment says);
- containers: the places a credential sits in the text telemetry carries (YAML block scalars,
  HCL variable defaults, Java/Spring XML properties, ``.pgpass`` lines, ``docker login -p``,
  ``echo ... | sudo -S``, ``keytool -storepass``, ``sqlplus user/pw@db``, ``smbclient -U
  user%pw``, crypt(3) password hashes, pwdump lines, session cookies, OAuth codes in callback
  URLs, vendor-named ``*_KEY`` settings, secret words glued to another word, secret words of
  more languages, a key split over two properties).

``vectors()`` places each credential in turn the ways ``credential_corpus.PLACEMENTS`` lists.
Deterministic: every value comes from ``random.Random(SEED)``.
"""

from __future__ import annotations

import base64
import uuid as uuidlib
from typing import Any

from tests.policy.credential_corpus import (
    B62,
    B64,
    DIGITS,
    HEX,
    LOWER,
    PLACEMENTS,
    UHEX,
    UPPER,
    URL,
    Credential,
    Vector,
    _Gen,
)

SEED = 19_4
_CROCKFORD = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _uuid(g: _Gen) -> str:
    return str(uuidlib.UUID(int=g.rng.getrandbits(128), version=4))


def _prefixed(prefix: str, alphabet: str, n: int, **kw):
    def make(g: _Gen) -> tuple[str, tuple[str, ...]]:
        body = g.s(alphabet, n, **kw)
        return prefix + body, (body,)

    return make


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# -- vendor shapes ------------------------------------------------------------------------------
VENDOR: dict[str, Any] = {
    # gitleaks:1password-secret-key
    "1password-secret-key": lambda g: (lambda a, b, c, d, e: (
        f"A3-{a}-{b}-{c}-{d}-{e}", (b, c + "-" + d)))(
        g.s(UPPER + DIGITS, 6), g.s(UPPER + DIGITS, 11), g.s(UPPER + DIGITS, 5),
        g.s(UPPER + DIGITS, 5), g.s(UPPER + DIGITS, 5)),
    # gitleaks:authress-service-client-access-key
    "authress-access-key": lambda g: (lambda a, b, c, d: (
        f"sc_{a}.{b}.acc_{c}.{d}", (c, d)))(
        g.s(LOWER + DIGITS, 12), g.s(LOWER + DIGITS, 5), g.s(LOWER + DIGITS, 20),
        g.s(LOWER + DIGITS + "+/", 60)),
    # gitleaks:square-access-token (the EAAA form)
    "square-eaaa-token": _prefixed("EAAA", URL, 60),
    # gitleaks:facebook-access-token (app id | app secret)
    "facebook-app-token": lambda g: (lambda a, b: (f"{a}|{b}", (b,)))(g.digits(15), g.s(URL, 32)),
    # gitleaks:flutterwave-encryption-key, flutterwave-public-key
    "flutterwave-encryption-key": _prefixed("FLWSECK_TEST", "abcdefgh0123456789", 12),
    "flutterwave-public-key": lambda g: (lambda k: (f"FLWPUBK_TEST-{k}-X", (k,)))(g.s(HEX, 32)),
    # gitleaks:yandex-access-token, yandex-aws-access-token
    "yandex-access-token": lambda g: (lambda a, b: (f"t1.{a}.{b}", (b,)))(g.s(URL, 40), g.s(URL, 86)),
    "yandex-aws-access-token": _prefixed("YC", URL, 38),
    # gitleaks:dropbox-long-lived-api-token
    "dropbox-long-lived-token": lambda g: (lambda a, b: (f"{a}AAAAAAAAAA{b}", (b,)))(
        g.s(LOWER + DIGITS, 11), g.s(LOWER + DIGITS + "-_", 43)),
    # gitleaks:defined-networking-api-token
    "defined-networking-token": lambda g: (lambda a, b: (f"dnkey-{a}-{b}", (a, b)))(
        g.s(LOWER + DIGITS, 26), g.s(LOWER + DIGITS, 52)),
    # gitleaks:sidekiq-secret
    "sidekiq-secret": lambda g: (lambda a, b: (
        f"BUNDLE_GEMS__CONTRIBSYS__COM={a}:{b}", (f"{a}:{b}",)))(g.s(HEX, 8), g.s(HEX, 8)),
    # gitleaks:jwt-base64 (a JWT, base64-encoded again)
    "jwt-base64": lambda g: (lambda sig: (
        _b64("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c3JfMTIzIn0." + sig), (sig,)))(
        g.s(URL, 43)),
    # vendor: Scaleway access key IDs ("SCW" and 17 capitals and digits)
    "scaleway-access-key": _prefixed("SCW", UPPER + DIGITS, 17),
    # vendor: Bitwarden Secrets Manager machine-account access token
    "bitwarden-access-token": lambda g: (lambda u, a, b: (f"0.{u}.{a}:{b}", (a, b)))(
        _uuid(g), g.s(B62, 30), g.s(B64, 22) + "=="),
    # vendor: Infisical service token
    "infisical-service-token": lambda g: (lambda u, a, b: (f"st.{u}.{a}.{b}", (a, b)))(
        _uuid(g), g.s(HEX, 32), g.s(HEX, 32)),
    # vendor: crates.io API token
    "crates-io-token": _prefixed("cio", B62, 32),
    # vendor: Asana personal access token (2/<user gid>/<token gid>:<secret>)
    "asana-pat": lambda g: (lambda s: (f"2/{g.digits(16)}/{g.digits(16)}:{s}", (s,)))(g.s(HEX, 32)),
    # vendor: New Relic license key (36 hex digits, then NRAL)
    "new-relic-license-key": lambda g: (lambda k: (f"{k}NRAL", (k,)))(g.s(HEX, 36)),
    # vendor: Telnyx API v2 key
    "telnyx-api-key": lambda g: (lambda a, b: (f"KEY{a}_{b}", (a, b)))(g.s(UHEX, 32), g.s(B62, 22)),
    # vendor: WooCommerce REST API consumer key and secret
    "woocommerce-consumer-secret": _prefixed("cs_", HEX, 40),
    "woocommerce-consumer-key": _prefixed("ck_", HEX, 40),
    # vendor: Checkout.com sandbox secret key
    "checkout-sandbox-key": lambda g: (lambda k: (f"sk_sbox_{k}", (k,)))(g.s(LOWER + DIGITS, 26)),
    # vendor: Razorpay key id (the secret travels beside it)
    "razorpay-key-id": _prefixed("rzp_live_", B62, 14),
    # vendor: Mollie API key
    "mollie-api-key": _prefixed("live_", B62, 30, mixed=True),
    # vendor: Intercom access token (base64 of "tok:...")
    "intercom-access-token": lambda g: (lambda t: (f"dG9rOj{t}", (t,)))(g.s(B64, 54) + "="),
    # vendor: LaunchDarkly server-side SDK key
    "launchdarkly-sdk-key": lambda g: (lambda u: (f"sdk-{u}", (u,)))(_uuid(g)),
    # vendor: Google OAuth 2.0 authorization code
    "google-oauth-code": _prefixed("4/0A", URL, 60),
    # vendor: AWS STS session token
    "aws-session-token": lambda g: (lambda t: (f"IQoJb3JpZ2luX2VjE{t}", (t[:60],)))(
        g.s(B64, 300)),
    # vendor: Azure API Management shared access signature
    "azure-apim-sas": lambda g: (lambda s: (
        f"SharedAccessSignature uid=integration&ex=2026-01-01T00:00:00.0000000Z&sn={s}", (s,)))(
        g.s(B64, 86) + "=="),
    # vendor: Amazon Bedrock API key
    "bedrock-api-key": lambda g: (lambda t: (f"ABSK{t}", (t,)))(g.s(B64, 120)),
    # vendor: Adafruit IO key
    "adafruit-io-key": _prefixed("aio_", B62, 28),
    # vendor: Apify API token
    "apify-api-token": _prefixed("apify_api_", B62, 36),
    # vendor: Klaviyo private API key
    "klaviyo-private-key": _prefixed("pk_", HEX, 34),
}  # fmt: skip


# -- containers ---------------------------------------------------------------------------------
def _pw(g: _Gen) -> str:
    return g.password()


def _one(template: str, make=_pw):
    """A container with one secret: ``template`` with ``{s}`` filled by ``make(g)``."""

    def build(g: _Gen) -> tuple[str, tuple[str, ...]]:
        s = make(g)
        return template.format(s=s, u=g.s(LOWER, 6, digit=False)), (s,)

    return build


def _key(g: _Gen) -> str:
    return g.s(B62, 32)


def _hexkey(g: _Gen) -> str:
    return g.s(HEX, 32)


def _bcrypt(g: _Gen) -> str:
    return "$2b$12$" + g.s(B62 + "./", 53)


CONTAINERS: dict[str, Any] = {
    "yaml-block-scalar": _one("database:\n  host: db\n  password: |\n    {s}\n  port: 5432\n"),
    "yaml-folded-scalar": _one("auth:\n  client_secret: >-\n    {s}\n"),
    "yaml-value-next-line": _one("smtp:\n  password:\n    {s}\n  user: mailer\n"),
    "hcl-variable-default": _one('variable "db_password" {{\n  type    = string\n  default = "{s}"\n}}'),
    "xml-property-name": _one('<properties><property name="password">{s}</property></properties>'),
    "xml-entry-key": _one('<map><entry key="db.password">{s}</entry></map>'),
    "pgpass-line": _one("db.internal:5432:app:{u}:{s}"),
    "netrc-line": _one("machine api.example.com login {u} password {s}"),
    "netrc-lines": _one("machine ftp.example.com\n  login {u}\n  account ops\n  password {s}\n"),
    "docker-login-p": _one("docker login -u {u} -p {s} registry.example.com"),
    "echo-password-stdin": _one("echo '{s}' | docker login --username {u} --password-stdin"),
    "sudo-S": _one("echo {s} | sudo -S systemctl restart app"),
    "chpasswd": _one("echo '{u}:{s}' | chpasswd"),
    "keytool-storepass": _one("keytool -list -keystore app.jks -storepass {s}"),
    "zip-P": _one("zip -r -P {s} backup.zip /srv/data"),
    # a third probe (this project's own): a password as another command's flag
    "sshpass-p": _one("sshpass -p {s} ssh {u}@host.internal uptime"),
    "sshpass-p-glued": _one("sshpass -p'{s}' scp dump.sql {u}@backup:/srv"),
    "redis-cli-a": _one("redis-cli -h cache.internal -a {s} --no-auth-warning INFO"),
    "ldapsearch-w": _one("ldapsearch -x -D cn={u},dc=acme,dc=com -w {s} -b dc=acme,dc=com"),
    "ipmitool-P": _one("ipmitool -I lanplus -H 10.0.0.9 -U {u} -P {s} chassis status"),
    "plink-pw": _one("plink -ssh {u}@host.internal -pw {s} uptime"),
    "mongosh-p": _one("mongosh --host db.internal -u {u} -p {s} --authenticationDatabase admin"),
    "rar-p": _one("rar a -p{s} backup.rar /srv/data"),
    "sqlplus-credentials": _one("sqlplus {u}/{s}@//db.internal:1521/ORCL"),
    "jdbc-oracle-thin": _one("jdbc:oracle:thin:{u}/{s}@db.internal:1521:ORCL"),
    "smbclient-percent": _one("smbclient //fs/share -U {u}%{s}"),
    "curl-user-token-only": _one("curl -u {s}: https://api.example.com/v1/charges", _key),
    "bcrypt-hash": _one("{s}", _bcrypt),
    "sha512crypt-shadow": _one("{u}:$6$rounds=5000$saltsalt${s}:19700:0:99999:7:::",
                               lambda g: g.s(B62 + "./", 86)),
    "yescrypt-shadow": _one("{u}:$y$j9T$F5Jx5fExrKuJdvsXYOZQr1${s}:19700:0:99999:7:::",
                            lambda g: g.s(B62 + "./", 43)),
    "htpasswd-apr1": _one("{u}:$apr1$x7Kd9Q2b${s}", lambda g: g.s(B62 + "./", 22)),
    "argon2-hash": _one("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ${s}", lambda g: g.s(B64, 43)),
    "django-pbkdf2": _one("pbkdf2_sha256$600000$Xk2Lm9Qp${s}", lambda g: g.s(B64, 43) + "="),
    "pwdump-ntlm": _one("Administrator:500:aad3b435b51404eeaad3b435b51404ee:{s}:::", _hexkey),
    "cookie-gh-sess": _one("Cookie: logged_in=yes; _gh_sess={s}; tz=UTC", _key),
    "cookie-wordpress": _one("wordpress_logged_in_5c016e8f0f95f039102cbe8366c5c7f3=admin%7C1764000000%7C{s}",
                             _key),
    "oauth-callback-code": _one("https://app.example.com/oauth/callback?code={s}&state=af0ifjsldkj",
                                lambda g: g.s(URL, 40)),
    "azure-function-key": _one("https://acme-fn.azurewebsites.net/api/export?code={s}",
                               lambda g: g.s(URL, 54) + "=="),
    "pkce-code-verifier": _one("grant_type=authorization_code&code_verifier={s}",
                               lambda g: g.s(URL, 43)),
    "saml-response": _one("SAMLResponse={s}&RelayState=%2Fhome", lambda g: g.s(B64, 80)),
    "url-key-param": _one("https://maps.example.com/api/geocode?address=x&key={s}", _key),
    "vendor-named-key": lambda g: (lambda v, k: (f"{v}_KEY={k}", (k,)))(
        g.pick(["SENTRY", "MAILGUN", "FASTLY", "SENDBIRD", "ALGOLIA_SEARCH", "COHERE", "GITTER",
                "NYTIMES", "FINNHUB", "ETSY"]), g.s(HEX, 32)),
    "vendor-named-setting": lambda g: (lambda v, k: (f"{v} = {k}", (k,)))(
        g.pick(["datadog_app", "meraki", "twitch_client", "linkedin_client", "droneci",
                "codecov", "kucoin", "confluent", "freshbooks", "squarespace"]),
        g.s(LOWER + DIGITS, 40)),
    "azure-subscription-key-header": _one("Ocp-Apim-Subscription-Key: {s}", _hexkey),
    "functions-key-header": _one("x-functions-key: {s}", lambda g: g.s(URL, 54) + "=="),
    "rapidapi-key-header": _one("X-RapidAPI-Key: {s}", lambda g: g.s(LOWER + DIGITS, 50)),
    "glued-secret-word": lambda g: (lambda n, s: (f"{n}={s}", (s,)))(
        g.pick(["AUTHTOKEN", "CLIENTSECRET", "DBPASSWORD", "ROOTPASS", "ADMINPWD", "APITOKEN",
                "MYSQLPASS", "storepass", "keypass", "BOTTOKEN"]), g.password()),
    "preshared-key": _one("[Peer]\nPublicKey = abc\nPresharedKey = {s}\n", lambda g: g.s(B64, 43) + "="),
    "wpa-psk": _one('network={{\n    ssid="home"\n    psk="{s}"\n}}'),
    "secret-word-more-languages": lambda g: (lambda n, s: (f"{n}: {s}", (s,)))(
        g.pick(["parola", "geslo", "парола", "лозинка", "κωδικός", "kata laluan", "wagwoord",
                "lykilorð", "palavra-passe", "sandi"]), g.password()),
    "k8s-secret-data": lambda g: (lambda s: (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  license: {_b64(s)}\n",
        (s, _b64(s))))(g.s(LOWER + DIGITS, 24)),
    "base32-pair": lambda g: (lambda pw: (
        "cfg " + base64.b32encode(f"password={pw}".encode()).decode(), (pw,)))(g.password()),
    "split-across-properties": lambda g: (lambda a, b: (
        {"key_a": "sk_live_" + a, "key_b": b}, (a,)))(g.s(B62, 6), g.s(B62, 18)),
}  # fmt: skip


def credentials(seed: int = SEED) -> list[Credential]:
    """Every credential of this corpus: three of each vendor shape, three of each container."""
    g = _Gen(seed)
    out = []
    for _round in range(3):
        for name, make in {**VENDOR, **CONTAINERS}.items():
            text, secrets = make(g)
            out.append(Credential(name, text, tuple(secrets)))
    return out


def vectors(seed: int = SEED) -> list[Vector]:
    """Every credential placed one way, the placements of ``credential_corpus`` in turn (a
    credential split over two properties is sent as those two properties)."""
    out = []
    for i, cred in enumerate(credentials(seed)):
        if isinstance(cred.text, dict):
            out.append(Vector(cred.format, "properties", cred.secrets, {"properties": cred.text}))
            continue
        placement, make = PLACEMENTS[i % len(PLACEMENTS)]
        out.append(Vector(cred.format, placement, cred.secrets, make(cred.text)))
    return out
