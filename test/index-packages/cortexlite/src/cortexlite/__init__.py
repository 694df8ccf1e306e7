"""cortexlite: a tiny, dependency-free helper for Cortex analyzers and responders.

It mirrors the parts of ``cortexutils`` that most workers use:

* the job folder protocol: the job directory is ``sys.argv[1]`` (default ``/job``),
  the input is read from ``<job>/input/input.json`` and the report is written to
  ``<job>/output/output.json``; when there is no input file, the input is read from
  stdin and the report printed on stdout (the old protocol);
* TLP / PAP checks driven by ``config.check_tlp`` / ``config.max_tlp`` and
  ``config.check_pap`` / ``config.max_pap``;
* ``report()`` / ``error()`` with summaries (taxonomies), artifacts and operations.

Usage::

    from cortexlite import Analyzer

    class MyAnalyzer(Analyzer):
        def run(self):
            self.report({"length": len(self.get_data())})

    if __name__ == "__main__":
        MyAnalyzer().run()
"""

import json
import os
import shutil
import sys

__all__ = ["Worker", "Analyzer", "Responder", "TAXONOMY_LEVELS"]
__version__ = "1.0.0"

DEFAULT_JOB_DIRECTORY = "/job"
TAXONOMY_LEVELS = ("info", "safe", "suspicious", "malicious")

# Configuration values that must never be echoed back in an error report.
_SECRET_KEYS = ("key", "api_key", "apikey", "password", "secret", "token", "username")
_MISSING = object()


class Worker:
    """Common plumbing for analyzers and responders."""

    def __init__(self, job_directory=None):
        if job_directory is None:
            job_directory = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_JOB_DIRECTORY
        self.job_directory = job_directory
        input_path = os.path.join(job_directory, "input", "input.json")
        self._use_files = os.path.isfile(input_path)
        self._input = {}
        try:
            if self._use_files:
                with open(input_path, encoding="utf-8") as handle:
                    self._input = json.load(handle)
            else:
                self._input = json.load(sys.stdin)
        except ValueError as exc:
            self.error("Invalid input: %s" % exc)
        if not isinstance(self._input, dict):
            self.error("Invalid input: a JSON object is expected.")

        self.data_type = self.get_param("dataType", None, "Missing dataType field")
        self.tlp = self.get_param("tlp", 2)
        self.pap = self.get_param("pap", 2)
        self.max_tlp = self.get_param("config.max_tlp", 2)
        self.max_pap = self.get_param("config.max_pap", 2)
        self.enable_check_tlp = self.get_param("config.check_tlp", False)
        self.enable_check_pap = self.get_param("config.check_pap", False)

        if self.enable_check_tlp and self.tlp > self.max_tlp:
            self.error("TLP is higher than allowed.")
        if self.enable_check_pap and self.pap > self.max_pap:
            self.error("PAP is higher than allowed.")

        # Report unexpected exceptions the way the engine expects instead of a bare traceback.
        sys.excepthook = self._excepthook

    # -- input --------------------------------------------------------------------------

    def get_param(self, name, default=None, message=None):
        """Value at a dotted path of the input (``config.key``), or ``default``.

        With ``message``, a missing value ends the job with that error message.
        """
        value = self._input
        for part in name.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                value = _MISSING
                break
        if value is _MISSING or value is None:
            if message is not None:
                self.error(message)
            return default
        return value

    def get_config(self, name, default=None, message=None):
        """Value of ``config.<name>`` (configuration items and flavor config)."""
        return self.get_param("config." + name, default, message)

    def get_data(self):
        return self.get_param("data", None, "Missing data field")

    @property
    def input(self):
        return self._input

    # -- output -------------------------------------------------------------------------

    def _write(self, report, ensure_ascii=False):
        if self._use_files:
            output_directory = os.path.join(self.job_directory, "output")
            os.makedirs(output_directory, exist_ok=True)
            with open(os.path.join(output_directory, "output.json"), "w", encoding="utf-8") as handle:
                json.dump(report, handle, ensure_ascii=ensure_ascii)
        else:
            json.dump(report, sys.stdout, ensure_ascii=ensure_ascii)
            sys.stdout.write("\n")

    def _sanitized_input(self):
        sanitized = json.loads(json.dumps(self._input))
        config = sanitized.get("config")
        if isinstance(config, dict):
            for key in list(config):
                if key.lower() in _SECRET_KEYS:
                    config[key] = "REMOVED"
        return sanitized

    def error(self, message, ensure_ascii=False):
        """Write a failure report and end the process."""
        self._write(
            {"success": False, "input": self._sanitized_input(), "errorMessage": str(message)},
            ensure_ascii,
        )
        sys.exit(1)

    def _excepthook(self, exc_type, exc_value, _traceback):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc_value, _traceback)
            return
        self._write(
            {
                "success": False,
                "input": self._sanitized_input(),
                "errorMessage": "%s: %s" % (exc_type.__name__, exc_value),
            }
        )
        sys.exit(1)

    @staticmethod
    def build_operation(op_type, **parameters):
        """An operation for TheHive, e.g. ``build_operation("AddTagToCase", tag="x")``."""
        operation = {"type": op_type}
        operation.update(parameters)
        return operation

    def operations(self, raw):
        """Operations TheHive should run once the job is done (override)."""
        return []

    def summary(self, raw):
        """Short summary of the report (override)."""
        return {}

    def run(self):
        """Do the work and call ``report()`` (override)."""
        raise NotImplementedError("run() must be implemented by the worker")


class Analyzer(Worker):
    """Base class for analyzers: observables in, report with taxonomies out."""

    def get_data(self):
        """The observable; for ``file`` jobs, the path of the attachment in the job folder."""
        if self.data_type == "file":
            return self.get_file_path()
        return super().get_data()

    def get_file_path(self):
        name = self.get_param("file", None, "Missing file field")
        path = os.path.join(self.job_directory, "input", name)
        if not os.path.isfile(path):
            self.error("Attachment %s not found in the job folder." % name)
        return path

    def get_filename(self):
        """Original name of the submitted file (``filename``), if any."""
        return self.get_param("filename", os.path.basename(self.get_param("file", "")))

    @staticmethod
    def build_taxonomy(level, namespace, predicate, value):
        if level not in TAXONOMY_LEVELS:
            level = "info"
        return {"level": level, "namespace": namespace, "predicate": predicate, "value": value}

    def build_artifact(self, data_type, data, **extra):
        """An artifact; for ``file`` artifacts ``data`` is a local path, copied to the output folder."""
        if data_type == "file":
            if not self._use_files:
                return None
            output_directory = os.path.join(self.job_directory, "output")
            os.makedirs(output_directory, exist_ok=True)
            name = os.path.basename(data)
            shutil.copyfile(data, os.path.join(output_directory, name))
            artifact = {"dataType": "file", "file": name, "filename": extra.pop("filename", name)}
        else:
            artifact = {"dataType": data_type, "data": data}
        artifact.update(extra)
        return artifact

    def artifacts(self, raw):
        """Observables extracted from the report (override)."""
        return []

    def report(self, full_report, ensure_ascii=False):
        self._write(
            {
                "success": True,
                "summary": self.summary(full_report),
                "artifacts": [a for a in self.artifacts(full_report) if a],
                "operations": self.operations(full_report),
                "full": full_report,
            },
            ensure_ascii,
        )


class Responder(Worker):
    """Base class for responders: a case, alert, task or observable in, operations out."""

    def report(self, full_report, ensure_ascii=False):
        self._write(
            {"success": True, "full": full_report, "operations": self.operations(full_report)},
            ensure_ascii,
        )
