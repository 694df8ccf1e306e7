// neurons-job-adapter runs a worker that speaks the old protocol (job on stdin, report on stdout) the way the
// engine runs workers today: it reads <job>/input/input.json, feeds it to the worker's stdin, and writes what the
// worker prints to <job>/output/output.json. A worker that fails or prints no JSON yields a failure report.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
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
		return
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(worker)
	cmd.Dir = filepath.Dir(worker)
	cmd.Stdin = bytes.NewReader(input)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	os.Stderr.Write(stderr.Bytes())
	report := bytes.TrimSpace(stdout.Bytes())
	if json.Valid(report) && len(report) > 0 {
		writeOutput(jobDir, report)
		return
	}
	message := "worker printed no JSON report"
	if runErr != nil {
		message = "worker failed: " + runErr.Error()
	}
	if stderr.Len() > 0 {
		message += ": " + string(bytes.TrimSpace(stderr.Bytes()))
	}
	failure(jobDir, input, message)
}
