"""The credential formats the scanner knows by shape, each with where its shape comes from.

One row per format: its literal start(s) and the regex of what follows. ``credentials`` compiles
every row into one regex (the starts as a prefix tree), masks what a row matches, and tells the
rows apart by name in tests and in the corpus (``tests/policy/credential_corpus.py``).

Sources, cited per row:

- ``gitleaks:<id>``: the rule of that id in gitleaks' default configuration (``config/
  gitleaks.toml``, MIT), the shape re-written here from the rule's description and regex;
- ``detect-secrets:<Plugin>``: the plugin of that name in Yelp's detect-secrets (Apache-2.0);
- ``trufflehog:<detector>``: the detector of that name in trufflehog (AGPL: only the documented
  token shape is used, no code);
- ``vendor``: the vendor's own documentation of its token format;
- ``tenantry``: ``tenantry._keys``, the credentials tenantry issues.

A row's fields: ``prefixes``, the literal text each credential starts with (the match starts
there, or ``before`` characters earlier); ``body``, a regex for the rest (no capturing groups);
``keep``, the prefix stays in the text and only the body is masked (URLs, auth schemes);
``glued``, the prefix may follow a letter or digit (else it must start a word); ``before``, a
character class and a count: the credential also covers up to that many such characters just
before the prefix (a Telegram bot's id before ``:``), which the body's look-behind requires.

What is *not* a row: ``name=value`` pairs judged by the name's words (``credential_pairs``) and
the high-entropy last resort (``credentials``).
"""

from __future__ import annotations

from typing import NamedTuple


class Format(NamedTuple):
    name: str
    source: str
    prefixes: tuple[str, ...]
    body: str
    keep: bool = False
    glued: bool = False
    before: tuple[str, int] | None = None


_HEX = "[0-9a-fA-F]"
_B62 = "[A-Za-z0-9]"
_URL = "[A-Za-z0-9_-]"  # base64url
_B64 = "[A-Za-z0-9+/]"
_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_END = "(?![A-Za-z0-9_-])"
# A credential after an auth scheme: 8+ characters with a digit or a symbol, or 20+ of any.
_SCHEME_CHARS = r"[A-Za-z0-9+/=._~\-]"
SCHEME_TOKEN = rf"(?:(?=[A-Za-z]*[0-9+/=_.~\-]){_SCHEME_CHARS}{{8,}}|{_SCHEME_CHARS}{{20,}})"


def _f(name: str, source: str, prefixes: str | tuple[str, ...], body: str, **kw) -> Format:
    return Format(name, source, (prefixes,) if isinstance(prefixes, str) else prefixes, body, **kw)


