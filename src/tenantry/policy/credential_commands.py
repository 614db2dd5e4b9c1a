"""Credentials in the containers that carry them without a ``name=value`` pair of their own:
command lines, connection strings that put the password after a slash, ``.pgpass`` lines,
Kubernetes Secrets, XML properties named by an attribute, HCL variables.

    docker login -u bob -p S3cret! registry      ->  docker login -u bob -p [REDACTED] registry
    echo 'S3cret!' | sudo -S systemctl restart   ->  echo '[REDACTED]' | sudo -S systemctl ...
    sqlplus scott/tiger@//db:1521/ORCL            ->  sqlplus scott/[REDACTED]@//db:1521/ORCL
    machine api.example.com login bob password x  ->  machine ... login bob password [REDACTED]
    db.internal:5432:app:app:S3cret!              ->  db.internal:5432:app:app:[REDACTED]
    <property name="password">S3cret!</property>  ->  <property name="password">[REDACTED]</...>

Each syntax is one regex whose group ``v`` is the credential; ``spans(text, low)`` yields them
for ``credential_pairs`` (which gates the whole on ``HINT``: ``GATE_WORDS`` are added to it).
``pgpass_spans`` is asked apart: a ``.pgpass`` line has no word to find. Sources: the tools'
own manuals (docker-login(1), ftp(1)'s ``.netrc``, sudo(8) ``-S``, chpasswd(8), zip(1) ``-P``, 7z ``-p``,
sshpass(1) ``-p``, redis-cli ``-a``, ldapsearch(1) ``-w``, ipmitool(1) ``-P``, PuTTY's ``-pw``,
mongosh ``-p``, rar ``-p``,
sqlplus's and Oracle JDBC's ``user/password@``, smbclient(1) ``-U user%password``, curl(1)
``-u``, PostgreSQL's password file), gitleaks' ``kubernetes-secret-yaml`` and
``curl-auth-user`` rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

# The words that open ``credential_pairs.HINT`` for these syntaxes (lower case).
# (XML properties, HCL variables and Kubernetes Secrets open it by their secret words.)
GATE_WORDS = ("docker", "stdin", "sudo", "chpasswd", "zip", "7z", "sqlplus", "oracle",
              "smbclient", "curl", "machine", "sshpass", "redis-cli", "ldap", "ipmitool",
              "plink", "pscp", "psftp", "mongo", "rar")  # fmt: skip

_Q = r"[\"']?"
_VALUE = r"(?P<v>[^\s\"'|;&]+)"
# (the words a text must hold, the regex): the regex's group ``v`` is the credential
_COMMANDS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (("docker",), re.compile(rf"\bdocker[ \t]+login\b[^\n|;&]*?[ \t]-p[ \t]+{_Q}{_VALUE}")),
    (
        ("stdin", "sudo", "chpasswd"),
        re.compile(
            rf"\becho[ \t]+(?:-[ne]+[ \t]+)?{_Q}(?P<v>[^\s\"'|]+){_Q}[ \t]*\|[ \t]*"
            r"(?=[^\n]*?(?:--password-stdin|\bsudo[ \t]+-S\b|\bchpasswd\b|--stdin\b))"
        ),
    ),
    (("zip",), re.compile(rf"\b(?:zip|unzip)\b[^\n|;&]*?[ \t]-P[ \t]+{_Q}{_VALUE}")),
    # a password as a command's flag: sshpass(1) -p, redis-cli -a, the OpenLDAP tools' -w,
    # ipmitool(1) -P, PuTTY's plink/pscp/psftp -pw, the MongoDB shells' -p
    (("sshpass",), re.compile(rf"\bsshpass\b[^\n|;&]*?[ \t]-p[ \t]*{_Q}{_VALUE}")),
    (("redis-cli",), re.compile(rf"\bredis-cli\b[^\n|;&]*?[ \t]-a[ \t]+{_Q}{_VALUE}")),
    (("ldap",), re.compile(rf"\bldap[a-z]+\b[^\n|;&]*?[ \t]-w[ \t]+{_Q}{_VALUE}")),
    (("ipmitool",), re.compile(rf"\bipmitool\b[^\n|;&]*?[ \t]-P[ \t]+{_Q}{_VALUE}")),
    (
        ("plink", "pscp", "psftp"),
        re.compile(rf"\b(?:plink|pscp|psftp)\b[^\n|;&]*?[ \t]-pw[ \t]+{_Q}{_VALUE}"),
    ),
    (("mongo",), re.compile(rf"\bmongo(?:sh)?\b[^\n|;&]*?[ \t]-p[ \t]+{_Q}{_VALUE}")),
    (("rar",), re.compile(r"\b(?:un)?rar[ \t]+[^\n|;&]*?[ \t]-p(?P<v>[^\s\"'|;&-][^\s\"'|;&]*)")),
    (("7z",), re.compile(r"\b7za?[ \t]+[^\n|;&]*?[ \t]-p(?P<v>[^\s\"'|;&]+)")),
    (
        ("sqlplus", "oracle"),
        re.compile(
            r"(?:\bsqlplus(?:[ \t]+-[A-Za-z]+)*[ \t]+|jdbc:oracle:(?:thin|oci):)"
            r"[^\s/@\"']{1,64}/(?P<v>[^\s@\"']{1,128})@"
        ),
    ),
    (("smbclient",), re.compile(r"\bsmbclient\b[^\n|;&]*?[ \t]-U[ \t]+[^\s%]{1,64}%(?P<v>\S+)")),
    # curl -u token: (a key passed as the user name, the password left empty)
    (
        ("curl",),
        re.compile(r"\bcurl\b[^\n]*?[ \t](?:-u|--user)[ \t=]+(?P<v>[^\s:\"']{8,}):(?=\s|$)"),
    ),
    # .netrc (ftp(1), curl's --netrc): machine host [login bob] [account a] password x, on one
    # line or several
    (
        ("machine",),
        re.compile(
            r"\bmachine[ \t]+\S+(?:\s+(?:login|account|port)[ \t]+\S+)*\s+password[ \t]+"
            r"(?P<v>\S+)"
        ),
    ),
    # XML properties named by an attribute: <property name="password">x</property>,
    # <entry key="db.password">x</entry>
    (
        ("</",),
        re.compile(
            r"<(?P<tag>[A-Za-z][\w.:-]*)[^<>]*?\b(?:name|key)[ \t]*=[ \t]*[\"'](?P<name>[^\"'<>]{1,64})"
            r"[\"'][^<>]*>(?P<v>[^<]{1,512})</(?P=tag)>"
        ),
    ),
    # HCL: variable "db_password" { ... default = "x" }
    (
        ("variable",),
        re.compile(
            r"\bvariable[ \t]+\"(?P<name>[^\"]{1,64})\"[ \t]*\{[^{}]{0,400}?\bdefault[ \t]*=[ \t]*"
            r"\"(?P<v>[^\"\n]{1,256})\""
        ),
    ),
)
_ANY_NEEDED = re.compile("|".join(re.escape(w) for needed, _ in _COMMANDS for w in needed))
# A Kubernetes Secret's data: every value under ``data:`` or ``stringData:``.
_K8S_KIND = re.compile(r"(?im)^[ \t]*kind:[ \t]*[\"']?secret\b")
_K8S_DATA = re.compile(r"(?m)^(?P<indent>[ \t]*)(?:data|stringData):[ \t]*$")
_K8S_ITEM = re.compile(r"[ \t]+[\w.-]+:[ \t]*(?P<v>[^\s#][^\n]*)")
# host:port:database:user:password (PostgreSQL's password file), alone or inside a message.
_PGPASS = re.compile(
    r"(?<![^\s\"'(\[,])[A-Za-z0-9_.*-]+:(?:[0-9]{1,5}|\*):[^\s:\"']+:[^\s:\"']+"
    r":(?P<v>[^\s:\"']+)(?=[\s\"')\],;]|$)"
)


def spans(text: str, low: str, named: Callable[[str], int]) -> Iterator[tuple[int, int]]:
    """The credentials of the syntaxes above in ``text`` (``low``: it in lower case), as
    ``(start, end)``; ``named(name)`` judges the names XML attributes and HCL variables give
    (a verdict of ``tenantry.policy.words``: 0 for a name that names no secret)."""
    if _ANY_NEEDED.search(low) is not None:  # seldom: most texts name no such tool
        yield from _command_spans(text, low, named)
    if "secret" in low and _K8S_KIND.search(text) is not None:
        yield from _k8s_data(text)


def _command_spans(text: str, low: str, named: Callable[[str], int]) -> Iterator[tuple[int, int]]:
    for needed, regex in _COMMANDS:
        if not any(word in low for word in needed):
            continue
        for m in regex.finditer(text):
            if "name" in regex.groupindex and not named(m.group("name")):
                continue
            yield m.span("v")


def _k8s_data(text: str) -> Iterator[tuple[int, int]]:
    for block in _K8S_DATA.finditer(text):
        indent = len(block.group("indent"))
        pos = block.end() + 1
        while pos < len(text):
            m = _K8S_ITEM.match(text, pos)
            line_end = text.find("\n", pos)
            line_end = len(text) if line_end < 0 else line_end
            if m is None or m.start("v") > line_end or _indent(text, pos) <= indent:
                break
            yield m.start("v"), line_end
            pos = line_end + 1


def _indent(text: str, pos: int) -> int:
    n = 0
    while pos + n < len(text) and text[pos + n] in " \t":
        n += 1
    return n


def pgpass_spans(text: str) -> list[tuple[int, int]]:
    """The password of each ``.pgpass`` line in ``text`` (call when it has four colons)."""
    return [m.span("v") for m in _PGPASS.finditer(text)]
