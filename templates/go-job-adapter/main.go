// neurons-job-adapter runs a worker that speaks the old protocol (job on stdin, report on stdout) under the job
// folder protocol, the way Cortex's process runner treats the workers it runs:
//
//   - the worker gets <job>/input/input.json on stdin, with a file observable's "file" (relative to <job>/input, as
//     Cortex writes it) made an absolute path, so the worker can open it;
//   - the worker gets the job folder as its argument, for a worker that asks for one;
//   - a report the worker wrote itself (<job>/output/output.json, not empty) is kept as it is;
//   - otherwise what it printed on stdout is the report when it is a JSON object;
//   - otherwise the report is a failure whose errorMessage is what it wrote on stderr (or why there is none).
//
// The adapter exits with the worker's exit code.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

func writeOutput(jobDir string, report []byte) {
	outDir := filepath.Join(jobDir, "output")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "neurons-job-adapter:", err)
		os.Exit(2)
	}
	if err := os.WriteFile(filepath.Join(outDir, "output.json"), report, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "neurons-job-adapter:", err)
		os.Exit(2)
	}
}

func failure(jobDir string, input []byte, message string) {
	report := map[string]interface{}{"success": false, "errorMessage": message}
	var parsed interface{}
	if json.Unmarshal(input, &parsed) == nil {
		report["input"] = parsed
	}
	encoded, _ := json.Marshal(report)
	writeOutput(jobDir, encoded)
}

// workerInput is the job input as the worker reads it: a file observable named by its absolute path.
func workerInput(jobDir string, input []byte) []byte {
	decoder := json.NewDecoder(bytes.NewReader(input))
	decoder.UseNumber()
	var fields map[string]interface{}
	if decoder.Decode(&fields) != nil || fields == nil {
		return input
	}
	file, ok := fields["file"].(string)
	if !ok || file == "" || filepath.IsAbs(file) {
		return input
	}
	fields["file"] = filepath.Join(jobDir, "input", file)
	encoded, err := json.Marshal(fields)
	if err != nil {
		return input
	}
	return encoded
}

// writtenReport tells whether the worker wrote a report of its own, as Cortex checks: the file exists and is not empty.
func writtenReport(jobDir string) bool {
	info, err := os.Stat(filepath.Join(jobDir, "output", "output.json"))
	return err == nil && info.Mode().IsRegular() && info.Size() > 0
}

// jsonObject tells whether the bytes are one JSON object (a report), not any JSON value.
func jsonObject(data []byte) bool {
	var object map[string]json.RawMessage
	return len(data) > 0 && data[0] == '{' && json.Unmarshal(data, &object) == nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: neurons-job-adapter <worker binary> [job directory]")
		os.Exit(2)
	}
	worker := os.Args[1]
	jobDir := "/job"
	if len(os.Args) > 2 {
		jobDir = os.Args[2]
	}
	input, err := os.ReadFile(filepath.Join(jobDir, "input", "input.json"))
	if err != nil {
		failure(jobDir, nil, "cannot read job input: "+err.Error())
		os.Exit(1)
	}
	// A report left by an earlier run is not this run's.
	_ = os.Remove(filepath.Join(jobDir, "output", "output.json"))
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(worker, jobDir)
	cmd.Stdin = bytes.NewReader(workerInput(jobDir, input))
	cmd.Stdout = &stdout
	// Kept for the report, and shown in the container's log as it comes.
	cmd.Stderr = io.MultiWriter(&stderr, os.Stderr)
	runErr := cmd.Run()
	exitCode := 0
	var exitErr *exec.ExitError
	if errors.As(runErr, &exitErr) {
		exitCode = exitErr.ExitCode()
	} else if runErr != nil {
		exitCode = 1
	}
	report := bytes.TrimSpace(stdout.Bytes())
	switch {
	case writtenReport(jobDir):
		os.Stdout.Write(stdout.Bytes())
	case jsonObject(report):
		writeOutput(jobDir, report)
	default:
		os.Stdout.Write(stdout.Bytes())
		message := string(bytes.TrimSpace(stderr.Bytes()))
		if message == "" && runErr != nil {
			message = "worker failed: " + runErr.Error()
		} else if message == "" {
			message = "worker printed no JSON report and wrote no output/output.json"
		}
		failure(jobDir, input, message)
	}
	os.Exit(exitCode)
}
