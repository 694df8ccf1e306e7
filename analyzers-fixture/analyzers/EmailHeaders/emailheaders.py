#!/usr/bin/env python3
"""EmailHeaders: local analysis of the headers of an RFC 5322 message (.eml)."""
import email
import ipaddress
import re
from email import policy
from email.utils import getaddresses, parseaddr

from cortexlite import Analyzer

IP_RE = re.compile(r"\[?(\d{1,3}(?:\.\d{1,3}){3})\]?")
URL_RE = re.compile(r"https?://[^\s\"'<>)]+", re.IGNORECASE)
AUTH_RE = re.compile(r"\b(spf|dkim|dmarc)=(\w+)", re.IGNORECASE)
# Hops through these networks say nothing about the sender's infrastructure.
INTERNAL_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16")
]


def domain_of(address):
    return address.rpartition("@")[2].lower() if "@" in address else ""


def relay_ips(text):
    found = []
    for candidate in IP_RE.findall(text):
        try:
            ip = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if not any(ip in net for net in INTERNAL_NETWORKS) and candidate not in found:
            found.append(candidate)
    return found


class EmailHeaders(Analyzer):
    def run(self):
        if self.data_type != "file":
            self.error("EmailHeaders only analyzes .eml files.")
        with open(self.get_data(), "rb") as handle:
            message = email.message_from_binary_file(handle, policy=policy.default)

        sender = parseaddr(str(message.get("From", "")))[1]
        reply_to = parseaddr(str(message.get("Reply-To", "")))[1]
        return_path = parseaddr(str(message.get("Return-Path", "")))[1]
        recipients = [a for _, a in getaddresses([str(v) for v in message.get_all("To", [])]) if a]

        authentication = {}
        for header in message.get_all("Authentication-Results", []):
            for method, result in AUTH_RE.findall(str(header)):
                authentication.setdefault(method.lower(), result.lower())

        hops = []
        for header in message.get_all("Received", []):
            text = " ".join(str(header).split())
            hops.append({"header": text, "ips": relay_ips(text)})

        body = message.get_body(preferencelist=("plain", "html"))
        links = sorted(set(URL_RE.findall(body.get_content()))) if body is not None else []

        trusted = [d.lower() for d in self.get_config("trusted_domains", [])]
        sender_domain = domain_of(sender)
        anomalies = []
        if sender_domain not in trusted:
            if reply_to and domain_of(reply_to) != sender_domain:
                anomalies.append("Reply-To domain differs from From domain")
            if return_path and domain_of(return_path) != sender_domain:
                anomalies.append("Return-Path domain differs from From domain")
            for method in ("spf", "dkim", "dmarc"):
                if authentication.get(method) in ("fail", "softfail", "permerror"):
                    anomalies.append("%s=%s" % (method.upper(), authentication[method]))

        self.report(
            {
                "subject": str(message.get("Subject", "")),
                "from": sender,
                "reply_to": reply_to,
                "return_path": return_path,
                "to": recipients,
                "message_id": str(message.get("Message-ID", "")),
                "authentication": authentication,
                "hops": hops,
                "links": links,
                "anomalies": anomalies,
            }
        )

    def summary(self, raw):
        if len(raw["anomalies"]) >= 2:
            level = "malicious"
        elif raw["anomalies"]:
            level = "suspicious"
        else:
            level = "safe"
        taxonomies = [self.build_taxonomy(level, "EmailHeaders", "Anomalies", str(len(raw["anomalies"])))]
        for method in ("spf", "dkim", "dmarc"):
            if method in raw["authentication"]:
                result = raw["authentication"][method]
                method_level = "safe" if result == "pass" else "suspicious"
                taxonomies.append(self.build_taxonomy(method_level, "EmailHeaders", method.upper(), result))
        return {"taxonomies": taxonomies}

    def artifacts(self, raw):
        artifacts = []
        for address in {raw["from"], raw["reply_to"], raw["return_path"]} - {""}:
            artifacts.append(self.build_artifact("mail", address))
        for ip in sorted({ip for hop in raw["hops"] for ip in hop["ips"]}):
            artifacts.append(self.build_artifact("ip", ip, tags=["email:relay"]))
        for link in raw["links"]:
            artifacts.append(self.build_artifact("url", link))
        return sorted(artifacts, key=lambda a: (a["dataType"], a["data"]))


if __name__ == "__main__":
    EmailHeaders().run()
