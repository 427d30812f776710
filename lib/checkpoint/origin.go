package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/metric-transfer/mtlp/lib/commit"
)

// CodeVersion is part of every origin: change it when the training code changes what a run
// computes from the same settings, so that directories of the old code are not resumed.
const CodeVersion = "1"

// OriginFile is the origin record's name in a checkpoint directory.
const OriginFile = "origin.json"

// Origin says which run owns a checkpoint directory. Stage, Settings and Code are compared;
// Commit and Date are for information only.
type Origin struct {
	Stage string `json:"stage"`
	// Settings are those that determine the result, as JSON: not a wall-clock budget, progress
	// callbacks or paths.
	Settings json.RawMessage `json:"settings"`
	Code     string          `json:"code_version"`
	Commit   string          `json:"commit,omitempty"`
	Date     string          `json:"date,omitempty"`
}

// NewOrigin returns the origin of a run of stage with settings (any value encoding/json can
// encode), stamped with CodeVersion, the commit (commit.Current) and the current date.
func NewOrigin(stage string, settings any) (Origin, error) {
	raw, err := json.Marshal(settings)
	if err != nil {
		return Origin{}, fmt.Errorf("%s: encoding the run's settings for the checkpoint origin: %w", stage, err)
	}
	return Origin{Stage: stage, Settings: raw, Code: CodeVersion, Commit: commit.Current(),
		Date: time.Now().UTC().Format(time.RFC3339)}, nil
}

// Difference is one setting in which two origins differ, by its key path ("settings.Net").
type Difference struct {
	Key             string
	Stored, ThisRun string // JSON values; "(absent)" when the key is missing
}

// OriginError refuses a run on a directory that holds another run's checkpoints: its origin
// differs (Differences), or cannot be told (Reason).
type OriginError struct {
	Dir         string
	Differences []Difference
	Reason      string
}

func (e *OriginError) Error() string {
	return e.Refusal() + "; to go on, use another directory, or start over there, moving its checkpoints aside"
}

// Refusal is the error without the advice on how to go on, for callers that give their own.
func (e *OriginError) Refusal() string {
	if e.Reason != "" {
		return fmt.Sprintf("checkpoint directory %s %s; nothing was changed in it", e.Dir, e.Reason)
	}
	parts := make([]string, len(e.Differences))
	for i, d := range e.Differences {
		parts[i] = fmt.Sprintf("%s: %s → %s", d.Key, d.Stored, d.ThisRun)
	}
	return fmt.Sprintf("checkpoint directory %s belongs to another run (stored → this run's: %s); nothing was changed in it",
		e.Dir, strings.Join(parts, "; "))
}

// diff lists the differences of the compared fields of two origins, sorted by key.
func diff(stored, run Origin) []Difference {
	a, b := map[string]string{}, map[string]string{}
	flatten(a, "stage", stored.Stage)
	flatten(b, "stage", run.Stage)
	flatten(a, "code_version", stored.Code)
	flatten(b, "code_version", run.Code)
	flatten(a, "settings", decode(stored.Settings))
	flatten(b, "settings", decode(run.Settings))
	var out []Difference
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			out = append(out, Difference{Key: k, Stored: v, ThisRun: orAbsent(w, ok)})
		}
	}
	for k, w := range b {
		if _, ok := a[k]; !ok {
			out = append(out, Difference{Key: k, Stored: "(absent)", ThisRun: w})
		}
	}
	slices.SortFunc(out, func(x, y Difference) int { return strings.Compare(x.Key, y.Key) })
	return out
}

func orAbsent(v string, ok bool) string {
	if !ok {
		return "(absent)"
	}
	return v
}

// decode decodes JSON with numbers kept as written, so that 0.1 and 0.10000000000000001 do not
// compare equal by accident; undecodable JSON is kept as a string, which then differs.
func decode(raw json.RawMessage) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	return v
}

// flatten records the leaves of v under their key paths: objects by field (a.b), arrays by
// index (a[2]); an empty object or array is a leaf.
func flatten(out map[string]string, key string, v any) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			out[key] = "{}"
		}
		for k, x := range v {
			flatten(out, key+"."+k, x)
		}
	case []any:
		if len(v) == 0 {
			out[key] = "[]"
		}
		for i, x := range v {
			flatten(out, fmt.Sprintf("%s[%d]", key, i), x)
		}
	default:
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprint(v))
		}
		out[key] = string(b)
	}
}
