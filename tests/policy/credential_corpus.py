"""A generated corpus of fake credentials, in their real shapes, placed where telemetry carries
them (issue 19 item 3). Deterministic: every value comes from ``random.Random(SEED)``.

``credentials()`` -> ``[Credential(format, text, secrets)]``: one or more per format, each a text
as it appears (``"Bearer <token>"``, ``"https://hooks.slack.com/services/<path>"``, a ``.env``
line) and the parts of it that are secret (what must appear nowhere once shaped). The shapes are
written here from the vendors' documentation, independently of the scanner's rules
(``tenantry.policy.credential_formats``), so a rule that drifts from a real shape shows here.

``vectors()`` places each credential one way (in turn): alone as a property value, inside an
error message, nested, in a list, as a property key, as the event name, the error name, the
operation name, the developer or the user ID, percent-encoded once and twice, base64 and hex
encoded, in escaped JSON, split by a zero-width space, in full-width letters, as bytes, and in
an object's repr.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

SEED = 19_3

LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
DIGITS = string.digits
B62 = UPPER + LOWER + DIGITS
URL = B62 + "-_"
B64 = B62 + "+/"
HEX = "0123456789abcdef"
UHEX = "0123456789ABCDEF"


@dataclass(frozen=True)
class Credential:
    format: str
    text: str
    secrets: tuple[str, ...]


@dataclass
class Vector:
    format: str
    placement: str
    secrets: tuple[str, ...]
    call: dict[str, Any] = field(default_factory=dict)  # kind, event, properties, ids


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def s(self, alphabet: str, n: int, *, digit: bool = True, mixed: bool = False) -> str:
        """``n`` random characters; with ``digit`` at least one digit (when the alphabet has
        one), with ``mixed`` at least one upper- and one lower-case letter."""
        while True:
            out = "".join(self.rng.choice(alphabet) for _ in range(n))
            if digit and any(c in DIGITS for c in alphabet) and not any(c.isdigit() for c in out):
                continue
            if mixed and not (any(c.isupper() for c in out) and any(c.islower() for c in out)):
                continue
            return out

    def digits(self, n: int) -> str:
        return str(self.rng.randint(1, 9)) + self.s(DIGITS, n - 1)

    def uuid(self) -> str:
        return str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))

    def password(self) -> str:
        word = self.rng.choice(["Tr0ub4dor", "hunter", "S3cure", "blue-Horse", "corr3ct"])
        return f"{word}{self.s(DIGITS, 3)}{self.rng.choice('!*^~')}{self.s(B62, 4)}"

    def pick(self, items):
        return self.rng.choice(items)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(g: _Gen) -> tuple[str, str]:
    header = _b64url(b'{"alg":"HS256","typ":"JWT"}')
    claims = {"sub": f"usr_{g.s(B62, 10)}", "iat": 1764000000, "scope": "read write"}
    payload = _b64url(json.dumps(claims).encode())
    sig = g.s(URL, 43)
    return f"{header}.{payload}.{sig}", sig


def _pem(g: _Gen, kind: str) -> tuple[str, tuple[str, ...]]:
    lines = tuple(g.s(B64, 64) for _ in range(4))
    text = f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----"
    return text, lines


def _simple(prefix: str, alphabet: str, n: int, **kw):
    def make(g: _Gen) -> tuple[str, tuple[str, ...]]:
        body = g.s(alphabet, n, **kw)
        return prefix + body, (body,)

    return make


# format -> generator(g) -> (text, secret parts). The shapes: vendors' documentation.
FORMATS: dict[str, Any] = {
    "tenantry-api-key": _simple("tnt_", URL, 43),
    "tenantry-session-token": _simple("tns_", URL, 43),
    "pem-rsa-private-key": lambda g: _pem(g, "RSA PRIVATE KEY"),
    "pem-openssh-private-key": lambda g: _pem(g, "OPENSSH PRIVATE KEY"),
    "pem-ec-private-key": lambda g: _pem(g, "EC PRIVATE KEY"),
    "pem-encrypted-private-key": lambda g: _pem(g, "ENCRYPTED PRIVATE KEY"),
    "pgp-private-key-block": lambda g: _pem(g, "PGP PRIVATE KEY BLOCK"),
    "putty-private-key": lambda g: (
        lambda body, mac: (
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\n"
            f"Public-Lines: 2\nAAAAC3NzaC1lZDI1NTE5\nPrivate-Lines: 1\n{body}\nPrivate-MAC: {mac}",
            (body, mac),
        )
    )(g.s(B64, 44), g.s(HEX, 64)),
    "jwt": lambda g: (lambda t, sig: (t, (sig, t.split(".")[1][:24])))(*_jwt(g)),
    "url-userinfo": lambda g: (lambda pw: (f"postgresql://app:{pw}@db.internal:5432/app", (pw,)))(
        g.s(B62, 16)
    ),
    "auth-bearer": lambda g: (lambda t: (f"Bearer {t}", (t,)))(g.s(B62, 40)),
    "auth-basic": lambda g: (
        lambda pw: (lambda cred: (f"Basic {cred}", (cred, pw)))(
            base64.b64encode(f"deploy:{pw}".encode()).decode()
        )
    )(g.password()),
    "auth-token": lambda g: (lambda t: (f"Token {t}", (t,)))(g.s(HEX, 40)),
    "auth-negotiate": lambda g: (lambda t: (f"Negotiate {t}", (t,)))(g.s(B64, 60)),
    "okta-ssws": lambda g: (lambda t: (f"SSWS 00{t}", (t,)))(g.s(URL, 40)),
    "splunk-auth": lambda g: (lambda t: (f"Splunk {t}", (t,)))(g.uuid()),
    "aws-sigv2-auth": lambda g: (lambda sig: (f"AWS AKIA{g.s(UPPER + DIGITS, 16)}:{sig}", (sig,)))(
        g.s(B64, 27) + "="
    ),
    "aws-access-key-id": _simple("AKIA", UPPER + DIGITS, 16),
    "aws-temporary-key-id": _simple("ASIA", UPPER + DIGITS, 16),
    "gcp-api-key": _simple("AIza", URL, 35),
    "google-oauth-access-token": _simple("ya29.a0", URL, 120),
    "google-oauth-refresh-token": _simple("1//0g", URL, 98),
    "google-oauth-client-secret": _simple("GOCSPX-", URL, 28),
    "firebase-fcm-server-key": lambda g: (lambda a, b: (f"AAAA{a}:APA91b{b}", (b,)))(
        g.s(URL, 7), g.s(URL, 134)
    ),
    "azure-ad-client-secret": lambda g: (
        lambda body: (f"{g.s(B62, 3)}{g.s(DIGITS, 1)}Q~{body}", (body,))
    )(g.s(URL + "~.", 34)),
    "alibaba-access-key-id": _simple("LTAI", B62, 20, mixed=True),
    "tencent-secret-id": _simple("AKID", B62, 32),
    "yandex-api-key": _simple("AQVN", URL, 36),
    "digitalocean-pat": _simple("dop_v1_", HEX, 64),
    "digitalocean-oauth-token": _simple("doo_v1_", HEX, 64),
    "digitalocean-refresh-token": _simple("dor_v1_", HEX, 64),
    "heroku-api-key-v2": _simple("HRKU-AA", URL, 58),
    "cloudflare-origin-ca-key": lambda g: (lambda a, b: (f"v1.0-{a}-{b}", (b,)))(
        g.s(HEX, 24), g.s(HEX, 146)
    ),
    "databricks-api-token": _simple("dapi", HEX, 32),
    "vault-service-token": _simple("hvs.", URL, 95),
    "vault-batch-token": _simple("hvb.", URL, 140),
    "vault-legacy-token": _simple("s.", B62, 24, mixed=True),
    "vault-recovery-token": _simple("hvr.", URL, 95),
    "terraform-cloud-token": lambda g: (lambda a, b: (f"{a}.atlasv1.{b}", (b,)))(
        g.s(B62, 14), g.s(URL, 67)
    ),
    "pulumi-api-token": _simple("pul-", HEX, 40),
    "doppler-token": _simple("dp.st.prd.", B62, 43),
    "1password-service-account-token": lambda g: (lambda b: ("ops_eyJ" + b, (b,)))(g.s(B64, 250)),
    "age-secret-key": _simple("AGE-SECRET-KEY-1", "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
    "fly-io-token": _simple("fo1_", URL, 43),
    "openshift-user-token": _simple("sha256~", URL, 43),
    "tailscale-auth-key": _simple("tskey-auth-k", B62, 40),
    "netlify-pat": _simple("nfp_", B62, 40),
    "render-api-key": _simple("rnd_", B62, 32),
    "supabase-pat": _simple("sbp_", HEX, 40),
    "supabase-secret-key": _simple("sb_secret_", URL, 32),
    "planetscale-token": _simple("pscale_tkn_", URL, 43),
    "scalingo-api-token": _simple("tk-us-", URL, 48),
    "clickhouse-cloud-secret": _simple("4b1d", B62, 38),
    "github-pat": _simple("ghp_", B62, 36),
    "github-oauth-token": _simple("gho_", B62, 36),
    "github-app-token": _simple("ghs_", B62, 36),
    "github-fine-grained-pat": lambda g: (lambda a, b: (f"github_pat_{a}_{b}", (a, b)))(
        g.s(B62, 22), g.s(B62, 59)
    ),
    "gitlab-pat": _simple("glpat-", URL, 20),
    "gitlab-deploy-token": _simple("gldt-", URL, 20),
    "gitlab-runner-token": _simple("glrt-", URL, 20),
    "gitlab-trigger-token": _simple("glptt-", HEX, 40),
    "gitlab-runner-registration-token": _simple("GR1348941", URL, 20),
    "gitlab-session-cookie": _simple("_gitlab_session=", HEX, 32),
    "bitbucket-app-password": _simple("ATBB", B62, 32),
    "atlassian-api-token": _simple("ATATT3xFfGF0", URL, 180),
    "sourcegraph-token": _simple("sgp_", HEX, 40),
    "sonarqube-token": _simple("squ_", HEX, 40),
    "circleci-pat": lambda g: (lambda a, b: (f"CCIPAT_{a}_{b}", (a, b)))(
        g.s(B62, 22), g.s(HEX, 40)
    ),
    "buildkite-token": _simple("bkua_", HEX, 40),
    "npm-token": _simple("npm_", B62, 36),
    "pypi-token": _simple("pypi-AgEIcHlwaS5vcmc", URL, 70),
    "nuget-api-key": _simple("oy2", LOWER + DIGITS, 43),
    "rubygems-token": _simple("rubygems_", HEX, 48),
    "clojars-token": _simple("CLOJARS_", LOWER + DIGITS, 60),
    "docker-hub-pat": _simple("dckr_pat_", URL, 27),
    "jfrog-api-key": _simple("AKCp", B62, 69),
    "jfrog-reference-token": _simple("cmVmdGtuOjAxOjE3", B64, 48),
    "harness-pat": lambda g: (lambda a, b, c: (f"pat.{a}.{b}.{c}", (c,)))(
        g.s(URL, 22), g.s(B62, 24), g.s(B62, 20)
    ),
    "octopus-deploy-api-key": _simple("API-", UPPER + DIGITS, 26),
    "prefect-api-token": _simple("pnu_", B62, 36),
    "readme-api-token": _simple("rdme_", LOWER + DIGITS, 70),
    "postman-api-token": lambda g: (lambda a, b: (f"PMAK-{a}-{b}", (b,)))(
        g.s(HEX, 24), g.s(HEX, 34)
    ),
    "infracost-api-token": _simple("ico-", B62, 32),
    "slack-bot-token": lambda g: (lambda t: (f"xoxb-{g.digits(12)}-{g.digits(13)}-{t}", (t,)))(
        g.s(B62, 24)
    ),
    "slack-user-token": lambda g: (
        lambda t: (f"xoxp-{g.digits(12)}-{g.digits(12)}-{g.digits(13)}-{t}", (t,))
    )(g.s(HEX, 32)),
    "slack-app-token": lambda g: (
        lambda t: (f"xapp-1-A{g.s(UPPER + DIGITS, 10)}-{g.digits(13)}-{t}", (t,))
    )(g.s(HEX, 64)),
    "slack-webhook-url": lambda g: (
        lambda path: (f"https://hooks.slack.com/services/{path}", (path,))
    )(f"T{g.s(UPPER + DIGITS, 10)}/B{g.s(UPPER + DIGITS, 10)}/{g.s(B62, 24)}"),
    "discord-webhook-url": lambda g: (
        lambda t: (f"https://discord.com/api/webhooks/{g.digits(18)}/{t}", (t,))
    )(g.s(URL, 68)),
    "discord-bot-token": lambda g: (
        lambda a, b: (
            f"{base64.b64encode(g.digits(18).encode()).decode().rstrip('=')}.{a}.{b}",
            (b,),
        )
    )(g.s(URL, 6), g.s(URL, 38)),
    "telegram-bot-token": lambda g: (lambda t: (f"{g.digits(10)}:AA{t}", (t,)))(g.s(URL, 33)),
    "microsoft-teams-webhook": lambda g: (
        lambda h: (
            f"https://contoso.webhook.office.com/webhookb2/{g.uuid()}@{g.uuid()}/"
            f"IncomingWebhook/{h}/{g.uuid()}",
            (h,),
        )
    )(g.s(HEX, 32)),
    "zapier-webhook-url": lambda g: (
        lambda a: (f"https://hooks.zapier.com/hooks/catch/{g.digits(7)}/{a}/", (a,))
    )(g.s(LOWER + DIGITS, 7) + g.s(B62, 12)),
    "mattermost-webhook-url": lambda g: (lambda t: (f"https://chat.example.com/hooks/{t}", (t,)))(
        g.s(LOWER + DIGITS, 26)
    ),
    "ifttt-webhook-key": lambda g: (
        lambda k: (f"https://maker.ifttt.com/trigger/deploy_done/with/key/{k}", (k,))
    )(g.s(URL, 22)),
    "make-webhook-url": lambda g: (lambda k: (f"https://hook.eu1.make.com/{k}", (k,)))(
        g.s(LOWER + DIGITS, 32)
    ),
    "feishu-webhook": lambda g: (
        lambda k: (f"https://open.feishu.cn/open-apis/bot/v2/hook/{k}", (k,))
    )(g.uuid()),
    "wecom-webhook-key": lambda g: (
        lambda k: (f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={k}", (k,))
    )(g.uuid()),
    "google-chat-webhook": lambda g: (
        lambda k, t: (
            f"https://chat.googleapis.com/v1/spaces/AAAA{g.s(URL, 7)}/messages?key=AIza{k}"
            f"&token={t}",
            (k, t),
        )
    )(g.s(URL, 35), g.s(URL, 43)),
    "twitter-bearer-token": lambda g: (lambda t: (f"AAAAAAAAAAAAAAAAAAAAA{t}", (t,)))(g.s(B62, 90)),
    "facebook-access-token": _simple("EAAC", B62, 150),
    "stripe-secret-key": _simple("sk_live_", B62, 99),
    "stripe-restricted-key": _simple("rk_test_", B62, 99),
    "stripe-webhook-secret": _simple("whsec_", B64, 32),
    "square-access-token": _simple("sq0atp-", URL, 22),
    "square-oauth-secret": _simple("sq0csp-", URL, 43),
    "shopify-access-token": _simple("shpat_", HEX, 32),
    "shopify-shared-secret": _simple("shpss_", HEX, 32),
    "braintree-access-token": lambda g: (lambda a, b: (f"access_token$production${a}${b}", (b,)))(
        g.s(LOWER + DIGITS, 16), g.s(HEX, 32)
    ),
    "plaid-access-token": lambda g: (lambda u: (f"access-sandbox-{u}", (u,)))(g.uuid()),
    "flutterwave-secret-key": lambda g: (lambda k: (f"FLWSECK_TEST-{k}-X", (k,)))(g.s(HEX, 32)),
    "duffel-api-token": _simple("duffel_test_", URL, 43),
    "easypost-api-token": _simple("EZAK", B62, 54),
    "shippo-api-token": _simple("shippo_live_", HEX, 40),
    "sendgrid-api-key": lambda g: (lambda a, b: (f"SG.{a}.{b}", (a, b)))(
        g.s(URL, 22), g.s(URL, 43)
    ),
    "twilio-api-key": _simple("SK", HEX, 32),
    "mailgun-api-key": _simple("key-", HEX, 32),
    "mailchimp-api-key": lambda g: (lambda k: (f"{k}-us{g.rng.randint(1, 21)}", (k,)))(
        g.s(HEX, 32)
    ),
    "brevo-api-key": lambda g: (lambda a, b: (f"xkeysib-{a}-{b}", (a, b)))(
        g.s(HEX, 64), g.s(B62, 16)
    ),
    "resend-api-key": lambda g: (lambda a, b: (f"re_{a}_{b}", (b,)))(g.s(B62, 8), g.s(B62, 24)),
    "hubspot-private-app-token": lambda g: (lambda u: (f"pat-na1-{u}", (u,)))(g.uuid()),
    "typeform-api-token": _simple("tfp_", URL, 59),
    "linear-api-key": _simple("lin_api_", B62, 40),
    "notion-integration-token": _simple("secret_", B62, 43),
    "notion-token": _simple("ntn_", B62, 46),
    "figma-pat": _simple("figd_", URL, 40),
    "frameio-api-token": _simple("fio-u-", URL, 64),
    "airtable-pat": lambda g: (lambda a, b: (f"pat{a}.{b}", (b,)))(g.s(B62, 14), g.s(HEX, 64)),
    "contentful-pat": _simple("CFPAT-", URL, 43),
    "mapbox-secret-token": lambda g: (
        lambda b: (f"sk.eyJ1IjoiZXhhbXBsZSIsImEiOiJjbDEyMyJ9.{b}", (b,))
    )(g.s(URL, 22)),
    "dropbox-short-lived-token": _simple("sl.B", URL, 135),
    "adobe-client-secret": _simple("p8e-", B62, 32),
    "settlemint-token": _simple("sm_pat_", B62, 16),
    "intra42-client-secret": _simple("s-s4t2ud-", HEX, 64),
    "sentry-user-token": _simple("sntryu_", HEX, 64),
    "new-relic-user-key": _simple("NRAK-", UPPER + DIGITS, 27),
    "grafana-api-key": _simple("eyJrIjoi", B62, 72),
    "grafana-cloud-token": _simple("glc_", B64, 60),
    "grafana-service-account-token": lambda g: (lambda a, b: (f"glsa_{a}_{b}", (a,)))(
        g.s(B62, 32), g.s(HEX, 8)
    ),
    "dynatrace-api-token": lambda g: (lambda a, b: (f"dt0c01.{a}.{b}", (a, b)))(
        g.s(UPPER + DIGITS, 24), g.s(UPPER + DIGITS, 64)
    ),
    "posthog-personal-api-key": _simple("phx_", B62, 43),
    "maxmind-license-key": lambda g: (lambda a, b: (f"{a}_{b}_mmk", (b,)))(
        g.s(B62, 6), g.s(B62, 29)
    ),
    "openai-project-key": lambda g: (lambda a, b: (f"sk-proj-{a}T3BlbkFJ{b}", (a, b)))(
        g.s(URL, 74), g.s(URL, 74)
    ),
    "openai-legacy-key": lambda g: (lambda a, b: (f"sk-{a}T3BlbkFJ{b}", (a, b)))(
        g.s(B62, 20), g.s(B62, 20)
    ),
    "anthropic-api-key": _simple("sk-ant-api03-", URL, 95),
    "openrouter-api-key": _simple("sk-or-v1-", HEX, 64),
    "deepseek-api-key": _simple("sk-", HEX, 32),
    "huggingface-token": _simple("hf_", UPPER + LOWER, 34, digit=False),
    "groq-api-key": _simple("gsk_", B62, 52),
    "replicate-api-token": _simple("r8_", B62, 37),
    "perplexity-api-key": _simple("pplx-", B62, 48),
    "xai-api-key": _simple("xai-", B62, 80),
    "pinecone-api-key": _simple("pcsk_", URL, 70),
    "langsmith-api-key": lambda g: (lambda a, b: (f"lsv2_pt_{a}_{b}", (a,)))(
        g.s(HEX, 32), g.s(HEX, 10)
    ),
    "tavily-api-key": _simple("tvly-dev-", B62, 32),
    "elevenlabs-api-key": _simple("sk_", HEX, 48),
}

# Secret-named pairs: (syntax, template with {name} and {value}).
SYNTAXES = [
    ("json", '{{"user": "bob", "{name}": "{value}"}}'),
    ("json-escaped", '{{\\"user\\": \\"bob\\", \\"{name}\\": \\"{value}\\"}}'),
    ("json-double-escaped", '{{\\\\\\"{name}\\\\\\": \\\\\\"{value}\\\\\\"}}'),
    ("form-urlencoded", "user=bob&{name}={value}&remember=1"),
    ("query-string", "https://api.example.com/v1/login?{name}={value}&next=%2Fhome"),
    ("yaml", "database:\n  host: db.internal\n  {name}: {value}\n"),
    ("dotenv", "DB_HOST=db.internal\n{name}={value}\n"),
    ("dotenv-export", 'export {name}="{value}"'),
    ("toml", '[db]\n{name} = "{value}"'),
    ("http-header", "{name}: {value}\r\nAccept: application/json"),
    ("cli-flag-equals", "deploy --host db.internal --{name}={value} --verbose"),
    ("cli-flag-space", "deploy --host db.internal --{name} {value} --verbose"),
    ("python-repr", "Settings(host='db.internal', {name}='{value}')"),
    ("python-dict-repr", "{{'host': 'db.internal', '{name}': '{value}'}}"),
    ("ruby-hash", '{{:host => "db.internal", :{name} => "{value}"}}'),
    ("xml-element", "<config><host>db</host><{name}>{value}</{name}></config>"),
    ("xml-add-key", '<add key="{name}" value="{value}" />'),
    ("k8s-env", "env:\n- name: {name}\n  value: {value}\n"),
    ("json-name-value", '[{{"name": "{name}", "value": "{value}"}}]'),
    ("connection-string", "Server=db.internal;Database=app;User Id=sa;{name}={value};"),
    ("prose", "login failed: the {name} is {value}, please rotate it"),
    ("go-struct", "config: {{Host:db.internal {name}:{value}}}"),
]
SECRET_NAMES = [
    "password", "passwd", "pwd", "pw", "pass", "passphrase", "Passwort", "Kennwort",
    "contraseña", "contrasena", "mot_de_passe", "senha", "wachtwoord", "hasło", "пароль",
    "密码", "パスワード", "비밀번호", "otp", "totp", "mfa_code", "pin", "secret",
    "client_secret", "api_key", "apiKey", "X-Api-Key", "access_token", "refresh_token",
    "authToken", "session_id", "sessionid", "cookie", "csrf_token", "private_key",
    "connection_string", "signing_key", "account_key", "cvv", "recovery_codes", "DB_PASSWORD",
    "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "slack_webhook_url", "consumer_key", "sig",
    "x-amz-signature", "Authorization",
]  # fmt: skip


def _pairs(g: _Gen) -> list[Credential]:
    out = []
    for i, name in enumerate(SECRET_NAMES):
        for syntax, template in (
            SYNTAXES[i % len(SYNTAXES)],
            SYNTAXES[(i * 7 + 3) % len(SYNTAXES)],
        ):
            value = g.password()
            if name.lower() in ("pin", "otp", "totp", "mfa_code"):
                value = g.digits(6)
            text = template.format(name=name, value=value)
            out.append(Credential(f"pair:{syntax}", text, (value,)))
    return out


def _others(g: _Gen) -> list[Credential]:
    """Credentials no single format or pair names: the issue's own attack classes."""
    pw = g.password()
    aws_secret = g.s(B64, 40, mixed=True)
    hex_token = g.s(HEX, 40)
    storage_key = g.s(B64, 86) + "=="
    sas = g.s(B64, 43) + "="
    sb_key = g.s(B64, 43) + "="
    gcp_key_id = g.s(HEX, 40)
    gcp_pem, gcp_lines = _pem(g, "PRIVATE KEY")
    sentry_key = g.s(HEX, 32)
    docker_auth = base64.b64encode(f"ci-bot:{pw}".encode()).decode()
    npm = g.s(B62, 36)
    random_key = g.s(B62, 40, mixed=True)
    kube = base64.b64encode(g.password().encode()).decode()
    netrc = g.s(B62, 24, mixed=True)
    proxy_pw = g.password()
    mysql_pw = g.s(B62, 12)
    sshpass_pw = g.password()
    redis_pw = g.s(B62, 20)
    curl_pw = g.password()
    sql_pw = g.password()
    git_pw = g.s(B62, 14)
    return [
        Credential("userinfo-without-scheme", f"git fetch deploy:{git_pw}@git.example.com:team/app.git",
                   (git_pw,)),
        Credential("proxy-userinfo", f"HTTPS_PROXY=svc:{proxy_pw}@proxy.corp.example.com:3128",
                   (proxy_pw,)),
        Credential("aws-secret-key-in-prose", f"my aws secret is {aws_secret} for the ci user",
                   (aws_secret,)),
        Credential("aws-secret-key-pair", f"aws_secret_access_key = {aws_secret}", (aws_secret,)),
        Credential("hex-token-in-prose", f"auth failed with token {hex_token} (401)", (hex_token,)),
        Credential("random-token-bare", random_key, (random_key,)),
        Credential("azure-storage-connection-string",
                   "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
                   f"{storage_key};EndpointSuffix=core.windows.net", (storage_key[:80],)),
        Credential("azure-sas-url",
                   "https://acme.blob.core.windows.net/logs/a.txt?sv=2022-11-02&ss=b&srt=o&sp=r"
                   f"&se=2026-01-01T00:00:00Z&sig={quote(sas, safe='')}", (sas[:40],)),
        Credential("azure-service-bus-key",
                   "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=Root;"
                   f"SharedAccessKey={sb_key}", (sb_key[:40],)),
        Credential("gcp-service-account-json", json.dumps({
            "type": "service_account", "project_id": "acme-prod", "private_key_id": gcp_key_id,
            "private_key": gcp_pem + "\n", "client_email": "ci@acme-prod.iam.gserviceaccount.com",
        }), (gcp_key_id, *gcp_lines)),
        Credential("sentry-dsn", f"https://{sentry_key}@o447951.ingest.sentry.io/5428563",
                   (sentry_key,)),
        Credential("docker-config-auth", json.dumps({"auths": {"registry.example.com": {
            "auth": docker_auth}}}), (docker_auth, pw)),
        Credential("npmrc-auth-token", f"//registry.npmjs.org/:_authToken=npm_{npm}", (npm,)),
        Credential("k8s-secret-data", f"kind: Secret\ndata:\n  password: {kube}\n", (kube,)),
        Credential("netrc", f"machine api.example.com login ci password {netrc}", (netrc,)),
        Credential("mysql-cli-password", f"mysql -h db -u root -p{mysql_pw} app", (mysql_pw,)),
        Credential("sshpass-cli-password", f"sshpass -p {sshpass_pw} ssh deploy@host",
                   (sshpass_pw,)),
        Credential("redis-cli-password", f"redis-cli -h cache -a {redis_pw} ping", (redis_pw,)),
        Credential("curl-user-password", f"curl -u deploy:{curl_pw} https://api.example.com",
                   (curl_pw,)),
        Credential("sql-identified-by", f"CREATE USER 'app'@'%' IDENTIFIED BY '{sql_pw}';",
                   (sql_pw,)),
        Credential("authorization-apikey-scheme", f"Authorization: ApiKey {random_key}",
                   (random_key,)),
        Credential("cookie-header", f"Cookie: theme=dark; __Host-session={random_key}; lang=en",
                   (random_key,)),
    ]  # fmt: skip


