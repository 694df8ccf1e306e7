#!/usr/bin/env python3
"""HashCalc: digest of a file attachment or of a textual observable.

One code base for the HashCalc_MD5 / HashCalc_SHA1 / HashCalc_SHA256 flavors:
the flavor is chosen by ``config.service`` (md5, sha1 or sha256).
"""
import hashlib

from cortexlite import Analyzer

SERVICES = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256}
CHUNK_SIZE = 1 << 16


class HashCalc(Analyzer):
    def __init__(self):
        super().__init__()
        self.service = str(self.get_config("service", None, "Missing service in config")).lower()
        if self.service not in SERVICES:
            self.error("Unknown service %r (expected one of %s)." % (self.service, ", ".join(SERVICES)))
        self.uppercase = bool(self.get_config("uppercase", False))

    def run(self):
        digest = SERVICES[self.service]()
        if self.data_type == "file":
            path = self.get_data()
            size = 0
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
                    digest.update(chunk)
                    size += len(chunk)
            subject = {"filename": self.get_filename(), "size": size}
        else:
            data = str(self.get_data()).encode("utf-8")
            digest.update(data)
            subject = {"data": self.get_data(), "size": len(data)}
        value = digest.hexdigest()
        if self.uppercase:
            value = value.upper()
        self.report({"algorithm": self.service, "digest": value, **subject})

    def summary(self, raw):
        return {"taxonomies": [self.build_taxonomy("info", "HashCalc", raw["algorithm"].upper(), raw["digest"])]}

    def artifacts(self, raw):
        # A digest of a file is a useful observable on its own; a digest of a string is not.
        if self.data_type == "file":
            return [self.build_artifact("hash", raw["digest"].lower(), tags=["hashcalc:" + raw["algorithm"]])]
        return []


if __name__ == "__main__":
    HashCalc().run()