FORMATS: tuple[Format, ...] = (
    # -- tenantry's own ----------------------------------------------------------------------
    _f("tenantry-api-key", "tenantry", "tnt_", f"{_URL}{{4,}}", glued=True),
    _f("tenantry-session-token", "tenantry", "tns_", f"{_URL}{{4,}}", glued=True),
    # -- structure-defined --------------------------------------------------------------------
    _f("private-key", "gitleaks:private-key", "-----BEGIN",
       r"[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9_-]*-----|[\s\S]*)"),
    _f("putty-private-key", "trufflehog:PrivateKey", "PuTTY-User-Key-File-",
       r"[\s\S]*?Private-MAC:[ \t]*[0-9a-fA-F]+|[\s\S]*"),
    _f("jwt", "gitleaks:jwt", "eyJ",
       r"[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+){0,2}"),
    _f("url-userinfo", "detect-secrets:BasicAuthDetector", "://",
       r"[^/?#\s@\"'<>]+(?:@[^/?#\s@\"'<>:]+)*(?=@[^\s@/]+)"
       r"|[^\s@/:\"'<>]+:(?![0-9]{1,5}[/?#])[^\s@\"'<>]*/[^\s@\"'<>]*(?=@[A-Za-z0-9\[])",
       keep=True, glued=True),
    # -- auth schemes (the scheme stays, the credential goes) --------------------------------
    _f("auth-bearer", "gitleaks:curl-auth-header", ("Bearer", "bearer", "BEARER"),
       rf"[ \t]+{SCHEME_TOKEN}", keep=True),
    _f("auth-basic", "gitleaks:curl-auth-header", ("Basic", "basic", "BASIC"),
       rf"[ \t]+{SCHEME_TOKEN}", keep=True),
    _f("auth-token", "gitleaks:curl-auth-header", ("Token", "TOKEN"),
       r"[ \t]+(?=[A-Za-z0-9+/=_~-]*[0-9])[A-Za-z0-9+/=_~-]{16,}", keep=True),
    _f("auth-negotiate", "vendor", ("Negotiate", "NEGOTIATE", "NTLM"),
       rf"[ \t]+{SCHEME_TOKEN}", keep=True),
    _f("okta-ssws", "vendor", "SSWS", rf"[ \t]+{SCHEME_TOKEN}", keep=True),
    _f("splunk-auth", "vendor", "Splunk", rf"[ \t]+{_UUID}", keep=True),
    _f("aws-sigv2-auth", "vendor", "AWS", r"[ \t]+[A-Z0-9]{16,}:[A-Za-z0-9+/=]{20,}", keep=True),
    # -- AWS, Google, Azure, other clouds ----------------------------------------------------
    _f("aws-access-key-id", "gitleaks:aws-access-token",
       ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA"),
       "[A-Z0-9]{16,}"),
    _f("gcp-api-key", "gitleaks:gcp-api-key", "AIza", f"{_URL}{{30,}}"),
    _f("google-oauth-access-token", "trufflehog:GoogleOauth2", "ya29.", r"[A-Za-z0-9_.-]{20,}"),
    _f("google-oauth-refresh-token", "vendor", "1//0", f"{_URL}{{30,}}"),
    _f("google-oauth-client-secret", "trufflehog:GCPApplicationDefaultCredentials", "GOCSPX-",
       f"{_URL}{{20,}}"),
    _f("firebase-fcm-server-key", "trufflehog:FirebaseCloudMessaging", ":APA91b",
       rf"(?<=[A-Za-z0-9_-]{{7}}:APA91b){_URL}{{100,}}", glued=True, before=("A-Za-z0-9_-", 12)),
    _f("azure-ad-client-secret", "gitleaks:azure-ad-client-secret", "Q~",
       r"(?<=[A-Za-z0-9_~.]{3}[0-9]Q~)[A-Za-z0-9_~.-]{31,}", glued=True,
       before=("A-Za-z0-9_~.", 4)),
    _f("alibaba-access-key-id", "gitleaks:alibaba-access-key-id", "LTAI", f"{_B62}{{20,}}"),
    _f("tencent-secret-id", "trufflehog:TencentCloudKey", "AKID", f"{_B62}{{32,}}"),
    _f("yandex-api-key", "gitleaks:yandex-api-key", "AQVN", f"{_URL}{{35,}}"),
    _f("digitalocean-pat", "gitleaks:digitalocean-pat", "dop_v1_", f"{_HEX}{{64,}}"),
    _f("digitalocean-access-token", "gitleaks:digitalocean-access-token", "doo_v1_",
       f"{_HEX}{{64,}}"),
    _f("digitalocean-refresh-token", "gitleaks:digitalocean-refresh-token", "dor_v1_",
       f"{_HEX}{{64,}}"),
    _f("heroku-api-key-v2", "vendor", "HRKU-", f"{_URL}{{20,}}"),
    _f("cloudflare-origin-ca-key", "gitleaks:cloudflare-origin-ca-key", "v1.0-",
       f"{_HEX}{{24}}-{_HEX}{{100,}}"),
    _f("databricks-api-token", "gitleaks:databricks-api-token", "dapi", f"{_HEX}{{32,}}(?:-[0-9])?"),
    _f("hashicorp-vault-service-token", "gitleaks:vault-service-token", "hvs.", f"{_URL}{{24,}}"),
    _f("hashicorp-vault-batch-token", "gitleaks:vault-batch-token", "hvb.", f"{_URL}{{24,}}"),
    _f("hashicorp-vault-recovery-token", "vendor", "hvr.", f"{_URL}{{24,}}"),
    _f("hashicorp-vault-legacy-token", "gitleaks:vault-service-token", "s.",
       f"(?=[A-Za-z]*[0-9]){_B62}{{24}}{_END}"),
    _f("hashicorp-tf-api-token", "gitleaks:hashicorp-tf-api-token", ".atlasv1.",
       r"(?<=[A-Za-z0-9]{14}\.atlasv1\.)[A-Za-z0-9_=-]{60,}", glued=True,
       before=("A-Za-z0-9", 14)),
    _f("pulumi-api-token", "gitleaks:pulumi-api-token", "pul-", f"{_HEX}{{40,}}"),
    _f("doppler-token", "gitleaks:doppler-api-token",
       ("dp.pt.", "dp.st.", "dp.ct.", "dp.sa.", "dp.scim.", "dp.audit."),
       f"(?:[a-z0-9_-]{{1,32}}\\.)?{_B62}{{40,}}"),
    _f("1password-service-account-token", "gitleaks:1password-service-account-token", "ops_eyJ",
       f"{_B64}{{100,}}={{0,3}}"),
    _f("age-secret-key", "gitleaks:age-secret-key", "AGE-SECRET-KEY-1", "[A-Z0-9]{58,}"),
    _f("fly-io-token", "gitleaks:flyio-access-token", ("fo1_", "fm1a_", "fm1r_", "fm2_"),
       "[A-Za-z0-9_+/-]{40,}={0,3}"),
    _f("openshift-user-token", "gitleaks:openshift-user-token", "sha256~", f"{_URL}{{43,}}"),
    _f("tailscale-key", "trufflehog:TailscaleKey", "tskey-", f"{_URL}{{20,}}"),
    _f("netlify-pat", "vendor", "nfp_", f"{_B62}{{36,}}"),
    _f("render-api-key", "vendor", "rnd_", f"{_B62}{{32,}}"),
    _f("supabase-pat", "trufflehog:SupabaseToken", "sbp_", f"{_HEX}{{40,}}"),
    _f("supabase-secret-key", "vendor", "sb_secret_", f"{_URL}{{20,}}"),
    _f("planetscale-token", "gitleaks:planetscale-api-token",
       ("pscale_tkn_", "pscale_oauth_", "pscale_pw_"), r"[A-Za-z0-9_=.-]{32,}"),
    _f("scalingo-api-token", "gitleaks:scalingo-api-token", "tk-us-", f"{_URL}{{48,}}"),
    _f("clickhouse-cloud-secret", "gitleaks:clickhouse-cloud-api-secret-key", "4b1d",
       f"{_B62}{{38,}}"),
    # -- source control, CI, package registries ---------------------------------------------
    _f("github-token", "gitleaks:github-pat", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
       f"{_B62}{{30,}}"),
    _f("github-fine-grained-pat", "gitleaks:github-fine-grained-pat", "github_pat_",
       r"\w{22,}"),
    _f("gitlab-token", "gitleaks:gitlab-pat",
       ("glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glft-", "glimt-", "glagent-", "gloas-",
        "glsoat-", "glffct-"), r"[A-Za-z0-9_.-]{20,}"),
    _f("gitlab-runner-registration-token", "gitleaks:gitlab-rrt", "GR1348941", f"{_URL}{{20,}}"),
    _f("gitlab-session-cookie", "gitleaks:gitlab-session-cookie", "_gitlab_session=",
       f"{_HEX}{{32,}}", glued=True),
    _f("bitbucket-app-password", "trufflehog:BitbucketAppPassword", "ATBB", f"{_B62}{{28,}}"),
    _f("atlassian-api-token", "gitleaks:atlassian-api-token", ("ATATT3", "ATCTT3"),
       r"[A-Za-z0-9_=-]{20,}"),
    _f("sourcegraph-token", "gitleaks:sourcegraph-access-token", "sgp_", r"[A-Za-z0-9_]{40,}"),
    _f("sonarqube-token", "trufflehog:SonarCloud", ("squ_", "sqp_", "sqa_"), f"{_HEX}{{40,}}"),
    _f("circleci-pat", "vendor", ("CCIPAT_", "CCIRT_"), r"[A-Za-z0-9_]{40,}"),
    _f("buildkite-token", "trufflehog:BuildkiteV2", "bkua_", f"{_HEX}{{40,}}"),
    _f("npm-token", "gitleaks:npm-access-token", "npm_", f"{_B62}{{36,}}"),
    _f("pypi-token", "gitleaks:pypi-upload-token", "pypi-", f"{_URL}{{20,}}"),
    _f("nuget-api-key", "trufflehog:NugetApiKey", "oy2", "[a-z0-9]{43,}"),
    _f("rubygems-token", "gitleaks:rubygems-api-token", "rubygems_", f"{_HEX}{{48,}}"),
    _f("clojars-token", "gitleaks:clojars-api-token", "CLOJARS_", f"{_B62}{{60,}}"),
    _f("docker-hub-pat", "trufflehog:DockerHub", ("dckr_pat_", "dckr_oat_"), f"{_URL}{{20,}}"),
    _f("jfrog-api-key", "detect-secrets:ArtifactoryDetector", "AKCp", f"{_B62}{{60,}}"),
    _f("jfrog-reference-token", "trufflehog:ArtifactoryReferenceToken", "cmVmdGtuOjAx",
       f"{_B64}{{40,}}={{0,2}}"),
    _f("octopus-deploy-api-key", "gitleaks:octopus-deploy-api-key", "API-", "[A-Z0-9]{26,}"),
    _f("prefect-api-token", "gitleaks:prefect-api-token", "pnu_", f"{_B62}{{36,}}"),
    _f("readme-api-token", "gitleaks:readme-api-token", "rdme_", "[a-z0-9]{70,}"),
    _f("postman-api-token", "gitleaks:postman-api-token", "PMAK-", f"{_HEX}{{24}}-{_HEX}{{34,}}"),
    _f("harness-api-key", "gitleaks:harness-api-key", ("pat.", "sat."),
       f"{_URL}{{22}}\\.{_B62}{{24}}\\.{_B62}{{20,}}"),
    _f("infracost-api-token", "gitleaks:infracost-api-token", "ico-", f"{_B62}{{32,}}"),
    # -- chat, webhooks, bots ----------------------------------------------------------------
    _f("slack-token", "gitleaks:slack-bot-token",
       ("xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxo-", "xoxs-", "xoxe-", "xoxe.xoxb-",
        "xoxe.xoxp-"), r"[A-Za-z0-9-]{10,}"),
    _f("slack-app-token", "gitleaks:slack-app-token", "xapp-", r"[A-Za-z0-9-]{10,}"),
    _f("slack-webhook-url", "gitleaks:slack-webhook-url",
       ("hooks.slack.com/services/", "hooks.slack.com/workflows/", "hooks.slack.com/triggers/"),
       r"[A-Za-z0-9+/_-]{20,}", keep=True),
    _f("discord-webhook-url", "trufflehog:DiscordWebhook",
       ("discord.com/api/webhooks/", "discordapp.com/api/webhooks/"),
       rf"[0-9]{{5,}}/{_URL}{{20,}}", keep=True),
    _f("discord-bot-token", "detect-secrets:DiscordBotTokenDetector", ".",
       r"(?<=[A-Za-z0-9_-]{24}\.)[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}", glued=True,
       before=("A-Za-z0-9_-", 26)),
    _f("telegram-bot-token", "detect-secrets:TelegramBotTokenDetector", ":",
       rf"(?<=[0-9]{{5}}:){_URL}{{35}}{_END}", glued=True, before=("0-9", 16)),
    _f("microsoft-teams-webhook", "gitleaks:microsoft-teams-webhook",
       (".webhook.office.com/webhookb2/", "outlook.office.com/webhook/",
        "outlook.office365.com/webhook/"), r"[^\s\"'<>]{20,}", keep=True, glued=True),
    _f("zapier-webhook-url", "trufflehog:ZapierWebhook", "hooks.zapier.com/hooks/catch/",
       r"[0-9]+/[A-Za-z0-9]+/?", keep=True),
    _f("chat-server-webhook", "vendor (Mattermost, Rocket.Chat incoming webhooks)", "/hooks/",
       f"{_B62}{{20,}}(?:/{_B62}{{20,}})?", keep=True, glued=True),
    _f("ifttt-webhook-key", "trufflehog:IFTTT", "maker.ifttt.com/trigger/",
       f"[^/\\s]+/with/key/{_URL}{{10,}}", keep=True),
    _f("make-webhook-url", "vendor", "make.com/", "[a-z0-9]{30,}", keep=True),
    _f("feishu-lark-webhook", "vendor",
       ("open.feishu.cn/open-apis/bot/v2/hook/", "open.larksuite.com/open-apis/bot/v2/hook/"),
       f"{_URL}{{20,}}", keep=True),
    _f("wecom-webhook-key", "vendor", "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=",
       f"{_URL}{{20,}}", keep=True),
    _f("twitter-bearer-token", "gitleaks:twitter-bearer-token", "AAAAAAAAAAAAAAAAAAAAA",
       "[A-Za-z0-9%]{30,}"),
    _f("facebook-access-token", "gitleaks:facebook-page-access-token", "EAA", f"{_B62}{{60,}}"),
    # -- payments, commerce -------------------------------------------------------------------
    _f("stripe-key", "gitleaks:stripe-access-token",
       ("sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_", "pk_live_",
        "pk_test_"), f"{_B62}{{10,}}"),
    _f("stripe-webhook-secret", "vendor", "whsec_", f"{_B64}{{20,}}"),
    _f("square-token", "gitleaks:square-access-token", ("sq0atp-", "sq0csp-"), f"{_URL}{{22,}}"),
    _f("shopify-token", "gitleaks:shopify-access-token", ("shpat_", "shpca_", "shppa_", "shpss_"),
       f"{_HEX}{{32,}}"),
    _f("braintree-access-token", "trufflehog:BraintreePayments",
       ("access_token$production$", "access_token$sandbox$"), r"[0-9a-z]{16}\$[0-9a-f]{32,}"),
    _f("plaid-access-token", "gitleaks:plaid-api-token",
       ("access-sandbox-", "access-development-", "access-production-"), _UUID),
    _f("flutterwave-secret-key", "gitleaks:flutterwave-secret-key", ("FLWSECK_TEST-", "FLWSECK-"),
       f"{_B62}{{12,}}(?:-X)?"),
    _f("duffel-api-token", "gitleaks:duffel-api-token", ("duffel_test_", "duffel_live_"),
       f"{_URL}{{43,}}"),
    _f("easypost-api-token", "gitleaks:easypost-api-token", ("EZAK", "EZTK"), f"{_B62}{{54,}}"),
    _f("shippo-api-token", "gitleaks:shippo-api-token", ("shippo_live_", "shippo_test_"),
       f"{_HEX}{{40,}}"),
    # -- email, messaging, marketing ----------------------------------------------------------
    _f("sendgrid-api-key", "gitleaks:sendgrid-api-token", "SG.",
       r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),
    _f("twilio-api-key", "gitleaks:twilio-api-key", "SK", f"{_HEX}{{32}}{_END}"),
    _f("mailgun-api-key", "gitleaks:mailgun-private-api-token", ("key-", "pubkey-"),
       f"{_HEX}{{32}}{_END}"),
    _f("mailchimp-api-key", "gitleaks:mailchimp-api-key", "-us",
       r"(?<=[0-9a-f]{32}-us)[0-9]{1,2}(?![0-9])", glued=True, before=("0-9a-f", 32)),
    _f("brevo-api-key", "gitleaks:sendinblue-api-token", ("xkeysib-", "xsmtpsib-"),
       f"{_HEX}{{64}}-{_B62}{{16,}}"),
    _f("resend-api-key", "vendor", "re_", f"{_B62}{{8}}_{_B62}{{24,}}"),
    _f("hubspot-private-app-token", "vendor", ("pat-na1-", "pat-eu1-"), _UUID),
    _f("typeform-api-token", "gitleaks:typeform-api-token", "tfp_", r"[A-Za-z0-9_.=-]{40,}"),
    _f("linear-api-key", "gitleaks:linear-api-key", ("lin_api_", "lin_oauth_"), f"{_B62}{{40,}}"),
    _f("notion-integration-token", "trufflehog:Notion", "secret_", f"{_B62}{{43}}{_END}"),
    _f("notion-token", "vendor", "ntn_", f"{_B62}{{40,}}"),
    _f("figma-pat", "trufflehog:FigmaPersonalAccessToken", "figd_", f"{_URL}{{40,}}"),
    _f("frameio-api-token", "gitleaks:frameio-api-token", "fio-u-", f"{_URL}{{64,}}"),
    _f("airtable-pat", "trufflehog:AirtablePersonalAccessToken", ".",
       rf"(?<=pat[A-Za-z0-9]{{14}}\.){_HEX}{{64}}", glued=True, before=("A-Za-z0-9", 17)),
    _f("contentful-pat", "vendor", "CFPAT-", f"{_URL}{{43,}}"),
    _f("mapbox-secret-token", "gitleaks:mapbox-api-token", "sk.eyJ",
       r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}"),
    _f("dropbox-short-lived-token", "gitleaks:dropbox-short-lived-api-token", "sl.",
       r"[A-Za-z0-9_=-]{130,}"),
    _f("adobe-client-secret", "gitleaks:adobe-client-secret", "p8e-", f"{_B62}{{32,}}"),
    _f("settlemint-token", "gitleaks:settlemint-personal-access-token",
       ("sm_aat_", "sm_pat_", "sm_sat_"), f"{_B62}{{16,}}"),
    _f("intra42-client-secret", "gitleaks:intra42-client-secret", ("s-s4t2ud-", "s-s4t2af-"),
       f"{_HEX}{{64,}}"),
    # -- observability ------------------------------------------------------------------------
    _f("sentry-token", "gitleaks:sentry-user-token", ("sntrys_", "sntryu_"), r"[A-Za-z0-9+/=_]{40,}"),
    _f("new-relic-key", "gitleaks:new-relic-user-api-key", ("NRAK-", "NRJS-", "NRII-"),
       r"[A-Za-z0-9-]{19,}"),
    _f("grafana-api-key", "gitleaks:grafana-api-key", "eyJrIjoi", f"{_B62}{{40,}}={{0,3}}"),
    _f("grafana-cloud-token", "gitleaks:grafana-cloud-api-token", "glc_", f"{_B64}{{32,}}={{0,3}}"),
    _f("grafana-service-account-token", "gitleaks:grafana-service-account-token", "glsa_",
       f"{_B62}{{32}}_{_HEX}{{8}}"),
    _f("dynatrace-api-token", "gitleaks:dynatrace-api-token", "dt0c01.",
       f"{_B62}{{24}}\\.{_B62}{{64,}}"),
    _f("posthog-personal-api-key", "trufflehog:PosthogApp", "phx_", f"{_B62}{{20,}}"),
    _f("maxmind-license-key", "gitleaks:maxmind-license-key", "_mmk",
       r"(?<=[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk)", glued=True, before=("A-Za-z0-9_", 36)),
    # -- AI providers -------------------------------------------------------------------------
    _f("openai-api-key", "gitleaks:openai-api-key",
       ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-"), f"{_URL}{{20,}}"),
    _f("anthropic-api-key", "trufflehog:Anthropic", ("sk-ant-api03-", "sk-ant-admin01-"),
       f"{_URL}{{20,}}"),
    _f("openrouter-api-key", "vendor", "sk-or-v1-", f"{_HEX}{{40,}}"),
    _f("generic-sk-key", "detect-secrets:OpenAIDetector", "sk-",
       f"(?=[A-Za-z0-9_-]*[0-9]){_URL}{{20,}}"),
    _f("huggingface-token", "gitleaks:huggingface-access-token", ("hf_", "api_org_"),
       r"[A-Za-z0-9_.\-]{20,}"),
    _f("groq-api-key", "trufflehog:Groq", "gsk_", f"{_B62}{{40,}}"),
    _f("replicate-api-token", "trufflehog:Replicate", "r8_", f"{_B62}{{30,}}"),
    _f("perplexity-api-key", "vendor", "pplx-", f"{_B62}{{40,}}"),
    _f("xai-api-key", "vendor", "xai-", f"{_B62}{{60,}}"),
    _f("pinecone-api-key", "vendor", "pcsk_", f"{_URL}{{40,}}"),
    _f("langsmith-api-key", "trufflehog:LangSmith", ("lsv2_pt_", "lsv2_sk_"), r"[A-Za-z0-9_]{32,}"),
    _f("tavily-api-key", "vendor", "tvly-", f"{_URL}{{30,}}"),
    _f("elevenlabs-api-key", "trufflehog:ElevenLabs", "sk_", f"{_HEX}{{48,}}"),
    # -- found by the review of issue 19 (tests/policy/credential_corpus_unseen.py) ------------
    _f("1password-secret-key", "gitleaks:1password-secret-key", "A3-",
       r"[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}"),
    _f("authress-access-key", "gitleaks:authress-service-client-access-key",
       ("sc_", "ext_", "scauth_", "authress_"),
       r"[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][a-z0-9-]{10,32}\.[a-z0-9+/_=-]{30,120}"),
    _f("square-access-token-eaaa", "gitleaks:square-access-token", "EAAA", r"[\w-]{22,60}"),
    _f("facebook-app-access-token", "gitleaks:facebook-access-token", "|",
       r"(?<=[0-9]{15}\|)[A-Za-z0-9_-]{27,40}", glued=True, before=("0-9", 16)),
    _f("flutterwave-encryption-key", "gitleaks:flutterwave-encryption-key", "FLWSECK_TEST",
       r"[a-hA-H0-9]{12}(?![A-Za-z0-9])"),
    _f("flutterwave-public-key", "gitleaks:flutterwave-public-key", "FLWPUBK_TEST-",
       r"[a-hA-H0-9]{32}-X"),
    _f("yandex-access-token", "gitleaks:yandex-access-token", "t1.",
       r"[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]{86}={0,2}"),
    _f("yandex-aws-access-token", "gitleaks:yandex-aws-access-token", "YC",
       r"[A-Za-z0-9_-]{38}(?![A-Za-z0-9_-])"),
    _f("dropbox-long-lived-token", "gitleaks:dropbox-long-lived-api-token", "AAAAAAAAAA",
       r"(?<=[a-z0-9]{11}AAAAAAAAAA)[A-Za-z0-9_=-]{43}", glued=True, before=("a-z0-9", 11)),
    _f("defined-networking-api-token", "gitleaks:defined-networking-api-token", "dnkey-",
       r"[A-Za-z0-9=_-]{26}-[A-Za-z0-9=_-]{52}"),
    _f("sidekiq-secret", "gitleaks:sidekiq-secret",
       ("BUNDLE_ENTERPRISE__CONTRIBSYS__COM", "BUNDLE_GEMS__CONTRIBSYS__COM"),
       r"[ \t]*[=:][ \t]*[\"']?[a-fA-F0-9]{8}:[a-fA-F0-9]{8}", keep=True),
    _f("scaleway-access-key", "vendor (Scaleway access key IDs)", "SCW",
       r"[A-Z0-9]{17}(?![A-Za-z0-9])"),
    _f("bitwarden-access-token", "vendor (Bitwarden Secrets Manager access tokens)", "0.",
       rf"{_UUID}\.[A-Za-z0-9]{{30}}:[A-Za-z0-9+/]{{22,}}={{0,2}}"),
    _f("infisical-service-token", "vendor (Infisical service tokens)", "st.",
       rf"{_UUID}\.{_HEX}{{32}}\.{_HEX}{{32}}"),
    _f("crates-io-token", "vendor (crates.io API tokens)", "cio", rf"{_B62}{{32}}{_END}"),
    _f("asana-pat", "vendor (Asana personal access tokens)", ("1/", "2/"),
       rf"[0-9]{{10,19}}(?:/[0-9]{{10,19}})?:{_B62}{{32}}{_END}"),
    _f("new-relic-license-key", "vendor (New Relic license keys end with NRAL)", "NRAL",
       r"(?<=[0-9a-f]{36}NRAL)(?![A-Za-z0-9])", glued=True, before=("0-9a-f", 36)),
    _f("telnyx-api-key", "vendor (Telnyx API v2 keys)", "KEY", rf"[0-9A-F]{{32}}_{_B62}{{22}}"),
    _f("woocommerce-api-key", "vendor (WooCommerce REST API keys)", ("ck_", "cs_"),
       rf"{_HEX}{{40}}{_END}"),
    _f("checkout-com-secret-key", "vendor (Checkout.com sandbox secret keys)", "sk_sbox_",
       r"[a-z0-9]{26,}"),
    _f("razorpay-key-id", "trufflehog:Razorpay", ("rzp_live_", "rzp_test_"), rf"{_B62}{{14,}}"),
    _f("mollie-api-key", "vendor (Mollie API keys)", ("live_", "test_"),
       rf"(?=[A-Za-z]*[0-9]){_B62}{{30}}{_END}"),
    _f("intercom-access-token", "vendor (Intercom access tokens, base64 of tok:)", "dG9rOj",
       rf"{_B64}{{40,}}={{0,2}}"),
    _f("launchdarkly-sdk-key", "vendor (LaunchDarkly server-side SDK keys)", "sdk-", _UUID),
    _f("google-oauth-auth-code", "vendor (Google OAuth 2.0 authorization codes)", "4/0A",
       rf"{_URL}{{30,}}"),
    _f("aws-session-token", "vendor (AWS STS session tokens)",
       ("IQoJb3JpZ2lu", "FwoGZXIvYXdz", "FQoGZXIvYXdz"), rf"{_B64}{{40,}}={{0,2}}"),
    _f("azure-shared-access-signature", "vendor (Azure API Management and Service Bus SAS)",
       "SharedAccessSignature", r"[ \t]+[^\s\"'<>]{20,}", keep=True),
    _f("amazon-bedrock-api-key", "vendor (Amazon Bedrock API keys)", "ABSK",
       rf"{_B64}{{40,}}={{0,2}}"),
    _f("adafruit-io-key", "vendor (Adafruit IO keys)", "aio_", rf"{_B62}{{28,}}"),
    _f("apify-api-token", "vendor (Apify API tokens)", "apify_api_", rf"{_B62}{{36,}}"),
    _f("klaviyo-private-key", "vendor (Klaviyo private API keys)", "pk_", rf"{_HEX}{{34}}{_END}"),
    # password hashes: crypt(3)'s modular crypt format (passlib's documentation of each
    # scheme), Django's password hashers, the NT hash of a pwdump/secretsdump line
    _f("bcrypt-hash", "passlib:bcrypt", ("$2a$", "$2b$", "$2y$", "$2x$"),
       r"[0-9]{2}\$[./A-Za-z0-9]{53}"),
    _f("sha-crypt-hash", "passlib:sha512_crypt, sha256_crypt, md5_crypt, apr_md5_crypt",
       ("$6$", "$5$", "$1$", "$apr1$"),
       r"(?:rounds=[0-9]+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}"),
    _f("argon2-hash", "passlib:argon2", ("$argon2id$", "$argon2i$", "$argon2d$"),
       r"v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]{16,}"),
    _f("yescrypt-hash", "libxcrypt:yescrypt", "$y$",
       r"[./A-Za-z0-9]+\$[./A-Za-z0-9]+\$[./A-Za-z0-9]{20,}"),
    _f("django-password-hash", "vendor (Django password hashers)",
       ("pbkdf2_sha256$", "pbkdf2_sha1$", "bcrypt_sha256$", "scrypt$"), r"[^\s\"'<>]{20,}"),
    _f("pwdump-nt-hash", "impacket:secretsdump (the empty LM hash before the NT hash)",
       "aad3b435b51404eeaad3b435b51404ee:", rf"{_HEX}{{32}}", keep=True),
    # credentials in a URL's query: an OAuth authorization code or an Azure Functions key
    # (``code=``), an API key (``key=``, Google Maps Platform and many others)
    _f("url-code-param", "RFC 6749 4.1.2; vendor (Azure Functions keys)", ("?code=", "&code="),
       r"[A-Za-z0-9_/+%=.~-]{20,}", keep=True, glued=True),
    _f("url-key-param", "gitleaks:generic-api-key; vendor (Google Maps Platform key=)",
       ("?key=", "&key="), r"[A-Za-z0-9_-]{16,}", keep=True, glued=True),
) + tuple(
    # a key cut short (split over two properties, truncated by a logger): its distinctive
    # prefix and four or more characters of its body
    _f(f"fragment:{p}", "tenantry (a known prefix, the body cut short)", p, r"[A-Za-z0-9_-]{4,}")
    for p in ("sk_live_", "sk_test_", "rk_live_", "rk_test_", "ghp_", "gho_", "ghu_", "ghs_",
              "ghr_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "xapp-", "sk-proj-",
              "sk-ant-api03-", "dop_v1_", "dckr_pat_", "shpat_", "shpss_", "hvs.", "AKIA")
)  # fmt: skip
