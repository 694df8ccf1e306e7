#!/usr/bin/env python3
"""TagCase: add tags to a case, an alert or an observable through TheHive operations."""
from cortexlite import Responder

OPERATIONS = {
    "thehive:case": "AddTagToCase",
    "thehive:alert": "AddTagToAlert",
    "thehive:case_artifact": "AddTagToArtifact",
}
TLP_COLOURS = {0: "white", 1: "green", 2: "amber", 3: "red", 4: "red"}


class TagCase(Responder):
    def run(self):
        if self.data_type not in OPERATIONS:
            self.error("TagCase cannot handle %s objects." % self.data_type)
        target = self.get_data()
        if not isinstance(target, dict):
            self.error("The data field must be a TheHive object.")
        tag = str(self.get_config("tag", "neurons:reviewed")).strip()
        if not tag:
            self.error("The tag must not be empty.")
        wanted = [tag]
        if self.get_config("tag_tlp", True):
            wanted.append("tlp:%s" % TLP_COLOURS.get(target.get("tlp", self.tlp), "amber"))
        existing = set(target.get("tags") or [])
        added = [t for t in wanted if t not in existing]
        label = target.get("title") or target.get("data") or target.get("_id", "")
        self.report(
            {
                "message": "Added %s to %s %r" % (", ".join(added) or "no new tag", target.get("_type", "object"), label),
                "added": added,
                "already_present": [t for t in wanted if t in existing],
            }
        )

    def operations(self, raw):
        return [self.build_operation(OPERATIONS[self.data_type], tag=t) for t in raw["added"]]


if __name__ == "__main__":
    TagCase().run()
