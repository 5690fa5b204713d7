package events

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Subject prefixes and wildcards of the CRM stream.
const (
	// AllSubjects is every subject the CRM stream holds.
	AllSubjects = "crm.>"
	// AllRecords matches every record event of every source.
	AllRecords = "crm.rec.>"
	// AllSchemas matches every module schema of every source.
	AllSchemas = "crm.schema.>"
	// AllDeadLetters matches every dead letter of every stage.
	AllDeadLetters = "crm.dlq.>"
)

// maxTokenLen bounds a subject token; Zoho ids are 19 digits and module
// names are short, so anything longer is a sign of bad input.
const maxTokenLen = 128

// safeToken is what a subject token may hold: no dots, wildcards,
// whitespace or other characters that NATS or a shell would treat specially.
var safeToken = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidToken reports whether s can be used as one token of a subject
// (a source, a module, a record id, a run id or a stage name).
func ValidToken(s string) bool {
	return len(s) <= maxTokenLen && safeToken.MatchString(s)
}

func checkToken(what, s string) error {
	if !ValidToken(s) {
		return fmt.Errorf("%s %q: %w", what, s, ErrUnsafeToken)
	}
	return nil
}

// RecordKey names one CRM record: which source, which module, which id.
type RecordKey struct {
	Source string
	Module string
	ID     string
}

// Validate reports an ErrUnsafeToken error naming the first unsafe part.
func (k RecordKey) Validate() error {
	if err := checkToken("source", k.Source); err != nil {
		return err
	}
	if err := checkToken("module", k.Module); err != nil {
		return err
	}
	return checkToken("record id", k.ID)
}

// Subject returns the record event subject crm.rec.<source>.<module>.<id>.
func (k RecordKey) Subject() (string, error) {
	if err := k.Validate(); err != nil {
		return "", err
	}
	return "crm.rec." + k.Source + "." + k.Module + "." + k.ID, nil
}

// String returns source/module/id, for logs and errors.
func (k RecordKey) String() string {
	return k.Source + "/" + k.Module + "/" + k.ID
}

// ParseRecordSubject splits crm.rec.<source>.<module>.<id> into its key.
func ParseRecordSubject(subject string) (RecordKey, error) {
	t := strings.Split(subject, ".")
	if len(t) != 5 || t[0] != "crm" || t[1] != "rec" {
		return RecordKey{}, fmt.Errorf("subject %q: %w", subject, ErrNotRecordSubject)
	}
	k := RecordKey{Source: t[2], Module: t[3], ID: t[4]}
	if err := k.Validate(); err != nil {
		return RecordKey{}, fmt.Errorf("subject %q: %w", subject, err)
	}
	return k, nil
}

// SourceRecords matches every record event of one source.
func SourceRecords(source string) (string, error) {
	if err := checkToken("source", source); err != nil {
		return "", err
	}
	return "crm.rec." + source + ".>", nil
}

// ModuleRecords matches every record event of one module of one source.
func ModuleRecords(source, module string) (string, error) {
	if err := checkToken("source", source); err != nil {
		return "", err
	}
	if err := checkToken("module", module); err != nil {
		return "", err
	}
	return "crm.rec." + source + "." + module + ".*", nil
}

// MarkerSubject returns crm.run.<source>.<run>.<stage>.
func MarkerSubject(source, run string, stage Stage) (string, error) {
	if err := checkToken("source", source); err != nil {
		return "", err
	}
	if err := checkToken("run", run); err != nil {
		return "", err
	}
	if !stage.Valid() {
		return "", fmt.Errorf("stage %q: %w", stage, ErrUnknownStage)
	}
	return "crm.run." + source + "." + run + "." + string(stage), nil
}

// MarkerKey names one run marker.
type MarkerKey struct {
	Source string
	Run    string
	Stage  Stage
}

// ParseMarkerSubject splits crm.run.<source>.<run>.<stage> into its key.
func ParseMarkerSubject(subject string) (MarkerKey, error) {
	t := strings.Split(subject, ".")
	if len(t) != 5 || t[0] != "crm" || t[1] != "run" {
		return MarkerKey{}, fmt.Errorf("subject %q: %w", subject, ErrNotMarkerSubject)
	}
	k := MarkerKey{Source: t[2], Run: t[3], Stage: Stage(t[4])}
	if err := checkToken("source", k.Source); err != nil {
		return MarkerKey{}, fmt.Errorf("subject %q: %w", subject, err)
	}
	if err := checkToken("run", k.Run); err != nil {
		return MarkerKey{}, fmt.Errorf("subject %q: %w", subject, err)
	}
	if !k.Stage.Valid() {
		return MarkerKey{}, fmt.Errorf("subject %q: stage %q: %w", subject, k.Stage, ErrUnknownStage)
	}
	return k, nil
}

// StageMarkers matches the markers of one stage for every source and run,
// for example crm.run.*.*.extracted.
func StageMarkers(stage Stage) string {
	return "crm.run.*.*." + string(stage)
}

// RunMarkers matches every marker of one run.
func RunMarkers(source, run string) (string, error) {
	if err := checkToken("source", source); err != nil {
		return "", err
	}
	if err := checkToken("run", run); err != nil {
		return "", err
	}
	return "crm.run." + source + "." + run + ".*", nil
}

// SchemaSubject returns crm.schema.<source>.<module>.
func SchemaSubject(source, module string) (string, error) {
	if err := checkToken("source", source); err != nil {
		return "", err
	}
	if err := checkToken("module", module); err != nil {
		return "", err
	}
	return "crm.schema." + source + "." + module, nil
}

// SourceSchemas matches the schemas of every module of one source.
func SourceSchemas(source string) (string, error) {
	if err := checkToken("source", source); err != nil {
		return "", err
	}
	return "crm.schema." + source + ".*", nil
}

// DeadLetterSubject returns crm.dlq.<stage>.<seq>, where seq is the stream
// sequence of the message the stage could not process.
func DeadLetterSubject(stage string, seq uint64) (string, error) {
	if err := checkToken("stage", stage); err != nil {
		return "", err
	}
	return "crm.dlq." + stage + "." + strconv.FormatUint(seq, 10), nil
}
