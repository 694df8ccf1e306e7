// GoDomainCheck scores a domain without any network access.
//
// It speaks the old Cortex protocol: the job input JSON is read on stdin and
// the report JSON is printed on stdout.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"sort"
	"strings"
)

type input struct {
	Data     string                 `json:"data"`
	DataType string                 `json:"dataType"`
	TLP      *int                   `json:"tlp"`
	Config   map[string]interface{} `json:"config"`
}

type taxonomy struct {
	Level     string `json:"level"`
	Namespace string `json:"namespace"`
	Predicate string `json:"predicate"`
	Value     string `json:"value"`
}

type artifact struct {
	DataType string   `json:"dataType"`
	Data     string   `json:"data"`
	Tags     []string `json:"tags,omitempty"`
}

type fullReport struct {
	Domain            string   `json:"domain"`
	RegisteredPart    string   `json:"registered_domain"`
	TLD               string   `json:"tld"`
	Score             int      `json:"score"`
	Verdict           string   `json:"verdict"`
	Reasons           []string `json:"reasons"`
	LongestLabel      string   `json:"longest_label"`
	LabelEntropy      float64  `json:"label_entropy"`
	ImpersonatedBrand string   `json:"impersonated_brand,omitempty"`
}

var blocklist = []string{"malware.example", "phish.example", "bad-actor.test", "evil.example.net"}

var riskyTLDs = map[string]int{"zip": 30, "mov": 30, "top": 20, "xyz": 15, "tk": 25, "gq": 25, "click": 20}

var brands = []string{"paypal", "microsoft", "office365", "apple", "amazon", "netflix", "docusign"}

var lures = []string{"login", "secure", "verify", "account", "update", "signin", "wallet"}

func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]float64{}
	for _, r := range s {
		counts[r]++
	}
	n := float64(len([]rune(s)))
	h := 0.0
	for _, c := range counts {
		p := c / n
		h -= p * math.Log2(p)
	}
	return math.Round(h*1000) / 1000
}

// normalize turns a URL or FQDN observable into a bare lower-case domain.
func normalize(data, dataType string) (string, error) {
	d := strings.TrimSpace(data)
	d = strings.NewReplacer("[.]", ".", "(.)", ".", "hxxp", "http").Replace(d)
	if dataType == "url" || strings.Contains(d, "://") {
		if !strings.Contains(d, "://") {
			d = "http://" + d
		}
		u, err := url.Parse(d)
		if err != nil {
			return "", fmt.Errorf("invalid URL: %v", err)
		}
		d = u.Hostname()
	}
	d = strings.TrimSuffix(strings.ToLower(d), ".")
	if d == "" || !strings.Contains(d, ".") || strings.ContainsAny(d, " /@") {
		return "", fmt.Errorf("%q is not a domain name", data)
	}
	return d, nil
}

func stringList(v interface{}) []string {
	var out []string
	if items, ok := v.([]interface{}); ok {
		for _, item := range items {
			if s, ok := item.(string); ok && s != "" {
				out = append(out, strings.ToLower(s))
			}
		}
	}
	return out
}

func number(v interface{}, fallback float64) float64 {
	if f, ok := v.(float64); ok {
		return f
	}
	return fallback
}

