#!/usr/bin/env python3
"""IPClassifier: offline classification of an IP address (stdlib only, custom Dockerfile)."""
import ipaddress
import json
import os
import sys

# A tiny table of well-known public services.
KNOWN_NETWORKS = {
    "8.8.8.0/24": "Google Public DNS",
    "8.8.4.0/24": "Google Public DNS",
    "1.1.1.0/24": "Cloudflare DNS",
    "1.0.0.0/24": "Cloudflare DNS",
    "9.9.9.0/24": "Quad9 DNS",
    "208.67.222.0/24": "OpenDNS",
    "2001:4860:4860::/48": "Google Public DNS",
    "2606:4700:4700::/48": "Cloudflare DNS",
}

DOC_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
CGNAT_NETWORK = ipaddress.ip_network("100.64.0.0/10")

# Special-purpose categories, most specific first.
CATEGORIES = [
    ("loopback", lambda ip: ip.is_loopback),
    ("link-local", lambda ip: ip.is_link_local),
    ("multicast", lambda ip: ip.is_multicast),
    ("unspecified", lambda ip: ip.is_unspecified),
    ("shared (CGNAT)", lambda ip: ip.version == 4 and ip in CGNAT_NETWORK),
    ("documentation", lambda ip: any(ip in n for n in DOC_NETWORKS)),
    ("private", lambda ip: ip.is_private),
    ("reserved", lambda ip: ip.is_reserved),
    ("global", lambda ip: ip.is_global),
]


class JobError(Exception):
    pass


def classify(address, watchlist, reverse_pointer):
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        raise JobError("%r is not an IP address." % address)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    category = next((name for name, test in CATEGORIES if test(ip)), "other")
    service = next(
        (name for cidr, name in KNOWN_NETWORKS.items() if ip in ipaddress.ip_network(cidr)), None
    )
    hits = []
    for cidr in watchlist:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise JobError("Invalid watchlist entry %r." % cidr)
        if ip.version == network.version and ip in network:
            hits.append(str(network))
    report = {
        "ip": str(ip),
        "version": ip.version,
        "category": category,
        "routable": category == "global",
        "service": service,
        "watchlist_hits": hits,
    }
    if reverse_pointer:
        report["reverse_pointer"] = ip.reverse_pointer
    return report


def summary(report):
    if report["watchlist_hits"]:
        level = "malicious"
    elif report["service"] or not report["routable"]:
        level = "safe"
    else:
        level = "info"
    taxonomies = [{"level": level, "namespace": "IPClassifier", "predicate": "Category", "value": report["category"]}]
    if report["service"]:
        taxonomies.append({"level": "safe", "namespace": "IPClassifier", "predicate": "Service", "value": report["service"]})
    if report["watchlist_hits"]:
        taxonomies.append(
            {"level": "malicious", "namespace": "IPClassifier", "predicate": "Watchlist", "value": report["watchlist_hits"][0]}
        )
    return {"taxonomies": taxonomies}


def main():
    job_directory = sys.argv[1] if len(sys.argv) > 1 else "/job"
    with open(os.path.join(job_directory, "input", "input.json"), encoding="utf-8") as handle:
        job = json.load(handle)
    config = job.get("config") or {}
    try:
        if config.get("check_tlp") and job.get("tlp", 2) > config.get("max_tlp", 2):
            raise JobError("TLP is higher than allowed.")
        if job.get("dataType") != "ip":
            raise JobError("IPClassifier only analyzes ip observables, not %r." % job.get("dataType"))
        if not job.get("data"):
            raise JobError("Missing data field")
        report = classify(str(job["data"]), config.get("watchlist") or [], config.get("report_reverse_pointer", True))
        output = {"success": True, "summary": summary(report), "full": report, "artifacts": [], "operations": []}
    except JobError as exc:
        output = {"success": False, "input": job, "errorMessage": str(exc)}
    output_directory = os.path.join(job_directory, "output")
    os.makedirs(output_directory, exist_ok=True)
    with open(os.path.join(output_directory, "output.json"), "w", encoding="utf-8") as handle:
        json.dump(output, handle)
    sys.exit(0 if output["success"] else 1)


if __name__ == "__main__":
    main()