def credentials(seed: int = SEED) -> list[Credential]:
    """Every credential of the corpus, one or more per format (two of each known format)."""
    g = _Gen(seed)
    out = []
    for _round in range(2):
        for name, make in FORMATS.items():
            text, secrets = make(g)
            out.append(Credential(name, text, tuple(secrets)))
    return out + _pairs(g) + _others(g)


class Holder:
    """An object whose repr carries a credential (what cloud coercion turns into text)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __repr__(self) -> str:
        return f"Holder(config={self.secret!r})"


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _zero_width(text: str) -> str:
    return "\u200b".join(text[i : i + 7] for i in range(0, len(text), 7))


PLACEMENTS = [
    ("value", lambda t: {"properties": {"detail": t}}),
    ("message", lambda t: {"properties": {"error": f"request failed: {t} (attempt 2 of 5)"}}),
    ("nested", lambda t: {"properties": {"ctx": {"req": {"headers": {"x-trace": t}}}}}),
    ("list-item", lambda t: {"properties": {"args": ["--verbose", t, "--retry=3"]}}),
    ("key", lambda t: {"properties": {t: 1, "ok": True}}),
    ("event-name", lambda t: {"event": f"login with {t}"}),
    ("error-name", lambda t: {"kind": "error", "event": f"AuthError: {t} rejected"}),
    ("operation-name", lambda t: {"kind": "performance", "event": f"call {t}", "ms": 12.0}),
    ("developer-id", lambda t: {"developer_id": t}),
    ("user-id", lambda t: {"user_id": t, "developer_id": "dev_acme"}),
    ("percent-encoded", lambda t: {"properties": {"next": "/cb?state=" + quote(t, safe="")}}),
    ("percent-encoded-twice", lambda t: {"properties": {"q": quote(quote(t, safe=""), safe="")}}),
    ("base64", lambda t: {"properties": {
        "blob": base64.b64encode(f"config {t}".encode()).decode()}}),
    ("hex", lambda t: {"properties": {"blob": f"config {t}".encode().hex()}}),
    ("escaped-json", lambda t: {"properties": {"body": json.dumps(json.dumps({"detail": t}))}}),
    ("zero-width", lambda t: {"properties": {"detail": _zero_width(t)}}),
    ("full-width", lambda t: {"properties": {"detail": _fullwidth(t)}}),
    ("bytes", lambda t: {"properties": {"raw": t.encode()}}),
    ("repr", lambda t: {"properties": {"obj": Holder(t)}}),
]  # fmt: skip


def vectors(seed: int = SEED) -> list[Vector]:
    """Every credential placed one way, the placements taken in turn."""
    out = []
    for i, cred in enumerate(credentials(seed)):
        placement, make = PLACEMENTS[i % len(PLACEMENTS)]
        if cred.format.startswith("pair:") and placement in ("key", "developer-id", "user-id"):
            placement, make = PLACEMENTS[0]  # a pair's name belongs with its value
        out.append(Vector(cred.format, placement, cred.secrets, make(cred.text)))
    return out


# Encodings an attacker (or a logging library) wraps a credential in, to be combined.
ENCODINGS = [
    ("percent", lambda t: quote(t, safe="")),
    ("base64", lambda t: base64.b64encode(t.encode()).decode()),
    ("base64url", lambda t: base64.urlsafe_b64encode(t.encode()).decode().rstrip("=")),
    ("hex", lambda t: t.encode().hex()),
    ("json-string", lambda t: json.dumps(t)[1:-1]),
    ("json-object", lambda t: json.dumps({"detail": t})),
    ("html-entities", lambda t: t.replace("_", "&#95;").replace("=", "&#61;")),
    ("zero-width", _zero_width),
    ("full-width", _fullwidth),
    ("message", lambda t: f"error: {t} (retrying)"),
    ("query-value", lambda t: f"https://app.example.com/cb?state={quote(t, safe='')}&a=1"),
]


def encoded(seed: int = SEED + 1, per_credential: int = 3) -> list[tuple[Credential, str, tuple]]:
    """Each credential of the corpus (drawn from ``seed``) wrapped ``per_credential`` times in
    one or two of ``ENCODINGS``, in turn: ``(credential, text, encoding names)``."""
    rng = random.Random(seed)
    out = []
    for cred in credentials(seed):
        for _ in range(per_credential):
            chosen = rng.sample(ENCODINGS, rng.choice((1, 2)))
            text = cred.text
            for _name, wrap in chosen:
                text = wrap(text)
            out.append((cred, text, tuple(name for name, _ in chosen)))
    return out