func analyze(domain string, config map[string]interface{}) fullReport {
	labels := strings.Split(domain, ".")
	tld := labels[len(labels)-1]
	registered := domain
	if len(labels) >= 2 {
		registered = strings.Join(labels[len(labels)-2:], ".")
	}
	r := fullReport{Domain: domain, RegisteredPart: registered, TLD: tld, Reasons: []string{}}

	for _, bad := range append(append([]string{}, blocklist...), stringList(config["extra_blocklist"])...) {
		if domain == bad || strings.HasSuffix(domain, "."+bad) {
			r.Score += 100
			r.Reasons = append(r.Reasons, "listed in blocklist ("+bad+")")
		}
	}
	if w, ok := riskyTLDs[tld]; ok {
		r.Score += w
		r.Reasons = append(r.Reasons, "risky TLD ."+tld)
	}
	for _, label := range labels {
		if strings.HasPrefix(label, "xn--") {
			r.Score += 25
			r.Reasons = append(r.Reasons, "punycode label "+label)
		}
		if len([]rune(label)) > len([]rune(r.LongestLabel)) {
			r.LongestLabel = label
		}
	}
	r.LabelEntropy = entropy(r.LongestLabel)
	if len(r.LongestLabel) >= 10 && r.LabelEntropy >= number(config["entropy_threshold"], 3.8) {
		r.Score += 30
		r.Reasons = append(r.Reasons, fmt.Sprintf("random-looking label %s (entropy %.2f)", r.LongestLabel, r.LabelEntropy))
	}
	owner := strings.Split(registered, ".")[0]
	for _, brand := range brands {
		if strings.Contains(domain, brand) && owner != brand {
			r.ImpersonatedBrand = brand
			r.Score += 40
			r.Reasons = append(r.Reasons, "brand name "+brand+" in a domain not registered by "+brand)
			break
		}
	}
	for _, lure := range lures {
		if strings.Contains(domain, lure) {
			r.Score += 10
			r.Reasons = append(r.Reasons, "lure word "+lure)
		}
	}
	if strings.Count(domain, "-") >= 3 {
		r.Score += 10
		r.Reasons = append(r.Reasons, "many hyphens")
	}
	switch {
	case r.Score >= 70:
		r.Verdict = "malicious"
	case r.Score >= 30:
		r.Verdict = "suspicious"
	default:
		r.Verdict = "safe"
	}
	sort.Strings(r.Reasons)
	return r
}

func emit(v interface{}) {
	out, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(string(out))
}

func fail(raw json.RawMessage, message string) {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	emit(map[string]interface{}{"success": false, "input": raw, "errorMessage": message})
	os.Exit(1)
}

func main() {
	var raw json.RawMessage
	if err := json.NewDecoder(os.Stdin).Decode(&raw); err != nil {
		fail(nil, "Invalid input: "+err.Error())
	}
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		fail(raw, "Invalid input: "+err.Error())
	}
	if in.Config == nil {
		in.Config = map[string]interface{}{}
	}
	tlp := 2
	if in.TLP != nil {
		tlp = *in.TLP
	}
	if check, _ := in.Config["check_tlp"].(bool); check && float64(tlp) > number(in.Config["max_tlp"], 2) {
		fail(raw, "TLP is higher than allowed.")
	}
	switch in.DataType {
	case "domain", "fqdn", "url":
	default:
		fail(raw, "Unsupported dataType "+in.DataType)
	}
	domain, err := normalize(in.Data, in.DataType)
	if err != nil {
		fail(raw, err.Error())
	}
	r := analyze(domain, in.Config)

	taxonomies := []taxonomy{
		{Level: r.Verdict, Namespace: "GoDomainCheck", Predicate: "Score", Value: fmt.Sprint(r.Score)},
	}
	if r.ImpersonatedBrand != "" {
		taxonomies = append(taxonomies, taxonomy{Level: "suspicious", Namespace: "GoDomainCheck", Predicate: "Lookalike", Value: r.ImpersonatedBrand})
	}
	artifacts := []artifact{}
	if in.DataType == "url" {
		artifacts = append(artifacts, artifact{DataType: "domain", Data: r.Domain})
	}
	if r.RegisteredPart != r.Domain {
		artifacts = append(artifacts, artifact{DataType: "domain", Data: r.RegisteredPart, Tags: []string{"registered-domain"}})
	}
	emit(map[string]interface{}{
		"success":    true,
		"summary":    map[string]interface{}{"taxonomies": taxonomies},
		"full":       r,
		"artifacts":  artifacts,
		"operations": []interface{}{},
	})
}
