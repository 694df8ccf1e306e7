#!/usr/bin/env python3
"""FileTriage: magic bytes, entropy, extension mismatch and suspicious strings. Stdlib only."""
import json
import os
import sys

from signatures import find_patterns, identify, shannon_entropy


def read_job(job_directory):
    with open(os.path.join(job_directory, "input", "input.json"), encoding="utf-8") as handle:
        return json.load(handle)


def write_output(job_directory, report):
    output_directory = os.path.join(job_directory, "output")
    os.makedirs(output_directory, exist_ok=True)
    with open(os.path.join(output_directory, "output.json"), "w", encoding="utf-8") as handle:
        json.dump(report, handle, ensure_ascii=False)


def fail(job_directory, job, message):
    config = dict(job.get("config") or {})
    for key in ("key", "api_key", "password"):
        if key in config:
            config[key] = "REMOVED"
    write_output(job_directory, {"success": False, "input": {**job, "config": config}, "errorMessage": message})
    sys.exit(1)


def analyze(path, filename, entropy_threshold, max_size):
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        content = handle.read(max_size)
    file_type, extensions = identify(content[:1024])
    extension = os.path.splitext(filename)[1].lower()
    entropy = round(shannon_entropy(content), 3)
    patterns = find_patterns(content, file_type)
    mismatch = bool(extensions) and extension not in extensions
    findings = []
    if mismatch:
        findings.append("extension %r does not match content (%s)" % (extension, file_type))
    if entropy >= entropy_threshold:
        findings.append("high entropy (%.2f bits/byte): packed or encrypted content" % entropy)
    if patterns:
        findings.append("suspicious strings: %s" % ", ".join(patterns))
    return {
        "filename": filename,
        "size": size,
        "truncated": size > max_size,
        "type": file_type,
        "extension": extension,
        "extension_mismatch": mismatch,
        "entropy": entropy,
        "suspicious_strings": patterns,
        "findings": findings,
    }


def summary(report):
    if report["extension_mismatch"] and report["suspicious_strings"]:
        level = "malicious"
    elif report["findings"]:
        level = "suspicious"
    else:
        level = "safe"
    return {
        "taxonomies": [
            {"level": "info", "namespace": "FileTriage", "predicate": "Type", "value": report["type"]},
            {"level": "info", "namespace": "FileTriage", "predicate": "Entropy", "value": str(report["entropy"])},
            {"level": level, "namespace": "FileTriage", "predicate": "Findings", "value": str(len(report["findings"]))},
        ]
    }


def main():
    job_directory = sys.argv[1] if len(sys.argv) > 1 else "/job"
    job = read_job(job_directory)
    config = job.get("config") or {}
    if config.get("check_tlp") and job.get("tlp", 2) > config.get("max_tlp", 2):
        fail(job_directory, job, "TLP is higher than allowed.")
    if job.get("dataType") != "file":
        fail(job_directory, job, "FileTriage only analyzes files, not %r." % job.get("dataType"))
    if not job.get("file"):
        fail(job_directory, job, "Missing file field")
    path = os.path.join(job_directory, "input", job["file"])
    if not os.path.isfile(path):
        fail(job_directory, job, "Attachment %s not found in the job folder." % job["file"])
    try:
        report = analyze(
            path,
            job.get("filename") or job["file"],
            float(config.get("entropy_threshold", 7.2)),
            int(config.get("max_size", 52428800)),
        )
    except (OSError, ValueError) as exc:
        fail(job_directory, job, "Cannot analyze the file: %s" % exc)
    write_output(
        job_directory,
        {"success": True, "summary": summary(report), "full": report, "artifacts": [], "operations": []},
    )


if __name__ == "__main__":
    main()
